// no-single-point-of-failure: every role the stack has (load balancer, web/app, database) is held by at least
// `minHostsPerRole` hosts. One violation per role held by too few hosts; a role nobody holds is not reported here
// (horizontal-scaling reports the missing load balancer).

import type { Role } from "@seed-web/facts";
import { list, stackPolicy } from "../lib/define";
import { PolicyMetadata, SWITCH } from "../lib/metadata";

export const noSinglePointOfFailureMetadata: PolicyMetadata = {
    name: "no-single-point-of-failure",
    severity: "medium",
    defaultLevel: "advisory",
    designIssue: "Single Point of Failure: the entire infrastructure relies on one server",
    improvement: "Implement redundancy for all components",
    remediationSteps:
        "Give every role more than one host in seed-web:hosts: web hosts (roles web and app) behind the load " +
        "balancer, a second host with the db role (a replica of the first). The program provisions one load " +
        "balancer; a redundant pair needs a floating IP or DNS failover outside this program.",
    fix: "more hosts per role in `seed-web:hosts`",
    fixKeys: ["hosts"],
    security: false,
};

export const ROLE_GROUPS = ["lb", "web", "db"] as const;
export type RoleGroup = (typeof ROLE_GROUPS)[number];

const GROUP: Record<RoleGroup, { label: string; roles: Role[]; fix: string }> = {
    lb: {
        label: "load balancer",
        roles: ["lb"],
        fix: `a redundant load balancer (a floating IP or DNS failover in front of two; this program provisions one)`,
    },
    web: {
        label: "web/app",
        roles: ["web", "app"],
        fix: `more hosts with roles web and app in ${SWITCH.hosts}, behind a host with role lb`,
    },
    db: {
        label: "database",
        roles: ["db"],
        fix: `a second host with role db in ${SWITCH.hosts} (it becomes a replica of the first)`,
    },
};

export interface NoSinglePointOfFailureSettings {
    roles: string[];
    minHostsPerRole: number;
}

export const noSinglePointOfFailure = stackPolicy<NoSinglePointOfFailureSettings>({
    metadata: noSinglePointOfFailureMetadata,
    description: "No role (load balancer, web/app, database) is held by a single host.",
    what: "redundancy",
    settings: {
        roles: {
            type: "array",
            items: { type: "string", enum: [...ROLE_GROUPS] },
            kind: "strings",
            default: [...ROLE_GROUPS],
            description: "Roles that must be redundant: lb, web (web/app) and db.",
        },
        minHostsPerRole: {
            type: "integer",
            minimum: 1,
            kind: "integer",
            default: 2,
            description: "Hosts each role needs so that losing one does not take it down.",
        },
    },
    check({ model, settings, undecided, report }) {
        for (const key of ROLE_GROUPS) {
            if (!settings.roles.includes(key)) continue;
            const g = GROUP[key];
            undecided.check(`the ${g.label} role`, () => {
                const holders = [...new Set(g.roles.flatMap((r) => model.hostsWithRole(r)))];
                if (holders.length === 0 || holders.length >= settings.minHostsPerRole) return;
                const who = holders.length === 1 ? `a single host, ${holders[0]}` : `only ${holders.length} hosts (${list(holders)})`;
                report(
                    `the ${g.label} role is held by ${who}: if ${holders.length === 1 ? "it fails" : "they fail"}, the ` +
                        `site goes down with ${holders.length === 1 ? "it" : "them"} (wanted: at least ${settings.minHostsPerRole}). ` +
                        `Fix: ${g.fix}.`,
                    model.urn(holders[0]),
                );
            });
        }
    },
});

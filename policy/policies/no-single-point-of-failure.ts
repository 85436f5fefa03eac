// no-single-point-of-failure: every role the stack has (load balancer, web/app, database) is held by at least
// `minHostsPerRole` hosts. One violation per role held by too few hosts; a role nobody holds is not reported here
// (horizontal-scaling reports the missing load balancer).

import type { Role } from "../../lib/config";
import { list, stackPolicy } from "../lib/define";
import { PolicyMetadata, SWITCH } from "../lib/metadata";

export const noSinglePointOfFailureMetadata: PolicyMetadata = {
    name: "no-single-point-of-failure",
    severity: "medium",
    defaultLevel: "advisory",
    designIssue: "Single Point of Failure: the entire infrastructure relies on one server",
    improvement: "Implement redundancy for all components",
    remediationSteps:
        "Give every role more than one host in seed-web:hosts: add web hosts (role web+app) behind the load " +
        "balancer. The program accepts one lb host and one db host today: plan a second load balancer (floating IP " +
        "or DNS failover) and a database replica, and keep seed-web:backups true meanwhile.",
    fix: "more hosts per role in `seed-web:hosts`",
};

export const ROLE_GROUPS = ["lb", "web", "db"] as const;
export type RoleGroup = (typeof ROLE_GROUPS)[number];

const GROUP: Record<RoleGroup, { label: string; roles: Role[]; fix: string }> = {
    lb: {
        label: "load balancer",
        roles: ["lb"],
        fix: `a second load balancer in ${SWITCH.hosts} (with a floating IP or DNS failover; the program accepts one lb host today)`,
    },
    web: {
        label: "web/app",
        roles: ["web", "app"],
        fix: `more hosts with roles web and app in ${SWITCH.hosts}, behind a host with role lb`,
    },
    db: {
        label: "database",
        roles: ["db"],
        fix: `a database replica (the program accepts one db host today; keep ${SWITCH.backups} meanwhile)`,
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

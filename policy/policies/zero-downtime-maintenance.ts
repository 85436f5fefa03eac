// zero-downtime-maintenance: at least `minWebHosts` web hosts sit behind a load balancer, so one can be restarted
// while the others serve.

import { list, stackPolicy } from "../lib/define";
import { PolicyMetadata, SWITCH } from "../lib/metadata";

export const zeroDowntimeMaintenanceMetadata: PolicyMetadata = {
    name: "zero-downtime-maintenance",
    severity: "medium",
    defaultLevel: "advisory",
    designIssue: "Downtime During Maintenance: any update requiring a restart takes the site down",
    improvement: "Add a load balancer and redundant web servers",
    remediationSteps:
        "In seed-web:hosts add a host with role lb and at least two hosts with roles web and app: the load " +
        "balancer keeps serving from one web host while the other restarts.",
    fix: "an lb host and ≥ 2 web hosts in `seed-web:hosts`",
    fixKeys: ["hosts"],
    security: false,
};

export interface ZeroDowntimeMaintenanceSettings {
    minWebHosts: number;
}

export const zeroDowntimeMaintenance = stackPolicy<ZeroDowntimeMaintenanceSettings>({
    metadata: zeroDowntimeMaintenanceMetadata,
    description: "At least two web hosts sit behind a load balancer, so restarting one does not take the site down.",
    what: "maintenance redundancy",
    settings: {
        minWebHosts: {
            type: "integer",
            minimum: 1,
            kind: "integer",
            default: 2,
            description: "Web hosts that must sit behind the load balancer.",
        },
    },
    check({ model, settings, undecided, report }) {
        undecided.check("the web tier", () => {
            const web = model.hostsWithRole("web");
            if (web.length === 0) return;
            const lbs = model.hostsWithRole("lb");
            const behind = new Set<string>();
            for (const lb of lbs) {
                const step = model.step(lb, "lb");
                for (const b of step?.facts.backends ?? []) if (web.includes(b)) behind.add(b);
            }
            if (behind.size >= settings.minWebHosts) return;
            const what = lbs.length === 0
                ? `no load balancer: ${list(web)} ${web.length > 1 ? "serve" : "serves"} the site directly`
                : `only ${behind.size} web host${behind.size === 1 ? "" : "s"} (${list([...behind]) || "none"}) behind the load balancer ${list(lbs)}`;
            report(
                `${what}, so restarting ${behind.size <= 1 ? (behind.size === 1 ? [...behind][0] : web[0]) : "a web host"} ` +
                    `for maintenance takes the site down (wanted: at least ${settings.minWebHosts} web hosts behind a load balancer). ` +
                    `Fix: in ${SWITCH.hosts} ${lbs.length === 0 ? "add a host with role lb and " : ""}add web hosts ` +
                    `(roles web, app) up to ${settings.minWebHosts}.`,
                model.urn(lbs[0] ?? web[0]),
            );
        });
    },
});

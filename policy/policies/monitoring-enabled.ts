// monitoring-enabled: every host runs the monitoring step (a Prometheus node exporter).

import { stackPolicy } from "../lib/define";
import { PolicyMetadata, SWITCH } from "../lib/metadata";

export const monitoringEnabledMetadata: PolicyMetadata = {
    name: "monitoring-enabled",
    severity: "medium",
    defaultLevel: "advisory",
    designIssue: "Single Point of Failure: a failure is only noticed when the site is already down (no monitoring)",
    improvement: "Add monitoring and backup systems",
    remediationSteps:
        "Run `pulumi config set seed-web:monitoring true`: every host then runs a Prometheus node exporter " +
        "reachable only from the allowed scrapers.",
    fix: "`seed-web:monitoring true`",
    fixKeys: ["monitoring"],
    security: false,
};

export const monitoringEnabled = stackPolicy({
    metadata: monitoringEnabledMetadata,
    description: "Every host is monitored.",
    what: "monitoring",
    check({ model, undecided, report }) {
        undecided.each(model.hosts(), (host) => {
            if (model.step(host, "monitoring")) return;
            report(`${host} is not monitored: a failure goes unnoticed until users report it. Fix: ${SWITCH.monitoring}.`, model.urn(host));
        });
    },
});

// backups-enabled: the database host dumps the database on a schedule.

import { stackPolicy } from "../lib/define";
import { PolicyMetadata, SWITCH } from "../lib/metadata";

export const backupsEnabledMetadata: PolicyMetadata = {
    name: "backups-enabled",
    severity: "high",
    defaultLevel: "advisory",
    designIssue: "Single Point of Failure: losing the one server loses all application data (no backups)",
    improvement: "Add monitoring and backup systems",
    remediationSteps:
        "Run `pulumi config set seed-web:backups true`: the database host then dumps the database on a schedule " +
        "and keeps the latest dumps.",
    fix: "`seed-web:backups true`",
    fixKeys: ["backups"],
    security: false,
};

export const backupsEnabled = stackPolicy({
    metadata: backupsEnabledMetadata,
    description: "The database host backs the database up on a schedule.",
    what: "backups",
    check({ model, undecided, report }) {
        undecided.check("the db role", () => {
            undecided.each(model.hostsWithRole("db"), (host) => {
                if (model.step(host, "backup")) return;
                // A replica holds a copy of its primary's data: backing up the primary is enough.
                const rep = model.step(host, "database")?.facts.replication;
                if (rep?.role === "replica" && rep.primary && model.step(rep.primary, "backup")) return;
                report(`the database on ${host} is not backed up: losing ${host} loses all data. Fix: ${SWITCH.backups}.`, model.urn(host, "database"));
            });
        });
    },
});

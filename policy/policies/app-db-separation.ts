// app-db-separation: the database has a host of its own, apart from the web/application role.

import { stackPolicy } from "../lib/define";
import { PolicyMetadata, SWITCH } from "../lib/metadata";

export const appDbSeparationMetadata: PolicyMetadata = {
    name: "app-db-separation",
    severity: "medium",
    defaultLevel: "advisory",
    designIssue:
        "Security Concerns: no separation between application and database; Scalability: database and application share the same resources",
    improvement: "Separate database server",
    remediationSteps:
        "In seed-web:hosts give the db role to a host of its own and drop it from the web hosts; keep " +
        "seed-web:firewall true so only the application hosts reach the database port.",
    fix: "a separate db host in `seed-web:hosts`",
    fixKeys: ["hosts"],
    security: true,
};

export const appDbSeparation = stackPolicy({
    metadata: appDbSeparationMetadata,
    description: "The database runs on a host of its own, not on a web/application host.",
    what: "app/database separation",
    check({ model, undecided, report }) {
        undecided.check("the db role", () => {
            for (const host of model.hostsWithRole("db")) {
                const shared = (["web", "app"] as const).filter((r) => model.hasRole(host, r));
                if (shared.length === 0) continue;
                report(
                    `the database shares ${host} with the ${shared.join("/")} role: both compete for its CPU and memory, ` +
                        `and a compromise of the application exposes the data files. Fix: move the db role to a host ` +
                        `of its own in ${SWITCH.hosts}.`,
                    model.urn(host, "database"),
                );
            }
        });
    },
});

// The backup step: scripts/backup.sh, undone by scripts/undo/backup.sh; the class Backup, type token "seed-web:lemp:Backup"
// (unchanged from components/lemp.ts: it is in the engine's URNs of deployed stacks).

import * as pulumi from "@pulumi/pulumi";
import { BackupPlan } from "../../lib/topology";
import { BackupFacts } from "@seed-web/facts";
import { Host } from "../host";
import { common, HostStep } from "./host-step";

/** Daily database dumps with rotation, and a restore command. */
export class Backup extends HostStep<BackupFacts> {
    constructor(name: string, args: { host: Host; plan: BackupPlan; after: pulumi.Resource[] }, opts?: pulumi.ComponentResourceOptions) {
        const { plan } = args;
        const facts: BackupFacts = { ...common(args.host, "backup"), database: plan.database, time: plan.time, retention: plan.retention, directory: plan.directory };
        const env = {
            LEMP_DB_ENGINE: plan.engine,
            LEMP_DB_NAME: plan.database,
            LEMP_BACKUP_TIME: plan.time,
            LEMP_BACKUP_RETENTION: String(plan.retention),
            LEMP_BACKUP_DIR: plan.directory,
        };
        super("seed-web:lemp:Backup", name, args.host, facts, env, { after: args.after }, opts);
    }
}

// The replication step: scripts/replication.sh, undone by scripts/undo/replication.sh; the class ReplicationGrants, type token "seed-web:lemp:ReplicationGrants"
// (unchanged from components/lemp.ts: it is in the engine's URNs of deployed stacks).

import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { DatabasePlan } from "../../lib/topology";
import { ReplicationFacts } from "@seed-web/facts";
import { Host } from "../host";
import { common, HostStep, list } from "./host-step";

/** On the primary, once its replicas have their initial copy: the replication account keeps only REPLICATION SLAVE
 * (database.sh grants the copy's privileges while a replica is not streaming yet). Re-runs whenever the primary's or
 * a replica's database step does (the digest of their facts is in its triggers). */
export class ReplicationGrants extends HostStep<ReplicationFacts> {
    constructor(
        name: string,
        args: { host: Host; plan: DatabasePlan; databases: unknown[]; after: pulumi.Resource[] },
        opts?: pulumi.ComponentResourceOptions,
    ) {
        const { plan } = args;
        const facts: ReplicationFacts = { ...common(args.host, "replication"), replicas: plan.replicas.map((r) => r.name), privileges: ["REPLICATION SLAVE"] };
        const env = { LEMP_DB_ENGINE: plan.engine, LEMP_DB_NAME: plan.name, LEMP_DB_REPLICA_HOSTS: list(plan.replicas.map((r) => r.address)) };
        const digest = crypto.createHash("sha256").update(JSON.stringify(args.databases)).digest("hex");
        super("seed-web:lemp:ReplicationGrants", name, args.host, facts, env, { after: args.after, extraTriggers: [digest] }, opts);
    }
}

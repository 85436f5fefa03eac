// The database step: scripts/database.sh, undone by scripts/undo/database.sh; the class Database, type token "seed-web:lemp:Database"
// (unchanged from components/lemp.ts: it is in the engine's URNs of deployed stacks).

import * as pulumi from "@pulumi/pulumi";
import { DatabasePlan } from "../../lib/topology";
import { DatabaseFacts } from "@seed-web/facts";
import { Host } from "../host";
import { common, HostStep, list, pemLine, preexisting } from "./host-step";

/** A database server's TLS material: its key (secret), its certificate and the CA's, all PEM. */
export interface DatabaseTls {
    key: pulumi.Output<string>;
    cert: pulumi.Output<string>;
    ca: pulumi.Output<string>;
}

/** MySQL (Ubuntu) or MariaDB (Debian), secured like mysql_secure_installation, the application's database and user;
 * as a primary or a replica when there are several database hosts. */
export class Database extends HostStep<DatabaseFacts> {
    constructor(
        name: string,
        args: {
            host: Host;
            plan: DatabasePlan;
            appPassword: pulumi.Output<string>;
            replicationPassword?: pulumi.Output<string>;
            /** Required when plan.tls. */
            tls?: DatabaseTls;
            after: pulumi.Resource[];
        },
        opts?: pulumi.ComponentResourceOptions,
    ) {
        const { plan } = args;
        const facts: DatabaseFacts = {
            ...common(args.host, "database"),
            engine: plan.engine,
            memoryMb: args.host.node.tuning.LEMP_TUNE_MEM_MB === "auto" ? "auto" : Number(args.host.node.tuning.LEMP_TUNE_MEM_MB),
            bufferPoolMb: args.host.node.tuning.LEMP_DB_BUFFER_POOL_MB === "auto" ? "auto" : Number(args.host.node.tuning.LEMP_DB_BUFFER_POOL_MB),
            bindAddress: plan.bindAddress,
            port: plan.port,
            name: plan.name,
            user: plan.user,
            clientHosts: plan.clientHosts,
            replication: {
                role: plan.role,
                serverId: plan.serverId,
                ...(plan.primary ? { primary: plan.primary.name } : {}),
                ...(plan.role === "primary" ? { replicas: plan.replicas.map((r) => r.name) } : {}),
            },
            tls: plan.tls,
        };
        const env: Record<string, string> = {
            LEMP_DB_ENGINE: plan.engine,
            LEMP_DB_BIND: plan.bindAddress,
            LEMP_DB_PORT: String(plan.port),
            LEMP_DB_NAME: plan.name,
            LEMP_DB_USER: plan.user,
            LEMP_DB_CLIENT_HOSTS: list(plan.clientHosts),
            LEMP_DB_ROLE: plan.role,
            LEMP_DB_SERVER_ID: String(plan.serverId),
            LEMP_DB_TLS: plan.tls ? "1" : "0",
            ...preexisting(args.host),
            ...args.host.node.tuning,
        };
        // named for re-seeding in this change (dbReseed): only then may a database the step did not copy be dropped
        if (plan.reseed) env.LEMP_DB_RESEED = "1";
        if (plan.role === "primary") env.LEMP_DB_REPLICA_HOSTS = list(plan.replicas.map((r) => r.address));
        // the replicas named for re-seeding: a primary that was the replica of one of them checks it may be re-seeded
        const reseeded = plan.replicas.filter((r) => r.reseed).map((r) => r.address);
        if (reseeded.length > 0) env.LEMP_DB_RESEED_HOSTS = list(reseeded);
        if (plan.primary) {
            env.LEMP_DB_PRIMARY_HOST = plan.primary.address;
            env.LEMP_DB_PRIMARY_PORT = String(plan.port);
        }
        if (plan.role !== "standalone" && !args.replicationPassword) {
            throw new Error(`${name}: a ${plan.role} database needs the replication password`);
        }
        if (plan.tls && !args.tls) throw new Error(`${name}: a database reached over the network needs its TLS certificate`);
        // stdin: the app password, the replication password (primary/replica), the TLS key, certificate and CA
        const secrets: pulumi.Input<string>[] = plan.role === "standalone" ? [args.appPassword] : [args.appPassword, args.replicationPassword!];
        if (plan.tls) secrets.push(pemLine(args.tls!.key), pemLine(args.tls!.cert), pemLine(args.tls!.ca));
        super("seed-web:lemp:Database", name, args.host, facts, env, { after: args.after, secrets }, opts);
    }
}

// The app step: scripts/app.sh, undone by scripts/undo/app.sh; the class Site, type token "seed-web:lemp:Site"
// (unchanged from components/lemp.ts: it is in the engine's URNs of deployed stacks).

import * as pulumi from "@pulumi/pulumi";
import { WebPlan } from "../../lib/topology";
import { AppFacts, HEALTH_PATH } from "@seed-web/facts";
import { Host } from "../host";
import { common, HostStep, pemLine } from "./host-step";

/** The application: a PHP page that reads a row from the database and shows the request flow. */
export class Site extends HostStep<AppFacts> {
    constructor(
        name: string,
        args: { host: Host; web: WebPlan; appPassword: pulumi.Output<string>; dbCa?: pulumi.Output<string>; after: pulumi.Resource[] },
        opts?: pulumi.ComponentResourceOptions,
    ) {
        const { web } = args;
        if (web.db.tls && !args.dbCa) throw new Error(`${name}: a database reached over TLS needs the CA certificate`);
        const facts: AppFacts = {
            ...common(args.host, "app"),
            docRoot: web.docRoot,
            dbHost: web.db.host,
            dbPort: web.db.port,
            dbName: web.db.name,
            dbUser: web.db.user,
            dbTls: web.db.tls,
            healthPath: HEALTH_PATH,
        };
        const env = {
            LEMP_DOC_ROOT: web.docRoot,
            LEMP_DB_HOST: web.db.host,
            LEMP_DB_PORT: String(web.db.port),
            LEMP_DB_NAME: web.db.name,
            LEMP_DB_USER: web.db.user,
            LEMP_DB_TLS: web.db.tls ? "1" : "0",
            ...(web.db.replicasKept ? { LEMP_DB_REPLICAS_KEPT: web.db.replicasKept.join(" ") } : {}),
        };
        // stdin: the app password, then (TLS) the CA certificate
        const secrets: pulumi.Input<string>[] = web.db.tls ? [args.appPassword, pemLine(args.dbCa!)] : [args.appPassword];
        super("seed-web:lemp:Site", name, args.host, facts, env, { after: args.after, secrets }, opts);
    }
}

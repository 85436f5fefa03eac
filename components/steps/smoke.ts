// The smoke step: scripts/smoke.sh, undone by scripts/undo/smoke.sh; the class SmokeCheck, type token "seed-web:lemp:SmokeCheck"
// (unchanged from components/lemp.ts: it is in the engine's URNs of deployed stacks).

import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { TlsPlan } from "../../lib/topology";
import { HEALTH_PATH, HTTP_PORT, SmokeFacts } from "@seed-web/facts";
import { Host } from "../host";
import { common, HostStep, tlsEnv } from "./host-step";

/** The last step on a web host or the load balancer: the static and the PHP page must answer (over HTTPS too, and
 * plain HTTP must redirect, when TLS is on), or the deployment fails. Re-runs whenever anything it checks changed. */
export class SmokeCheck extends HostStep<SmokeFacts> {
    constructor(
        name: string,
        args: { host: Host; serverNames: string[]; tls: TlsPlan; checks: unknown[]; after: pulumi.Resource[]; appHealthPath?: string },
        opts?: pulumi.ComponentResourceOptions,
    ) {
        const facts: SmokeFacts = {
            ...common(args.host, "smoke"),
            serverName: args.serverNames[0],
            paths: args.appHealthPath ? [HEALTH_PATH, args.appHealthPath] : ["/", "/index.php"],
        };
        const env: Record<string, string> = { LEMP_SERVER_NAME: facts.serverName, LEMP_HTTP_PORT: String(HTTP_PORT), ...tlsEnv(args.tls) };
        if (args.appHealthPath) env.LEMP_SMOKE_APP_PATH = args.appHealthPath;
        // One digest of everything it checks: any change re-runs it, without repeating every step's facts here.
        const digest = crypto.createHash("sha256").update(JSON.stringify(args.checks)).digest("hex");
        super("seed-web:lemp:SmokeCheck", name, args.host, facts, env, { after: args.after, extraTriggers: [digest] }, opts);
    }
}

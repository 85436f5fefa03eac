// The lb step: scripts/lb.sh, undone by scripts/undo/lb.sh; the class LoadBalancer, type token "seed-web:lemp:LoadBalancer"
// (unchanged from components/lemp.ts: it is in the engine's URNs of deployed stacks).

import * as pulumi from "@pulumi/pulumi";
import { LbPlan } from "../../lib/topology";
import { HTTP_PORT, LbFacts } from "@seed-web/facts";
import { Host } from "../host";
import { common, HostStep, list, pemLine, tlsEnv } from "./host-step";

/** HAProxy in front of the web hosts: round robin, health checks, TLS terminated here. */
export class LoadBalancer extends HostStep<LbFacts> {
    constructor(
        name: string,
        args: { host: Host; lb: LbPlan; /** The stack's CA certificate (PEM): required when lb.backendTls. */ ca?: pulumi.Output<string>; after: pulumi.Resource[] },
        opts?: pulumi.ComponentResourceOptions,
    ) {
        const { lb } = args;
        if (lb.backendTls && !args.ca) throw new Error(`${name}: backends over TLS need the stack's CA certificate`);
        const facts: LbFacts = {
            ...common(args.host, "lb"),
            engine: "haproxy",
            backends: lb.backends.map((b) => b.name),
            ...(lb.backendTls ? { backendTls: true } : {}),
            algorithm: "roundrobin",
            healthCheck: lb.healthCheck,
            httpPort: HTTP_PORT,
            tls: lb.tls.mode,
            ...(lb.tls.mode === "none" ? {} : { httpsPort: lb.tls.httpsPort }),
            redirectHttp: lb.tls.redirectHttp,
            hstsMaxAge: lb.tls.hstsMaxAge,
            ...(lb.agentPort ? { agentPort: lb.agentPort } : {}),
        };
        const env: Record<string, string> = {
            LEMP_LB_BACKENDS: list(lb.backends.map((b) => `${b.name}=${b.address}:${b.port}`)),
            LEMP_SERVER_NAMES: list(lb.serverNames),
            LEMP_HTTP_PORT: String(facts.httpPort),
            LEMP_HEALTH_PATH: lb.healthCheck,
            ...tlsEnv(lb.tls),
            LEMP_LB_SERVER_MAXCONN: String(lb.serverMaxConn),
            LEMP_LB_QUEUE_TIMEOUT: String(lb.queueTimeout),
            ...(lb.agentPort ? { LEMP_LB_AGENT_PORT: String(lb.agentPort) } : {}),
        };
        // stdin (backends over TLS): the stack's CA certificate, what each backend's certificate is verified against
        let secrets: pulumi.Input<string>[] | undefined;
        if (lb.backendTls) {
            env.LEMP_LB_BACKEND_TLS = "1";
            secrets = [pemLine(args.ca!)];
        }
        // The backends' addresses are in the command text: a changed address re-runs the step.
        super("seed-web:lemp:LoadBalancer", name, args.host, facts, env, { after: args.after, secrets }, opts);
    }
}

// The nginx step: scripts/nginx.sh, undone by scripts/undo/nginx.sh; the class WebServer, type token "seed-web:lemp:WebServer"
// (unchanged from components/lemp.ts: it is in the engine's URNs of deployed stacks).

import * as pulumi from "@pulumi/pulumi";
import { backendTlsName, WebPlan } from "../../lib/topology";
import { HTTP_PORT, NginxFacts } from "@seed-web/facts";
import { Host } from "../host";
import { common, HostStep, list, pemLine, tlsEnv } from "./host-step";

/** A web host's certificate for the balancer → web hop: its key (secret) and certificate, PEM, from the stack's CA. */
export interface BackendTls {
    key: pulumi.Output<string>;
    cert: pulumi.Output<string>;
}

/** Nginx: the site for the domain (and www), its document root and static page, PHP handed to PHP-FPM, TLS. */
export class WebServer extends HostStep<NginxFacts> {
    constructor(
        name: string,
        args: { host: Host; web: WebPlan; /** Required when web.backendTlsPort. */ backendTls?: BackendTls; after: pulumi.Resource[] },
        opts?: pulumi.ComponentResourceOptions,
    ) {
        const { web } = args;
        if (web.backendTlsPort !== undefined && !args.backendTls) throw new Error(`${name}: a web host behind the load balancer needs its TLS certificate`);
        const facts: NginxFacts = {
            ...common(args.host, "nginx"),
            serverNames: web.serverNames,
            docRoot: web.docRoot,
            httpPort: HTTP_PORT,
            tls: web.tls.mode,
            ...(web.tls.mode === "none" ? {} : { httpsPort: web.tls.httpsPort }),
            redirectHttp: web.tls.redirectHttp,
            hstsMaxAge: web.tls.hstsMaxAge,
            php: true,
            trustedProxies: web.trustedProxies,
            ...(web.backendTlsPort !== undefined ? { backendTlsPort: web.backendTlsPort } : {}),
            statusAllow: web.statusAllow,
        };
        const env: Record<string, string> = {
            LEMP_SERVER_NAMES: list(web.serverNames),
            LEMP_DOC_ROOT: web.docRoot,
            LEMP_HTTP_PORT: String(facts.httpPort),
            LEMP_PHP: "1",
            ...tlsEnv(web.tls),
            LEMP_TRUSTED_PROXIES: list(web.trustedProxies),
            LEMP_STATUS_ALLOW: list(web.statusAllow),
            ...args.host.node.tuning,
            // the user's application: served from its live release (scripts/release.sh)
            ...(web.app
                ? { LEMP_APP_BASE: web.app.base, LEMP_APP_DOC_ROOT: web.app.docRoot, LEMP_APP_FRONT_CONTROLLER: web.app.frontController ? "1" : "0" }
                : {}),
        };
        // stdin (behind the balancer): the key and the certificate of the balancer → web hop
        let secrets: pulumi.Input<string>[] | undefined;
        if (web.backendTlsPort !== undefined) {
            env.LEMP_BACKEND_TLS_PORT = String(web.backendTlsPort);
            env.LEMP_BACKEND_TLS_NAME = backendTlsName(args.host.node.name, args.host.node.privateAddress);
            secrets = [pemLine(args.backendTls!.key), pemLine(args.backendTls!.cert)];
        }
        super("seed-web:lemp:WebServer", name, args.host, facts, env, { after: args.after, secrets }, opts);
    }
}

// https-required: the public entry point (the load balancer, else every web host) serves TLS on 443 and redirects
// plain HTTP to HTTPS.

import { stackPolicy } from "../lib/define";
import { PolicyMetadata, SWITCH } from "../lib/metadata";

export const httpsRequiredMetadata: PolicyMetadata = {
    name: "https-required",
    severity: "high",
    defaultLevel: "mandatory",
    designIssue: "Communication: the site is served over plain HTTP on port 80 only",
    improvement: "Use HTTPS with proper SSL certificates",
    remediationSteps:
        "Run `pulumi config set seed-web:tls letsencrypt` and `pulumi config set seed-web:acmeEmail <you@domain>` " +
        "(or `seed-web:tls self-signed` for a test stack): the entry point (the load balancer, else every web host) " +
        "then serves HTTPS on 443 and redirects HTTP to it.",
    fix: "`seed-web:tls letsencrypt` (or `self-signed`)",
    fixKeys: ["tls"],
    security: true,
};

export interface HttpsRequiredSettings {
    /** Port TLS must be served on. */
    httpsPort: number;
}

export const httpsRequired = stackPolicy<HttpsRequiredSettings>({
    metadata: httpsRequiredMetadata,
    description:
        "The public entry point (the load balancer, else every web host) serves HTTPS on 443 and redirects plain HTTP to it.",
    what: "HTTPS",
    settings: {
        httpsPort: {
            type: "integer",
            minimum: 1,
            maximum: 65535,
            kind: "integer",
            default: 443,
            description: "Port the entry point must serve TLS on (inside the host, not a Docker-published port).",
        },
    },
    check({ model, settings, undecided, report }) {
        let entryPoints: string[] = [];
        let viaLb = false;
        undecided.check("the entry points", () => {
            const lbs = model.hostsWithRole("lb");
            viaLb = lbs.length > 0;
            entryPoints = viaLb ? lbs : model.hostsWithRole("web");
        });
        undecided.each(entryPoints, (host) => {
            const step = viaLb ? model.step(host, "lb") : model.step(host, "nginx");
            const what = viaLb ? "load balancer" : "web host";
            if (!step) {
                report(
                    `entry point ${host} (${what}) has no ${viaLb ? "lb" : "nginx"} step carrying facts, so nothing ` +
                        `shows it serves HTTPS. Fix: ${SWITCH.tls}; the program must attach its facts.`,
                    model.urn(host),
                );
                return;
            }
            const { tls, redirectHttp } = step.facts;
            if (tls === "none") {
                report(
                    `entry point ${host} (${what}) serves plain HTTP only: no TLS on ${settings.httpsPort}, ` +
                        `no redirect to HTTPS. Fix: ${SWITCH.tls}.`,
                    step.urn,
                );
                return;
            }
            const httpsPort = step.facts.httpsPort ?? 443;
            if (httpsPort !== settings.httpsPort) {
                report(
                    `entry point ${host} (${what}) serves TLS on port ${httpsPort}, not ${settings.httpsPort}. ` +
                        `Fix: serve HTTPS on ${settings.httpsPort} (${SWITCH.tls}).`,
                    step.urn,
                );
            }
            if (redirectHttp !== true) {
                report(
                    `entry point ${host} (${what}) serves TLS (${tls}) but answers plain HTTP without redirecting ` +
                        `to HTTPS. Fix: ${SWITCH.tls} (the program redirects HTTP whenever TLS is on).`,
                    step.urn,
                );
            }
            // Observed by `npm run verify` (the program serves TLS 1.2 and 1.3 only and records no versions).
            const weak = (step.facts.tlsProtocols ?? []).filter((p) => p === "TLSv1" || p === "TLSv1.1");
            if (weak.length > 0) {
                report(
                    `entry point ${host} (${what}) accepts ${weak.join(" and ")} handshakes, protocol versions with ` +
                        `known weaknesses. Fix: serve TLSv1.2 and TLSv1.3 only (apply the program again: its ` +
                        `${viaLb ? "HAProxy" : "Nginx"} configuration does).`,
                    step.urn,
                );
            }
        });
    },
});

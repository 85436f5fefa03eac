// trusted-certificate: the TLS certificate a host serves is not self-signed. One resource decides: the nginx or lb
// step of the host, so this is a resource policy.

import { FACTS_SCHEMA, factsOf, parseCommandName, REMOTE_COMMAND_TYPE } from "@seed-web/facts";
import { resourcePolicy } from "../lib/define";
import { PolicyMetadata, SWITCH } from "../lib/metadata";
import { isUnknownValueError } from "../lib/unknown";

export const trustedCertificateMetadata: PolicyMetadata = {
    name: "trusted-certificate",
    severity: "medium",
    defaultLevel: "advisory",
    designIssue: "Communication: no HTTPS with a certificate browsers trust",
    improvement: "Use HTTPS with proper SSL certificates",
    remediationSteps:
        "Run `pulumi config set seed-web:tls letsencrypt` and `pulumi config set seed-web:acmeEmail <you@domain>`: " +
        "the entry point then gets a Let's Encrypt certificate instead of a self-signed one.",
    fix: "`seed-web:tls letsencrypt`",
    fixKeys: ["tls"],
    security: true,
};

export const trustedCertificate = resourcePolicy({
    metadata: trustedCertificateMetadata,
    description: "HTTPS is served with a certificate browsers trust, not a self-signed one.",
    what: "the certificate",
    check(args, { undecided, report }) {
        if (args.type !== REMOTE_COMMAND_TYPE) return;
        undecided.check(args.name, () => {
            let facts;
            try {
                facts = factsOf(args.props);
            } catch (e) {
                // Unknown facts: only a step that serves TLS matters; the name tells which one it is.
                const step = parseCommandName(args.name)?.step;
                if (isUnknownValueError(e) && step !== undefined && step !== "nginx" && step !== "lb") return;
                throw e;
            }
            if (!facts || facts.schema !== FACTS_SCHEMA || (facts.step !== "nginx" && facts.step !== "lb")) return;
            if (facts.tls === "self-signed") {
                report(
                    `${facts.host} serves HTTPS with a self-signed certificate (${facts.step} step): browsers warn every ` +
                        `visitor and cannot tell the site from an impostor. Fix: ${SWITCH.letsencrypt}.`,
                );
            }
        });
    },
});

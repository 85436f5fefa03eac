// firewall-required: every host runs a firewall that denies inbound traffic by default and opens to everybody only
// the public ports.

import { stackPolicy } from "../lib/define";
import { PolicyMetadata, SWITCH } from "../lib/metadata";
import { isAnywhere } from "../lib/net";

export const firewallRequiredMetadata: PolicyMetadata = {
    name: "firewall-required",
    severity: "high",
    defaultLevel: "mandatory",
    designIssue: "Security Concerns: no dedicated firewall",
    improvement: "Add a firewall in front of every server",
    remediationSteps:
        "Run `pulumi config set seed-web:firewall true`: every host then gets a ufw firewall that denies inbound " +
        "traffic by default and opens to everybody only the ports its roles serve (SSH, and 80/443 on the entry point) " +
        "plus seed-web:firewallAllowPorts (extra public ports, none by default), and the database port only to the " +
        "application hosts. This policy's publicPorts setting (default 22, 80, 443) lists the ports a firewall may " +
        "open to everybody.",
    fix: "`seed-web:firewall true`",
    fixKeys: ["firewall"],
    security: true,
};

export interface FirewallRequiredSettings {
    /** Ports a firewall may open to everybody. */
    publicPorts: number[];
}

export const firewallRequired = stackPolicy<FirewallRequiredSettings>({
    metadata: firewallRequiredMetadata,
    description:
        "Every host runs a firewall that denies inbound traffic by default and opens only the public ports to everybody.",
    what: "the firewall",
    settings: {
        publicPorts: {
            type: "array",
            items: { type: "integer", minimum: 1, maximum: 65535 },
            kind: "integers",
            default: [22, 80, 443],
            description: "Ports a host's firewall may open to everybody.",
        },
    },
    check({ model, settings, undecided, report }) {
        undecided.each(model.hosts(), (host) => {
            const fw = model.step(host, "firewall");
            if (!fw) {
                report(
                    `${host} has no firewall: every port it listens on is reachable from the network. ` +
                        `Fix: ${SWITCH.firewall}.`,
                    model.urn(host),
                );
                return;
            }
            const { defaultInbound, rules } = fw.facts;
            if (defaultInbound !== "deny") {
                report(
                    `${host}'s firewall accepts inbound traffic by default (defaultInbound ${defaultInbound}), so it ` +
                        `blocks nothing. Fix: ${SWITCH.firewall} (the program sets a deny-by-default policy).`,
                    fw.urn,
                );
            }
            const extra = [...new Set(rules.filter((r) => isAnywhere(r.from) && !settings.publicPorts.includes(r.port)).map((r) => r.port))];
            if (extra.length > 0) {
                report(
                    `${host}'s firewall opens port${extra.length > 1 ? "s" : ""} ${extra.join(", ")} to everybody; only ` +
                        `${settings.publicPorts.join(", ")} may be public. Fix: remove ${extra.join(", ")} from ` +
                        `${SWITCH.firewallAllowPorts} (or add them to this policy's publicPorts if they are meant to be public).`,
                    fw.urn,
                );
            }
        });
    },
});

// database-not-exposed: MySQL is not reachable from outside on its port.
//
// Violations:
// - the database listens on a non-loopback address and its host has no deny-by-default firewall, or the firewall
//   opens the database port to everybody, or to an address that is not one of the application hosts;
// - a Docker container publishes the database port on a non-loopback address of the Docker machine and the
//   container's own firewall does not filter it. A published port bypasses the Docker machine's firewall (Docker's
//   DNAT rules forward it before the machine's INPUT chain), then enters the container, whose ufw (the firewall step
//   runs inside the container) still filters it: with a deny-by-default firewall that keeps the port closed, the
//   published port reaches nothing.
// A database on its own host that only the application hosts may reach is fine.

import { commandName } from "@seed-web/facts";
import { list, stackPolicy } from "../lib/define";
import { PolicyMetadata, SWITCH } from "../lib/metadata";
import { isAnywhere, isLoopback, isSingleHost } from "../lib/net";

export const databaseNotExposedMetadata: PolicyMetadata = {
    name: "database-not-exposed",
    severity: "critical",
    defaultLevel: "mandatory",
    designIssue: "Security Concerns: database exposed on default port (MySQL on 3306)",
    improvement: "Separate database server reachable only by the application",
    remediationSteps:
        "When the database shares the host with the application, run `pulumi config set seed-web:dbBindAddress 127.0.0.1`. " +
        "When it has a host of its own, run `pulumi config set seed-web:firewall true`: the firewall then opens the " +
        "database port only to the application hosts. For a local Docker host, drop `dbPort` from its connection in " +
        "seed-web:hosts (or set its `bindAddress` to 127.0.0.1) so the port is not published on the network.",
    fix: "`seed-web:dbBindAddress 127.0.0.1`, or `seed-web:firewall true` for a separate db host; no published dbPort",
    fixKeys: ["dbBindAddress", "firewall", "hosts"],
    security: true,
};

export interface DatabaseNotExposedSettings {
    /** Container ports treated as database ports (besides the port of the host's database step). */
    databasePorts: number[];
}

export const databaseNotExposed = stackPolicy<DatabaseNotExposedSettings>({
    metadata: databaseNotExposedMetadata,
    description: "MySQL is reachable only from its own host or from the application hosts, never from outside.",
    what: "database exposure",
    settings: {
        databasePorts: {
            type: "array",
            items: { type: "integer", minimum: 1, maximum: 65535 },
            kind: "integers",
            default: [3306],
            description: "Container ports treated as database ports, besides the port of the host's database step.",
        },
    },
    check({ model, settings, undecided, report }) {
        const hosts = model.hosts();

        // 1. Where MySQL listens, against the firewall of its host.
        undecided.each(hosts, (host) => {
            const db = model.step(host, "database");
            if (!db) {
                if (model.hasRole(host, "db")) {
                    report(
                        `${host} has the db role but no database step carrying facts, so nothing shows MySQL is not ` +
                            `exposed; the program must attach DatabaseFacts to ${commandName(host, "database")}.`,
                        model.urn(host),
                    );
                }
                return;
            }
            const { bindAddress, port } = db.facts;
            if (isLoopback(bindAddress)) return;
            const shared = model.hasRole(host, "app") || model.hasRole(host, "web");
            const fix = shared
                ? `${SWITCH.dbBind} (the application runs on ${host} too), or ${SWITCH.firewall}`
                : `${SWITCH.firewall} (the firewall then opens ${port} only to the application hosts)`;
            const fw = model.step(host, "firewall");
            const denies = fw?.facts.defaultInbound === "deny";
            if (!fw || !denies) {
                report(
                    `MySQL on ${host} listens on ${bindAddress}:${port} and ${host} has ${fw ? "a firewall that accepts inbound traffic by default" : "no firewall"}: ` +
                        `anyone who reaches ${host} can connect to the database. Fix: ${fix}.`,
                    db.urn,
                );
                return;
            }
            const rules = fw.facts.rules.filter((r) => r.port === port);
            const open = rules.filter((r) => isAnywhere(r.from));
            if (open.length > 0) {
                report(
                    `MySQL on ${host} listens on ${bindAddress}:${port} and ${host}'s firewall opens ${port} to everybody. ` +
                        `Fix: remove ${port} from ${SWITCH.firewallAllowPorts}${shared ? `, or ${SWITCH.dbBind} (the application runs on ${host} too)` : ""}.`,
                    fw.urn,
                );
                return;
            }
            const addressOf = (h: string) => model.step(h, "base")?.facts.privateAddress ?? h;
            const appAddresses = model.hostsWithRole("app").map(addressOf);
            // Replication: a replica connects to its primary's MySQL port (and the primary's facts name it).
            const rep = db.facts.replication;
            const peerAddresses = [...(rep?.primary ? [rep.primary] : []), ...(rep?.replicas ?? [])].map(addressOf);
            const strangers = rules
                .map((r) => r.from)
                .filter((from) => !isLoopback(from) && ![...appAddresses, ...peerAddresses].some((a) => isSingleHost(from, a)));
            if (strangers.length > 0) {
                report(
                    `MySQL on ${host} listens on ${bindAddress}:${port} and ${host}'s firewall lets ${list(strangers)} reach ` +
                        `${port}, which ${strangers.length > 1 ? "are not application hosts" : "is not an application host"} ` +
                        `(${list(appAddresses) || "none"}${peerAddresses.length ? `; replication peers: ${list(peerAddresses)}` : ""}). Fix: allow ${port} only from the application hosts ` +
                        `(the program's own firewall rules do; remove other rules for ${port}).`,
                    fw.urn,
                );
            }
        });

        // 2. Database ports a container publishes on the Docker machine's network.
        for (const container of model.containers) {
            const host = container.name;
            undecided.check(`container ${host}`, () => {
                const dbPorts = new Set(settings.databasePorts);
                const db = model.step(host, "database");
                if (db) dbPorts.add(db.facts.port);
                // The container's own firewall filters what a published port forwards into it.
                const fw = model.step(host, "firewall");
                const filtered = (port: number) =>
                    fw?.facts.defaultInbound === "deny" && !fw.facts.rules.some((r) => r.port === port && isAnywhere(r.from));
                const ports: unknown = container.props.ports;
                if (ports === undefined || ports === null) return;
                if (!Array.isArray(ports)) {
                    throw new Error(`container ${host}: ports is not a list`);
                }
                for (const p of ports as { internal: number; external?: number; ip?: string }[]) {
                    if (!dbPorts.has(p.internal)) continue;
                    // The Docker provider publishes on every interface when no ip is given.
                    const ip = p.ip === undefined || p.ip === "" ? "0.0.0.0" : p.ip;
                    if (isLoopback(ip) || filtered(p.internal)) continue;
                    report(
                        `container ${host} publishes the database port ${p.internal} on ${ip}:${p.external ?? p.internal}, ` +
                            `reachable from the network: a published port bypasses the Docker machine's firewall, and ` +
                            `${fw ? "the container's firewall accepts inbound traffic by default or opens " + p.internal + " to everybody" : "the container has no firewall of its own"}. ` +
                            `Fix: in ${SWITCH.hosts}, drop dbPort from ${host}'s connection or set its bindAddress to 127.0.0.1, ` +
                            `or ${SWITCH.firewall} (the container's firewall then keeps ${p.internal} closed).`,
                        container.urn,
                    );
                }
            });
        }
    },
});

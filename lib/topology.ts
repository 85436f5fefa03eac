// The topology model: from validated config to hosts with roles and what each must run.
//
// One server holding web, app and db is the simple case of the same model that describes a load balancer in front
// of several web hosts and a database host of its own; nothing below special-cases the seed design.

import { HostConnectionSpec, Role, StackConfig, TlsMode } from "./config";
import { FirewallRule } from "./facts";

export interface DnsRecord {
    name: string;
    type: "A" | "CNAME";
    value: string;
    ttl: number;
}

export interface DatabasePlan {
    bindAddress: string;
    port: number;
    name: string;
    user: string;
    /** MySQL host patterns the application user may connect from. */
    clientHosts: string[];
}

export interface WebPlan {
    serverNames: string[];
    docRoot: string;
    tls: TlsMode;
    redirectHttp: boolean;
    /** Where PHP reaches MySQL from this host. */
    db: { host: string; port: number; name: string; user: string };
}

export interface FirewallPlan {
    rules: FirewallRule[];
}

export interface HostNode {
    name: string;
    roles: Role[];
    connection: HostConnectionSpec;
    /** Address the other hosts use to reach this one. */
    privateAddress: string;
    web?: WebPlan;
    database?: DatabasePlan;
    firewall?: FirewallPlan;
}

export interface Topology {
    domain: string;
    serverNames: string[];
    publicIp: string;
    siteUrl: string;
    dns: DnsRecord[];
    hosts: HostNode[];
    /** The hosts that receive the public traffic: the load balancer, else every web host. */
    entryPoints: string[];
    monitoring: boolean;
    backups: boolean;
}

/** Containers on the project's Docker network get fixed addresses from this /24, in host order. */
export const DOCKER_SUBNET = "172.30.88.0/24";
export function dockerAddress(index: number): string {
    return `172.30.88.${10 + index}`;
}

export function buildTopology(cfg: StackConfig): Topology {
    const serverNames = cfg.www ? [cfg.domain, `www.${cfg.domain}`] : [cfg.domain];
    const docRoot = `/var/www/${cfg.domain}`;
    const addressOf = (i: number) => {
        const c = cfg.hosts[i].connection;
        return c.type === "ssh" ? c.privateAddress : dockerAddress(i);
    };
    const dbIndex = cfg.hosts.findIndex((h) => h.roles.includes("db"));
    const dbHost = cfg.hosts[dbIndex];
    const appHosts = cfg.hosts.map((h, i) => ({ h, i })).filter(({ h }) => h.roles.includes("app"));
    const lb = cfg.hosts.find((h) => h.roles.includes("lb"));
    const webHosts = cfg.hosts.filter((h) => h.roles.includes("web"));

    const clientHosts = appHosts.map(({ h, i }) => (h === dbHost ? "localhost" : addressOf(i)));

    const hosts: HostNode[] = cfg.hosts.map((h, i) => {
        const node: HostNode = { name: h.name, roles: [...h.roles], connection: h.connection, privateAddress: addressOf(i) };
        if (h.roles.includes("web")) {
            node.web = {
                serverNames,
                docRoot,
                // Behind a load balancer TLS terminates there; the web hosts speak plain HTTP to it.
                tls: lb ? "none" : cfg.tls,
                redirectHttp: !lb && cfg.tls !== "none",
                db: {
                    host: h === dbHost ? "localhost" : addressOf(dbIndex),
                    port: cfg.db.port,
                    name: cfg.db.name,
                    user: cfg.db.user,
                },
            };
        }
        if (h === dbHost) {
            node.database = {
                bindAddress: cfg.db.bindAddress,
                port: cfg.db.port,
                name: cfg.db.name,
                user: cfg.db.user,
                clientHosts,
            };
        }
        if (cfg.firewall) {
            const rules: FirewallRule[] = cfg.firewallAllowPorts.map((port) => ({ port, proto: "tcp", from: "any" }));
            if (h === dbHost) {
                for (const client of clientHosts) {
                    if (client !== "localhost") rules.push({ port: cfg.db.port, proto: "tcp", from: client });
                }
            }
            node.firewall = { rules };
        }
        return node;
    });

    return {
        domain: cfg.domain,
        serverNames,
        publicIp: cfg.publicIp,
        siteUrl: `${cfg.tls === "none" ? "http" : "https"}://${serverNames[serverNames.length - 1]}/`,
        dns: [
            { name: `${cfg.domain}.`, type: "A", value: cfg.publicIp, ttl: 3600 },
            ...(cfg.www ? [{ name: `www.${cfg.domain}.`, type: "CNAME" as const, value: `${cfg.domain}.`, ttl: 3600 }] : []),
        ],
        hosts,
        entryPoints: lb ? [lb.name] : webHosts.map((h) => h.name),
        monitoring: cfg.monitoring,
        backups: cfg.backups,
    };
}

/** The DNS records as a zone-file snippet, ready to paste into the domain's zone. */
export function zoneFile(records: DnsRecord[]): string {
    return records.map((r) => `${r.name.padEnd(24)} ${String(r.ttl).padEnd(6)} IN ${r.type.padEnd(6)} ${r.value}`).join("\n") + "\n";
}

// The topology model: from validated config to hosts with roles and what each must run.
//
// One server holding web, app and db is the simple case of the same model that describes a load balancer in front
// of several web hosts, a database primary with replicas, firewalls between them; nothing below special-cases the
// seed design.

import * as crypto from "crypto";
import { AppConfig, HostConnectionSpec, StackConfig } from "./config";
import { BACKUP_DIR, DbEngine, FirewallRule, HEALTH_PATH, HTTP_PORT, HTTPS_PORT, NODE_EXPORTER_PORT, Role, STATUS_PORT, STEP_NAMES, StepName, TlsMode } from "@seed-web/facts";

export interface DnsRecord {
    name: string;
    type: "A" | "CNAME";
    value: string;
    ttl: number;
}

export interface TlsPlan {
    mode: TlsMode;
    httpsPort: number;
    redirectHttp: boolean;
    hstsMaxAge: number;
}

export interface DatabasePlan {
    /** The server: auto = the distribution's own. */
    engine: DbEngine;
    bindAddress: string;
    port: number;
    name: string;
    user: string;
    /** MySQL host patterns the application user may connect from. */
    clientHosts: string[];
    role: "standalone" | "primary" | "replica";
    serverId: number;
    /** Replica: the primary. */
    primary?: { name: string; address: string };
    /** Primary: its replicas (reseed: named in dbReseed). */
    replicas: { name: string; address: string; reseed?: boolean }[];
    /** Replica: named in dbReseed, its local database may be dropped and copied again from the primary. */
    reseed?: boolean;
    /** TLS: a certificate for its private address (from the stack's CA), REQUIRE SSL for every remote account,
     * replication verified against the CA. On whenever a client or a replica reaches it over the network. */
    tls: boolean;
}

export interface WebPlan {
    serverNames: string[];
    docRoot: string;
    /** TLS served by this host (none behind a load balancer: TLS ends there). */
    tls: TlsPlan;
    /** The load balancer's address, when behind one. */
    trustedProxies: string[];
    /** Who may read the status pages (monitoring); empty = no status server. */
    statusAllow: string[];
    /** Where PHP reaches MySQL from this host; tls: over TLS, the server verified against the stack's CA (remote). */
    db: {
        host: string;
        port: number;
        name: string;
        user: string;
        tls: boolean;
        /** The db hosts that stay replicas in this change without being named in dbReseed ("localhost": this host):
         * the application never switches away from one of them (the new primary's database step refuses that change,
         * and the application would be left on a read-only server). Absent when none. */
        replicasKept?: string[];
    };
    /** Behind a load balancer: the port of the site over TLS for the balancer only, with a certificate for the host's
     * private address from the stack's CA; plain HTTP then answers on the loopback only (the smoke check). */
    backendTlsPort?: number;
    /** The user's application (appSource), served from its releases instead of the demo page. */
    app?: AppPlan;
}

/** The user's application on a web host (scripts/release.sh). */
export interface AppPlan {
    /** <base>/releases/<id>, <base>/current (the live one), <base>/shared. */
    base: string;
    /** The release to serve. */
    release: string;
    /** The release in appSource, shipped to the host (none on a rollback to a kept release: nothing is uploaded). */
    upload?: { source: string; id: string };
    docRoot: string;
    /** What Nginx serves: <base>/current[/<docRoot>]. */
    root: string;
    shared: string[];
    keepReleases: number;
    healthPath: string;
    frontController: boolean;
    /** appMigrate, on the first web host only ("" elsewhere). */
    migrate: string;
    /** composer.json: `composer install --no-dev` when a release is staged, and the PHP extensions it declares. */
    composer: boolean;
    extensions: string[];
    /** Behind the load balancer: the host drains itself through HAProxy's agent-check before its switch. */
    agent?: { port: number; bind: string; balancer: string };
}

export interface LbPlan {
    serverNames: string[];
    backends: { name: string; address: string; port: number }[];
    /** The backends (health checks included) over TLS, each verified against the stack's CA for its address. */
    backendTls: boolean;
    healthCheck: string;
    tls: TlsPlan;
    /** HAProxy's maxconn per web host and queue timeout (s): the serving profile. */
    serverMaxConn: number;
    queueTimeout: number;
    /** The web hosts' agent port (the user's application: a web host drains itself before a release switch). */
    agentPort?: number;
}

export interface CertbotPlan {
    serverNames: string[];
    email: string;
    server: string;
    mode: "webroot" | "haproxy";
}

export interface MonitoringPlan {
    /** The node exporter's address: the host's private address when some address may scrape it, else 127.0.0.1. */
    listen: string;
    port: number;
    allowFrom: string[];
}

export interface BackupPlan {
    /** The database server's engine (its dump options). */
    engine: DbEngine;
    database: string;
    time: string;
    retention: number;
    directory: string;
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
    lb?: LbPlan;
    certbot?: CertbotPlan;
    database?: DatabasePlan;
    firewall?: FirewallPlan;
    monitoring?: MonitoringPlan;
    backup?: BackupPlan;
    /** The serving profile's settings for this host's steps (LEMP_TUNE_* and the overrides; scripts/lib/tune.sh lemp_tune). */
    tuning: Record<string, string>;
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
    tls: TlsMode;
    firewall: boolean;
    monitoring: boolean;
    backups: boolean;
}

/** Containers on the project's Docker network get fixed addresses from this /24, in host order. */
export const DOCKER_SUBNET = "172.30.88.0/24";
export function dockerAddress(index: number): string {
    // .10 to .254: config.MAX_HOSTS keeps every host inside the /24
    if (!Number.isInteger(index) || index < 0 || index > 244) throw new RangeError(`no Docker address for host #${index} in ${DOCKER_SUBNET}`);
    return `172.30.88.${10 + index}`;
}

/**
 * A replicated server's server_id: from its host name, not its place in the list. A reordered list must not swap
 * two servers' ids (a replica skips the events that carry its own id: it would skip the rows its new source wrote
 * under the id it had before).
 */
export function serverIdOf(name: string): number {
    return 2 + (crypto.createHash("sha256").update(name).digest().readUInt32BE(0) % 4000000000);
}

// Shared with the tools (packages/facts/constants.ts), re-exported under the names callers import from here.
export { BACKUP_DIR, NODE_EXPORTER_PORT, STATUS_PORT };
/** A web host behind the load balancer serves the site to it over TLS on this port (public TLS ends at the balancer). */
export const BACKEND_TLS_PORT = 443;
/** A web host's answer to HAProxy's agent-check (ready or drain: scripts/release.sh), open to the balancer only. */
export const LB_AGENT_PORT = 8008;

/**
 * The name HAProxy verifies a web host's certificate for (`verifyhost`; it matches DNS names only, never an IP
 * address): its private address when that is a DNS name, else `<host>.seed-web.invalid` (.invalid: never a real
 * name, RFC 2606), which its certificate from the stack's CA names besides the address. scripts/lb.sh derives the same.
 */
export function backendTlsName(hostName: string, address: string): string {
    return /^[0-9.]+$/.test(address) || address.includes(":") ? `${hostName}.seed-web.invalid` : address;
}

export function buildTopology(cfg: StackConfig): Topology {
    const serverNames = cfg.www ? [cfg.domain, `www.${cfg.domain}`] : [cfg.domain];
    const docRoot = `/var/www/${cfg.domain}`;
    const address = new Map(
        cfg.hosts.map((h, i) => [h, h.connection.type === "ssh" ? h.connection.privateAddress : dockerAddress(i)]),
    );
    const withRole = (role: Role) => cfg.hosts.filter((h) => h.roles.includes(role));
    const [lb] = withRole("lb");
    const webHosts = withRole("web");
    const appHosts = withRole("app");
    // the primary is named (config: dbPrimary), never the first in the list: an inserted or reordered db host must
    // not turn the server that holds the live rows into a replica of an empty one
    const primary = withRole("db").find((h) => h.name === cfg.db.primary)!;
    const replicas = withRole("db").filter((h) => h !== primary);
    const kept = replicas.filter((r) => !cfg.db.reseed.includes(r.name));
    const entry = lb ? [lb] : webHosts;

    const tlsAtEntry: TlsPlan = {
        mode: cfg.tls,
        httpsPort: HTTPS_PORT,
        redirectHttp: cfg.tls !== "none",
        hstsMaxAge: cfg.tls === "none" ? 0 : cfg.hstsMaxAge,
    };
    const plainHttp: TlsPlan = { mode: "none", httpsPort: HTTPS_PORT, redirectHttp: false, hstsMaxAge: 0 };
    const clientHosts = appHosts.map((h) => (h === primary ? "localhost" : address.get(h)!));
    const monitoringAllow = cfg.monitoring ? cfg.monitoringAllowFrom : [];

    const bindFor = (h: (typeof cfg.hosts)[number]): string => {
        if (cfg.db.bindAddress !== "auto") return cfg.db.bindAddress;
        // Loopback when only this host uses it; its private address when app hosts or replicas connect.
        const alone = h === primary && replicas.length === 0 && appHosts.every((a) => a === primary);
        return alone ? "127.0.0.1" : address.get(h)!;
    };

    const hosts: HostNode[] = cfg.hosts.map((h) => {
        const t = cfg.tuning;
        const tuning: Record<string, string> = {
            LEMP_TUNE_MEM_MB: String(t.memoryMb),
            LEMP_TUNE_SHARED: h.roles.includes("web") && h.roles.includes("db") ? "1" : "0",
            LEMP_TUNE_WEB_HOSTS: String(webHosts.length),
            LEMP_PHP_MAX_CHILDREN: String(t.phpMaxChildren),
            LEMP_TUNE_PHP_WORKER_MB: String(t.phpWorkerMb),
            LEMP_PHP_JIT: t.phpJit,
            LEMP_DB_BUFFER_POOL_MB: String(t.dbBufferPoolMb),
        };
        const node: HostNode = { name: h.name, roles: [...h.roles], connection: h.connection, privateAddress: address.get(h)!, tuning };
        const rules: FirewallRule[] = [];
        const ruleKeys = new Set<string>();   // a Set, not a scan of `rules`: linear in the number of rules
        const allow = (port: number, from: string[] | "any") => {
            for (const f of from === "any" ? ["any"] : from) {
                const key = `${port} ${f}`;
                if (!ruleKeys.has(key)) {
                    ruleKeys.add(key);
                    rules.push({ port, proto: "tcp", from: f });
                }
            }
        };
        allow(h.connection.type === "ssh" ? h.connection.port : 22, "any");

        if (h.roles.includes("web")) {
            node.web = {
                serverNames,
                docRoot,
                tls: lb ? plainHttp : tlsAtEntry,
                trustedProxies: lb ? [address.get(lb)!] : [],
                // the status server always answers the host itself; the firewall opens it to the monitoring addresses
                statusAllow: cfg.monitoring ? ["127.0.0.1", ...monitoringAllow] : [],
                db: {
                    host: h === primary ? "localhost" : address.get(primary)!,
                    port: cfg.db.port,
                    name: cfg.db.name,
                    user: cfg.db.user,
                    tls: h !== primary,
                    ...(kept.length > 0 ? { replicasKept: kept.map((r) => (r === h ? "localhost" : address.get(r)!)) } : {}),
                },
                ...(lb ? { backendTlsPort: BACKEND_TLS_PORT } : {}),
            };
            if (cfg.app) {
                node.web.app = appPlan(cfg, cfg.app, h === webHosts[0]);
                if (lb) {
                    node.web.app.agent = { port: LB_AGENT_PORT, bind: address.get(h)!, balancer: address.get(lb)! };
                    allow(LB_AGENT_PORT, [address.get(lb)!]);
                }
            }
            // the balancer reaches the site over TLS only (plain HTTP answers the loopback)
            if (lb) allow(BACKEND_TLS_PORT, [address.get(lb)!]);
            if (cfg.monitoring) allow(STATUS_PORT, monitoringAllow);
        }
        if (h === lb) {
            node.lb = {
                serverNames,
                backends: webHosts.map((w) => ({ name: w.name, address: address.get(w)!, port: BACKEND_TLS_PORT })),
                backendTls: true,
                // PHP and the application's database connection, not only Nginx (scripts/app.sh)
                healthCheck: HEALTH_PATH,
                tls: tlsAtEntry,
                serverMaxConn: cfg.tuning.lbServerMaxConn,
                queueTimeout: cfg.tuning.lbQueueTimeout,
                ...(cfg.app ? { agentPort: LB_AGENT_PORT } : {}),
            };
        }
        if (entry.includes(h)) {
            allow(HTTP_PORT, "any");
            if (cfg.tls !== "none") allow(HTTPS_PORT, "any");
            if (cfg.tls === "letsencrypt") {
                node.certbot = { serverNames, email: cfg.acmeEmail!, server: cfg.acmeServer, mode: h === lb ? "haproxy" : "webroot" };
            }
        }
        if (h.roles.includes("db")) {
            const isPrimary = h === primary;
            node.database = {
                engine: cfg.db.engine,
                bindAddress: bindFor(h),
                port: cfg.db.port,
                name: cfg.db.name,
                user: cfg.db.user,
                clientHosts,
                role: replicas.length === 0 ? "standalone" : isPrimary ? "primary" : "replica",
                serverId: replicas.length === 0 ? 1 : serverIdOf(h.name),
                primary: isPrimary ? undefined : { name: primary.name, address: address.get(primary)! },
                replicas: isPrimary ? replicas.map((r) => ({ name: r.name, address: address.get(r)!, ...(cfg.db.reseed.includes(r.name) ? { reseed: true } : {}) })) : [],
                tls: replicas.length > 0 || clientHosts.some((c) => c !== "localhost"),
                ...(!isPrimary && cfg.db.reseed.includes(h.name) ? { reseed: true } : {}),
            };
            const remoteClients = clientHosts.filter((c) => c !== "localhost");
            allow(cfg.db.port, isPrimary ? [...remoteClients, ...replicas.map((r) => address.get(r)!)] : remoteClients);
            if (isPrimary && cfg.backups) {
                node.backup = { engine: cfg.db.engine, database: cfg.db.name, time: cfg.backupTime, retention: cfg.backupRetention, directory: BACKUP_DIR };
            }
        }
        if (cfg.monitoring) {
            // never every address: the private one, where the allowed addresses reach it; loopback when none may
            const listen = monitoringAllow.length > 0 ? address.get(h)! : "127.0.0.1";
            node.monitoring = { listen, port: NODE_EXPORTER_PORT, allowFrom: monitoringAllow };
            allow(NODE_EXPORTER_PORT, monitoringAllow);
        }
        for (const p of cfg.firewallAllowPorts) allow(p, "any");
        if (cfg.firewall) node.firewall = { rules };
        return node;
    });

    const scheme = cfg.tls === "none" ? "http" : "https";
    return {
        domain: cfg.domain,
        serverNames,
        publicIp: cfg.publicIp,
        siteUrl: `${scheme}://${serverNames[serverNames.length - 1]}/`,
        dns: [
            { name: `${cfg.domain}.`, type: "A", value: cfg.publicIp, ttl: 3600 },
            ...(cfg.www ? [{ name: `www.${cfg.domain}.`, type: "CNAME" as const, value: `${cfg.domain}.`, ttl: 3600 }] : []),
        ],
        hosts,
        entryPoints: entry.map((h) => h.name),
        tls: cfg.tls,
        firewall: cfg.firewall,
        monitoring: cfg.monitoring,
        backups: cfg.backups,
    };
}

/** Where a site's releases live: next to the demo's document root, never inside what Nginx serves. */
export const appBase = (domain: string) => `/var/www/${domain}-app`;

function appPlan(cfg: StackConfig, app: AppConfig, first: boolean): AppPlan {
    const base = appBase(cfg.domain);
    const release = app.release || app.releaseId;
    return {
        base,
        release,
        ...(release === app.releaseId ? { upload: { source: app.source, id: app.releaseId } } : {}),
        docRoot: app.docRoot,
        root: app.docRoot === "" ? `${base}/current` : `${base}/current/${app.docRoot}`,
        shared: app.shared,
        keepReleases: app.keepReleases,
        healthPath: app.healthPath,
        frontController: app.frontController,
        migrate: first ? app.migrate : "",
        composer: app.composer,
        extensions: app.extensions,
    };
}

/** The steps a host runs besides base and the checks, in the order of STEP_NAMES. */
export function hostSteps(h: HostNode): StepName[] {
    const has: Partial<Record<StepName, boolean>> = {
        firewall: !!h.firewall,
        php: !!h.web,
        nginx: !!h.web,
        database: !!h.database,
        lb: !!h.lb,
        certbot: !!h.certbot,
        monitoring: !!h.monitoring,
        backup: !!h.backup,
        release: !!h.web?.app?.agent,
    };
    return STEP_NAMES.filter((s) => has[s]);
}

/** The DNS records as a zone-file snippet, ready to paste into the domain's zone. */
export function zoneFile(records: DnsRecord[]): string {
    return records.map((r) => `${r.name.padEnd(24)} ${String(r.ttl).padEnd(6)} IN ${r.type.padEnd(6)} ${r.value}`).join("\n") + "\n";
}

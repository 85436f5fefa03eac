// Typed facts: what each provisioning step applies to a host, in a form the engine records and policies read.
//
// Every remote command the program registers carries its `StepFacts` as the first element of its `triggers`, so
// (1) changing a setting re-runs exactly the steps whose facts changed, and (2) the policy pack reads settings from
// typed resource inputs instead of parsing shell text. This module has no Pulumi imports: the policy pack uses it too.
// The package imports nothing from the rest of the repository: its words are in ./vocabulary.ts, the commands'
// `<host>-<step>` names in ./naming.ts, shared ports and paths in ./constants.ts, all re-exported here.

import { FACTS_SCHEMA } from "./vocabulary";
import type { DbEngine, PhpJit, Role, StepName, TlsMode, TlsProtocol } from "./vocabulary";

export * from "./vocabulary";
export * from "./naming";
export * from "./constants";

interface FactsCommon<S extends StepName> {
    schema: typeof FACTS_SCHEMA;
    step: S;
    /** Name of the host the step runs on (the `name` of the host in config). */
    host: string;
    roles: Role[];
}

export interface BaseFacts extends FactsCommon<"base"> {
    provider: "docker" | "ssh";
    /** Address other hosts use to reach this host. */
    privateAddress: string;
    /** The host's other steps, whose packages base installs in one apt transaction. */
    preinstall: StepName[];
}

export interface PhpFacts extends FactsCommon<"php"> {
    /** PHP-FPM workers: "auto" sizes them from the host's memory. */
    maxChildren: "auto" | number;
    /** The memory (MB) the serving profile takes the host to have (tuneMemoryMb): "auto" = read on the host when the step runs. */
    memoryMb: "auto" | number;
    /** The memory (MB) one PHP-FPM worker is taken to use (phpWorkerMb). */
    workerMb: number;
    /** opcache's JIT compiler (phpJit); absent in the facts of a stack applied before the key existed. */
    jit?: PhpJit;
    /** The InnoDB buffer pool (MB) of a database on the same host (dbBufferPoolMb); absent: no database on this host. */
    dbBufferPoolMb?: "auto" | number;
}

/** How a host that answers the site's visitors serves them (Nginx on a web host, HAProxy on a balancer). */
export interface ServingFacts {
    httpPort: number;
    /** TLS served on 443 by this host; "none" = plain HTTP only. */
    tls: TlsMode;
    httpsPort?: number;
    /** Plain HTTP answered with a redirect to HTTPS. */
    redirectHttp: boolean;
    /** Strict-Transport-Security max-age in seconds; 0 = no header. */
    hstsMaxAge: number;
    /** TLS versions served (set by `npm run verify` from handshakes; the program serves TLSv1.2 and TLSv1.3). */
    tlsProtocols?: TlsProtocol[];
}

export interface NginxFacts extends FactsCommon<"nginx">, ServingFacts {
    serverNames: string[];
    docRoot: string;
    php: boolean;
    /** Load balancer addresses whose X-Forwarded-For is trusted (empty when the host is an entry point). */
    trustedProxies: string[];
    /** Behind a load balancer: the port where the site answers the balancer over TLS (a certificate from the stack's
     * CA); plain HTTP then listens on the loopback only. Absent: plain HTTP on every address (facts recorded before). */
    backendTlsPort?: number;
    /** Addresses allowed to read the Nginx and PHP-FPM status pages (port 8081); empty = no status server. */
    statusAllow: string[];
}

export interface DatabaseFacts extends FactsCommon<"database"> {
    /** The server (config dbEngine): auto = the distribution's own (MySQL on Ubuntu, MariaDB on Debian). */
    engine: DbEngine;
    /** The memory (MB) the serving profile takes the host to have (tuneMemoryMb): "auto" = read on the host. */
    memoryMb?: "auto" | number;
    /** InnoDB's buffer pool in MB (dbBufferPoolMb): "auto" = a share of the memory. */
    bufferPoolMb?: "auto" | number;
    bindAddress: string;
    port: number;
    name: string;
    user: string;
    /** Hosts (MySQL host patterns) the application user may connect from. */
    clientHosts: string[];
    replication: {
        role: "standalone" | "primary" | "replica";
        serverId: number;
        /** Replica: the primary's host name. Primary: the replicas' host names. */
        primary?: string;
        replicas?: string[];
        /** Replica, observed by `npm run verify`: both replication threads run (absent in the program's facts: it
         * declares a replica, which means streaming). */
        running?: boolean;
        /** Replica, observed: seconds behind the primary (null when not running). */
        lagSeconds?: number | null;
    };
    /** TLS with a certificate from the stack's CA: every account at a host other than localhost REQUIRE SSL; a
     * replica verifies its primary against the CA. */
    tls: boolean;
}

/** On the primary, after its replicas' database steps: the replication account at each replica keeps only the
 * replication privileges (the initial copy's are taken away). */
export interface ReplicationFacts extends FactsCommon<"replication"> {
    /** The replicas, by host name. */
    replicas: string[];
    /** What the replication account keeps. */
    privileges: ["REPLICATION SLAVE"];
}

export interface AppFacts extends FactsCommon<"app"> {
    docRoot: string;
    dbHost: string;
    dbPort: number;
    dbName: string;
    dbUser: string;
    /** PHP connects over TLS and verifies the database server against the stack's CA. */
    dbTls: boolean;
    /** The health endpoint the load balancer checks (200 when PHP runs and SELECT 1 succeeds). */
    healthPath: string;
}

/** The user's application on a web host: a release staged and checked through itself (scripts/stage.sh), on every
 * web host before the first of them switches to it. */
export interface StageFacts extends FactsCommon<"stage"> {
    /** The release id staged (the hash of its files). */
    release: string;
    /** Where the releases live: <base>/releases/<id>, <base>/shared. */
    base: string;
    /** The document root inside a release ("" = the release itself). */
    docRoot: string;
    shared: string[];
    /** Checked through the staged release (a loopback-only server), before any host switches. */
    healthPath: string;
    /** This host runs appMigrate once per release, when the release is staged (the first web host). */
    migrates: boolean;
    /** composer.json: `composer install --no-dev` at staging; the PHP extensions it requires (ext-*), installed. */
    composer: boolean;
    phpExtensions: string[];
}

/** The user's application on a web host: the release it serves (scripts/release.sh). */
export interface ReleaseFacts extends FactsCommon<"release"> {
    /** The release id served (the hash of its files; the kept one named by appRelease on a rollback). */
    release: string;
    /** Where the releases live: <base>/releases/<id>, <base>/current, <base>/shared. */
    base: string;
    /** The document root inside a release ("" = the release itself). */
    docRoot: string;
    keepReleases: number;
    /** Checked through the release (staged by the stage step) right before it goes live, and after. */
    healthPath: string;
    frontController: boolean;
    /** How the host leaves the balancer's rotation during its switch: HAProxy's agent-check, or none (no balancer). */
    drain: "agent" | "none";
}

export interface SmokeFacts extends FactsCommon<"smoke"> {
    serverName: string;
    paths: string[];
}

export interface FirewallRule {
    port: number;
    proto: "tcp";
    /** "any", or an address / CIDR allowed to reach the port. */
    from: string;
}

export interface FirewallFacts extends FactsCommon<"firewall"> {
    /** The program writes ufw; `npm run verify` reads whatever filters the host (iptables or nftables rulesets too). */
    engine: "ufw" | "iptables" | "nftables";
    defaultInbound: "deny" | "allow";
    rules: FirewallRule[];
}

export interface LbFacts extends FactsCommon<"lb">, ServingFacts {
    engine: "haproxy";
    /** Backend web hosts, by host name. */
    backends: string[];
    /** The backends reached over TLS (health checks too), each certificate verified against the stack's CA for the
     * address HAProxy dials. Absent in facts recorded before (plain HTTP). */
    backendTls?: boolean;
    algorithm: "roundrobin";
    healthCheck: string;
    /** The port of the web hosts' agents (HAProxy agent-check: a web host drains itself for a release switch). */
    agentPort?: number;
}

export interface CertbotFacts extends FactsCommon<"certbot"> {
    serverNames: string[];
    email: string;
    /** ACME directory URL. */
    server: string;
    /** webroot (Nginx serves the challenge) or haproxy (HAProxy routes it to certbot on 127.0.0.1:8888). */
    mode: "webroot" | "haproxy";
}

export interface MonitoringFacts extends FactsCommon<"monitoring"> {
    exporter: "prometheus-node-exporter";
    /** The address it listens on (the host's private address, or 127.0.0.1 when nobody may scrape it); absent in
     * facts recorded before it was (when the exporter listened on every address). */
    listen?: string;
    port: number;
    /** Addresses / CIDRs allowed to scrape. */
    allowFrom: string[];
}

export interface BackupFacts extends FactsCommon<"backup"> {
    database: string;
    /** Daily, at this time (HH:MM, the host's clock). */
    time: string;
    /** Dumps kept. */
    retention: number;
    directory: string;
}

export type StepFacts =
    | BaseFacts
    | PhpFacts
    | NginxFacts
    | DatabaseFacts
    | AppFacts
    | StageFacts
    | ReleaseFacts
    | SmokeFacts
    | FirewallFacts
    | LbFacts
    | CertbotFacts
    | MonitoringFacts
    | BackupFacts
    | ReplicationFacts;

/** The facts carried by a remote command's inputs, or undefined when the command carries none (or not yet known). */
export function factsOf(props: Record<string, unknown> | undefined): StepFacts | undefined {
    const triggers = props?.triggers;
    if (!Array.isArray(triggers)) return undefined;
    const first = triggers[0];
    if (typeof first !== "object" || first === null) return undefined;
    const f = first as Partial<StepFacts>;
    if (f.schema !== FACTS_SCHEMA || typeof f.step !== "string" || typeof f.host !== "string") return undefined;
    return first as StepFacts;
}

// Every setting of the program, read and validated in one place.
//
// The Pulumi engine hands the program its stack config as strings keyed "<project>:<key>". `loadConfig` turns them
// into a typed, validated `StackConfig` or throws a `ConfigError` that names the offending key and value. It runs
// before any resource is registered, so bad input never leaves a half-built stack behind.
//
// Simple keys are declared (type, default, description) in Pulumi.yaml; `hosts` is structured and validated here.

import * as net from "net";

export const PROJECT = "seed-web";

export const ROLES = ["lb", "web", "app", "db"] as const;
export type Role = (typeof ROLES)[number];

export const TLS_MODES = ["none", "self-signed", "letsencrypt"] as const;
export type TlsMode = (typeof TLS_MODES)[number];

/** How the program reaches a host: an existing server over SSH, or a local container it creates. */
export type HostConnectionSpec = SshHostSpec | DockerHostSpec;

export interface SshHostSpec {
    type: "ssh";
    /** Address (IPv4, IPv6 or DNS name) the program connects to. */
    address: string;
    port: number;
    user: string;
    /** Name of the secret config key that holds the private key; undefined = use the SSH agent. */
    privateKeyConfig?: string;
    /** Address other hosts use to reach this one (database clients, load balancer backends). */
    privateAddress: string;
    /** The server's SSH host key ("ssh-ed25519 AAAA…"); undefined = trust on first use (recorded in the state). */
    hostKey?: string;
}

export interface DockerHostSpec {
    type: "docker";
    /** Address on the Docker machine the published ports bind to. */
    bindAddress: string;
    sshPort: number;
    /** Published HTTP/HTTPS ports; the entry point gets 8080/8443 by default, other hosts publish none. */
    httpPort?: number;
    httpsPort?: number;
    /** Publish the database port too (the seed design exposes it); undefined = not published. */
    dbPort?: number;
}

export interface HostSpec {
    name: string;
    roles: Role[];
    connection: HostConnectionSpec;
}

export interface StackConfig {
    domain: string;
    /** Serve www.<domain> too (www is a CNAME to the apex). */
    www: boolean;
    publicIp: string;
    hosts: HostSpec[];
    firewall: boolean;
    /** Extra ports the firewall opens to everybody on every host (SSH, HTTP and HTTPS are opened by role). */
    firewallAllowPorts: number[];
    tls: TlsMode;
    acmeEmail?: string;
    acmeServer: string;
    hstsMaxAge: number;
    db: {
        /** An address, or "auto": loopback when nothing else needs to reach it, else the host's private address. */
        bindAddress: string;
        port: number;
        name: string;
        user: string;
    };
    monitoring: boolean;
    /** Addresses / CIDRs allowed to scrape the node exporter and read the status pages. */
    monitoringAllowFrom: string[];
    backups: boolean;
    backupTime: string;
    backupRetention: number;
}

/** A config error: always names the key and the value that was refused. */
export class ConfigError extends Error {
    constructor(
        readonly key: string,
        readonly value: unknown,
        reason: string,
    ) {
        super(`invalid config ${PROJECT}:${key} = ${show(value)}: ${reason}`);
        this.name = "ConfigError";
    }
}

function show(value: unknown): string {
    if (value === undefined) return "(unset)";
    const text = typeof value === "string" ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
    return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** Every key the program understands, with its default (the seed design). Pulumi.yaml declares the same. */
export const DEFAULTS = {
    domain: "foobar.com",
    www: true,
    publicIp: "8.8.8.8",
    firewall: false,
    firewallAllowPorts: [] as number[],
    tls: "none" as TlsMode,
    acmeEmail: "",
    acmeServer: "https://acme-v02.api.letsencrypt.org/directory",
    hstsMaxAge: 31536000,
    dbBindAddress: "0.0.0.0",
    dbPort: 3306,
    dbName: "app",
    dbUser: "app",
    monitoring: false,
    monitoringAllowFrom: [] as string[],
    backups: false,
    backupTime: "03:15",
    backupRetention: 7,
};

/** The seed design's one host: a local Docker container holding every role but the load balancer. */
export const DEFAULT_HOSTS: unknown = [
    {
        name: "web-01",
        roles: ["web", "app", "db"],
        connection: { type: "docker", sshPort: 2222, httpPort: 8080, httpsPort: 8443, dbPort: 3306 },
    },
];

const KNOWN_KEYS = new Set([...Object.keys(DEFAULTS), "hosts", "sshPrivateKey"]);

/** Raw config as the engine gives it: keys without the project prefix, values as strings. */
export type RawConfig = Record<string, string>;

/** Config keys whose values are secrets (never echoed in errors). */
export function isSecretKey(key: string): boolean {
    return /privatekey|password|secret|token/i.test(key);
}

/**
 * Validate the raw config. `secretKeys` are the keys the engine marked secret; hosts may name them as their key.
 * `hasSshAgent` says whether an SSH agent is available for SSH hosts that name no key.
 */
export function loadConfig(raw: RawConfig, env: { hasSshAgent: boolean } = { hasSshAgent: false }): StackConfig {
    for (const key of Object.keys(raw)) {
        if (!KNOWN_KEYS.has(key) && !isSecretKey(key)) {
            throw new ConfigError(key, raw[key], `unknown key; known keys: ${[...KNOWN_KEYS].sort().join(", ")}`);
        }
    }
    const domain = str(raw, "domain", DEFAULTS.domain);
    if (!isDomainName(domain) || !domain.includes(".")) {
        throw new ConfigError("domain", domain, "expected a DNS name such as foobar.com (letters, digits, hyphens, dots)");
    }
    if (domain.startsWith("www.")) {
        throw new ConfigError("domain", domain, "give the apex domain; www is added by the www switch");
    }
    const publicIp = str(raw, "publicIp", DEFAULTS.publicIp);
    if (net.isIP(publicIp) !== 4) {
        throw new ConfigError("publicIp", publicIp, "expected an IPv4 address for the apex A record, e.g. 8.8.8.8");
    }
    const tls = str(raw, "tls", DEFAULTS.tls);
    if (!(TLS_MODES as readonly string[]).includes(tls)) {
        throw new ConfigError("tls", tls, `unknown TLS mode; expected one of ${TLS_MODES.join(", ")}`);
    }
    const acmeEmail = str(raw, "acmeEmail", DEFAULTS.acmeEmail);
    if (acmeEmail !== "" && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(acmeEmail)) {
        throw new ConfigError("acmeEmail", acmeEmail, "expected an e-mail address");
    }
    if (tls === "letsencrypt" && acmeEmail === "") {
        throw new ConfigError("acmeEmail", acmeEmail, "required when tls is letsencrypt (Let's Encrypt account e-mail)");
    }
    const dbBindAddress = str(raw, "dbBindAddress", DEFAULTS.dbBindAddress);
    if (dbBindAddress !== "auto" && net.isIP(dbBindAddress) === 0) {
        throw new ConfigError("dbBindAddress", dbBindAddress, "expected an IP address such as 127.0.0.1 or 0.0.0.0, or auto");
    }
    const acmeServer = str(raw, "acmeServer", DEFAULTS.acmeServer);
    if (!/^https:\/\/[^\s/]+(\/\S*)?$/.test(acmeServer)) {
        throw new ConfigError("acmeServer", acmeServer, "expected the https:// URL of an ACME directory");
    }
    const hstsMaxAge = integer(raw, "hstsMaxAge", DEFAULTS.hstsMaxAge, 0, 63072000);
    const backupTime = str(raw, "backupTime", DEFAULTS.backupTime);
    if (!/^([01][0-9]|2[0-3]):[0-5][0-9]$/.test(backupTime)) {
        throw new ConfigError("backupTime", backupTime, "expected a daily time HH:MM, e.g. 03:15");
    }
    const backupRetention = integer(raw, "backupRetention", DEFAULTS.backupRetention, 1, 365);
    const monitoringAllowFrom = addressList(raw, "monitoringAllowFrom", DEFAULTS.monitoringAllowFrom);
    const dbPort = port(raw, "dbPort", DEFAULTS.dbPort);
    const dbName = identifier(raw, "dbName", DEFAULTS.dbName);
    const dbUser = identifier(raw, "dbUser", DEFAULTS.dbUser);
    const firewallAllowPorts = portList(raw, "firewallAllowPorts", DEFAULTS.firewallAllowPorts);

    const hostsRaw = raw.hosts === undefined ? DEFAULT_HOSTS : json(raw, "hosts");
    const hosts = parseHosts(hostsRaw, new Set(Object.keys(raw)), env);

    const config: StackConfig = {
        domain,
        www: bool(raw, "www", DEFAULTS.www),
        publicIp,
        hosts,
        firewall: bool(raw, "firewall", DEFAULTS.firewall),
        firewallAllowPorts,
        tls: tls as TlsMode,
        acmeEmail: acmeEmail === "" ? undefined : acmeEmail,
        acmeServer,
        hstsMaxAge,
        db: { bindAddress: dbBindAddress, port: dbPort, name: dbName, user: dbUser },
        monitoring: bool(raw, "monitoring", DEFAULTS.monitoring),
        monitoringAllowFrom,
        backups: bool(raw, "backups", DEFAULTS.backups),
        backupTime,
        backupRetention,
    };
    checkDatabaseReach(config);
    return config;
}

/** A database that other hosts must reach cannot listen on loopback only. */
function checkDatabaseReach(c: StackConfig): void {
    const bind = c.db.bindAddress;
    if (bind === "auto" || !(bind.startsWith("127.") || bind === "::1")) return;
    const db = c.hosts.filter((h) => h.roles.includes("db"));
    const remoteApps = c.hosts.filter((h) => h.roles.includes("app") && h !== db[0]);
    if (remoteApps.length > 0 || db.length > 1) {
        throw new ConfigError(
            "dbBindAddress",
            bind,
            `${[...remoteApps, ...db.slice(1)].map((h) => h.name).join(", ")} must reach the database on ${db[0].name}: ` +
                "bind it to its private address (or use auto)",
        );
    }
}

// ---------------------------------------------------------------------------------------------------------------------
// hosts

const HOST_KEYS = new Set(["name", "roles", "connection"]);
const SSH_KEYS = new Set(["type", "address", "port", "user", "privateKeyConfig", "privateAddress", "hostKey"]);
/** An OpenSSH public key line: type, base64 blob (whose first field repeats the type), optional comment. */
const HOST_KEY_TYPES = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa"];

/** The host key line, normalised to "TYPE BASE64", or an explanation of what is wrong with it. */
export function parseHostKey(value: unknown): { key: string } | { error: string } {
    const expected = `expected an OpenSSH public key line such as "ssh-ed25519 AAAA…" (${HOST_KEY_TYPES.join(", ")}), e.g. from ssh-keyscan`;
    if (typeof value !== "string" || value.length > 16384) return { error: expected };
    const m = /^(\S+) ([A-Za-z0-9+/]+={0,2})(?: [^\r\n]*)?$/.exec(value.trim());
    if (!m || !HOST_KEY_TYPES.includes(m[1])) return { error: expected };
    const blob = Buffer.from(m[2], "base64");
    const len = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
    if (len <= 0 || 4 + len > blob.length || blob.subarray(4, 4 + len).toString("latin1") !== m[1] || blob.length < 4 + len + 32) {
        return { error: `${expected}; the key data does not encode a ${m[1]} key` };
    }
    return { key: `${m[1]} ${m[2]}` };
}
const DOCKER_KEYS = new Set(["type", "bindAddress", "sshPort", "httpPort", "httpsPort", "dbPort"]);

function parseHosts(value: unknown, configKeys: Set<string>, env: { hasSshAgent: boolean }): HostSpec[] {
    if (!Array.isArray(value) || value.length === 0) {
        throw new ConfigError("hosts", value, "expected a non-empty list of hosts");
    }
    const hosts = value.map((h, i) => parseHost(h, `hosts[${i}]`, configKeys, env));

    const seen = new Set<string>();
    hosts.forEach((h, i) => {
        if (seen.has(h.name)) throw new ConfigError(`hosts[${i}].name`, h.name, "duplicate host name");
        seen.add(h.name);
    });
    const holders = (role: Role) => hosts.filter((h) => h.roles.includes(role));
    if (holders("web").length === 0) {
        throw new ConfigError("hosts", hosts.map((h) => h.name), "no host has the web role");
    }
    if (holders("db").length === 0) {
        throw new ConfigError("hosts", hosts.map((h) => h.name), "no host has the db role");
    }
    if (holders("lb").length > 1) {
        throw new ConfigError("hosts", holders("lb").map((h) => h.name), "only one host may have the lb role");
    }
    if (holders("web").length > 1 && holders("lb").length === 0) {
        throw new ConfigError(
            "hosts",
            holders("web").map((h) => h.name),
            "more than one web host needs a host with the lb role in front of them",
        );
    }
    hosts.forEach((h, i) => {
        if (h.roles.includes("app") !== h.roles.includes("web")) {
            throw new ConfigError(
                `hosts[${i}].roles`,
                h.roles,
                "web and app go together: Nginx hands PHP to the PHP-FPM socket on the same host",
            );
        }
        if (h.roles.includes("lb") && h.roles.includes("web")) {
            throw new ConfigError(`hosts[${i}].roles`, h.roles, "the lb role needs a host of its own (both use ports 80 and 443)");
        }
    });
    // The entry point (the load balancer, else the web hosts) publishes HTTP and HTTPS by default; others publish none.
    const entry = holders("lb").length > 0 ? holders("lb") : holders("web");
    for (const h of entry) {
        if (h.connection.type === "docker") {
            h.connection.httpPort ??= 8080;
            h.connection.httpsPort ??= 8443;
        }
    }
    const docker = hosts.filter((h) => h.connection.type === "docker");
    const published = new Map<string, string>();
    for (const h of docker) {
        const c = h.connection as DockerHostSpec;
        for (const [what, p] of [["sshPort", c.sshPort], ["httpPort", c.httpPort], ["httpsPort", c.httpsPort], ["dbPort", c.dbPort]] as const) {
            if (p === undefined) continue;
            const at = `${c.bindAddress}:${p}`;
            const i = hosts.indexOf(h);
            if (published.has(at)) {
                throw new ConfigError(`hosts[${i}].connection.${what}`, p, `port already published by ${published.get(at)}`);
            }
            published.set(at, `${h.name}.${what}`);
        }
    }
    return hosts;
}

function parseHost(value: unknown, at: string, configKeys: Set<string>, env: { hasSshAgent: boolean }): HostSpec {
    const o = object(value, at);
    unknownKeys(o, at, HOST_KEYS);
    const name = o.name;
    if (typeof name !== "string" || !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(name)) {
        throw new ConfigError(`${at}.name`, name, "expected a host name: lower-case letters, digits and hyphens (a DNS label)");
    }
    if (!Array.isArray(o.roles) || o.roles.length === 0) {
        throw new ConfigError(`${at}.roles`, o.roles, `expected a non-empty list of roles from ${ROLES.join(", ")}`);
    }
    const roles: Role[] = [];
    o.roles.forEach((r, j) => {
        if (!(ROLES as readonly unknown[]).includes(r)) {
            throw new ConfigError(`${at}.roles[${j}]`, r, `unknown role; expected one of ${ROLES.join(", ")}`);
        }
        if (roles.includes(r as Role)) throw new ConfigError(`${at}.roles[${j}]`, r, "role listed twice");
        roles.push(r as Role);
    });
    const c = object(o.connection, `${at}.connection`);
    const cat = `${at}.connection`;
    let connection: HostConnectionSpec;
    if (c.type === "ssh") {
        unknownKeys(c, cat, SSH_KEYS);
        const address = c.address;
        if (typeof address !== "string" || address === "") {
            throw new ConfigError(`${cat}.address`, address, "an ssh host needs the address to connect to");
        }
        if (!isAddress(address)) {
            throw new ConfigError(`${cat}.address`, address, "expected an IP address or a DNS name");
        }
        const privateAddress = c.privateAddress ?? address;
        if (typeof privateAddress !== "string" || !isAddress(privateAddress)) {
            throw new ConfigError(`${cat}.privateAddress`, privateAddress, "expected an IP address or a DNS name");
        }
        const user = c.user ?? "root";
        if (typeof user !== "string" || !/^[a-z_][a-z0-9_-]{0,31}$/.test(user)) {
            throw new ConfigError(`${cat}.user`, user, "expected a Unix user name");
        }
        const keyName = c.privateKeyConfig;
        if (keyName !== undefined) {
            if (typeof keyName !== "string" || !configKeys.has(keyName)) {
                throw new ConfigError(
                    `${cat}.privateKeyConfig`,
                    keyName,
                    "names no config key; set it with `pulumi config set --secret <key> \"$(cat key)\"`",
                );
            }
        } else if (!configKeys.has("sshPrivateKey") && !env.hasSshAgent) {
            throw new ConfigError(
                `${cat}`,
                `${name}@${address}`,
                "an ssh host needs a key: set the secret sshPrivateKey, name one in privateKeyConfig, or run an SSH agent (SSH_AUTH_SOCK)",
            );
        }
        const sshConnection: SshHostSpec = {
            type: "ssh",
            address,
            port: portValue(c.port ?? 22, `${cat}.port`),
            user,
            privateKeyConfig: keyName ?? (configKeys.has("sshPrivateKey") ? "sshPrivateKey" : undefined),
            privateAddress,
        };
        if (c.hostKey !== undefined) {
            const hk = parseHostKey(c.hostKey);
            if ("error" in hk) throw new ConfigError(`${cat}.hostKey`, c.hostKey, hk.error);
            sshConnection.hostKey = hk.key;
        }
        connection = sshConnection;
    } else if (c.type === "docker") {
        unknownKeys(c, cat, DOCKER_KEYS);
        const bindAddress = c.bindAddress ?? "127.0.0.1";
        if (typeof bindAddress !== "string" || net.isIP(bindAddress) === 0) {
            throw new ConfigError(`${cat}.bindAddress`, bindAddress, "expected an IP address such as 127.0.0.1");
        }
        connection = {
            type: "docker",
            bindAddress,
            sshPort: portValue(c.sshPort ?? 2222, `${cat}.sshPort`),
            httpPort: c.httpPort === undefined ? undefined : portValue(c.httpPort, `${cat}.httpPort`),
            httpsPort: c.httpsPort === undefined ? undefined : portValue(c.httpsPort, `${cat}.httpsPort`),
            dbPort: c.dbPort === undefined ? undefined : portValue(c.dbPort, `${cat}.dbPort`),
        };
    } else {
        throw new ConfigError(`${cat}.type`, c.type, "expected ssh (an existing server) or docker (a local container)");
    }
    return { name, roles, connection };
}

// ---------------------------------------------------------------------------------------------------------------------
// scalar helpers

function str(raw: RawConfig, key: string, fallback: string): string {
    return raw[key] ?? fallback;
}

function bool(raw: RawConfig, key: string, fallback: boolean): boolean {
    const v = raw[key];
    if (v === undefined) return fallback;
    if (v === "true") return true;
    if (v === "false") return false;
    throw new ConfigError(key, v, "expected true or false");
}

function json(raw: RawConfig, key: string): unknown {
    try {
        return JSON.parse(raw[key]);
    } catch {
        throw new ConfigError(key, raw[key], "expected a YAML/JSON list");
    }
}

function port(raw: RawConfig, key: string, fallback: number): number {
    const v = raw[key];
    return v === undefined ? fallback : portValue(/^\d+$/.test(v) ? Number(v) : v, key);
}

function portValue(v: unknown, key: string): number {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 65535) {
        throw new ConfigError(key, v, "expected a TCP port, an integer from 1 to 65535");
    }
    return v;
}

function portList(raw: RawConfig, key: string, fallback: number[]): number[] {
    if (raw[key] === undefined) return fallback;
    const v = json(raw, key);
    if (!Array.isArray(v)) throw new ConfigError(key, v, "expected a list of TCP ports");
    return v.map((p, i) => portValue(p, `${key}[${i}]`));
}

function integer(raw: RawConfig, key: string, fallback: number, min: number, max: number): number {
    const v = raw[key];
    if (v === undefined) return fallback;
    const n = /^-?\d+$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(key, v, `expected an integer from ${min} to ${max}`);
    return n;
}

function addressList(raw: RawConfig, key: string, fallback: string[]): string[] {
    if (raw[key] === undefined) return fallback;
    const v = json(raw, key);
    if (!Array.isArray(v)) throw new ConfigError(key, v, "expected a list of IP addresses or CIDR ranges");
    return v.map((a, i) => {
        if (typeof a !== "string" || !isAddressOrCidr(a)) {
            throw new ConfigError(`${key}[${i}]`, a, "expected an IPv4/IPv6 address or a CIDR range such as 10.0.0.0/24");
        }
        return a;
    });
}

export function isAddressOrCidr(v: string): boolean {
    const [addr, bits, ...rest] = v.split("/");
    if (rest.length > 0) return false;
    const family = net.isIP(addr);
    if (family === 0) return false;
    if (bits === undefined) return true;
    const n = /^\d+$/.test(bits) ? Number(bits) : NaN;
    return n >= 0 && n <= (family === 4 ? 32 : 128);
}

function identifier(raw: RawConfig, key: string, fallback: string): string {
    const v = str(raw, key, fallback);
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,31}$/.test(v)) {
        throw new ConfigError(key, v, "expected a MySQL identifier: letters, digits and _, at most 32 characters");
    }
    return v;
}

function object(v: unknown, at: string): Record<string, unknown> {
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new ConfigError(at, v, "expected a mapping");
    return v as Record<string, unknown>;
}

function unknownKeys(o: Record<string, unknown>, at: string, known: Set<string>): void {
    for (const k of Object.keys(o)) {
        if (!known.has(k)) throw new ConfigError(`${at}.${k}`, o[k], `unknown key; expected one of ${[...known].join(", ")}`);
    }
}

export function isDomainName(v: string): boolean {
    return (
        v.length <= 253 &&
        v.split(".").every((label) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(label))
    );
}

function isAddress(v: string): boolean {
    return net.isIP(v) !== 0 || isDomainName(v);
}

// Every setting of the program, read and validated in one place.
//
// The Pulumi engine hands the program its stack config as strings keyed "<project>:<key>". `loadConfig` turns them
// into a typed, validated `StackConfig` or throws a `ConfigError` that names the offending key and value. It runs
// before any resource is registered, so bad input never leaves a half-built stack behind.
//
// Each key is declared once in settings.ts (type, default, description, reader); loadConfig reads them in a fixed
// order (the first refused key is the one reported), then checks across keys. `hosts` is structured: hosts.ts.

import { AppConfig, parseApp } from "./app";
import { ConfigError } from "./errors";
import { DEFAULT_HOSTS, HostSpec, parseHosts } from "./hosts";
import { MAX_VALUE_LENGTH } from "./limits";
import { json, list, RawConfig, str } from "./read";
import { DEFAULTS, KNOWN_KEYS, readSetting } from "./settings";
import { parseTuning, TuningConfig } from "./tuning";
import { isPrivateIpv4 } from "./validate";
import { DbEngine, TlsMode } from "./vocabulary";

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
        /** The server on every database host: auto = the distribution's own (scripts/platform.sh, lemp_os). */
        engine: DbEngine;
        /** An address, or "auto": loopback when nothing else needs to reach it, else the host's private address. */
        bindAddress: string;
        port: number;
        name: string;
        user: string;
        /** The primary's host name (seed-web:dbPrimary; the only db host when there is one). Never implied by order. */
        primary: string;
        /** Db hosts (replicas) whose local database may be dropped and copied again from the primary in this change
         * (seed-web:dbReseed); any other database is never dropped by the database step. */
        reseed: string[];
    };
    monitoring: boolean;
    /** Addresses / CIDRs allowed to scrape the node exporter and read the status pages. */
    monitoringAllowFrom: string[];
    backups: boolean;
    backupTime: string;
    backupRetention: number;
    /** `pulumi destroy` (and a feature switched off) also removes the data: database files, dumps, certificates. */
    destroyData: boolean;
    /** `pulumi destroy` (and a feature switched off) also purges the packages the steps installed. */
    purgePackages: boolean;
    /** The steps also remove what a host held before the stack's first apply (a remote root, a `test` database
     * holding tables, ufw rules): by default they are kept and reported. */
    removePreexisting: boolean;
    /** Hosts (by name, still in `hosts`) whose resources the engine is to drop without running their deletes once
     * they leave `hosts` (retainOnDelete): a host that is gone, or that the program cannot reach any more. */
    forget: string[];
    /** The serving profile's overrides (README "Performance"; the arithmetic is scripts/lib/tune.sh's lemp_tune). */
    tuning: TuningConfig;
    /** The user's application (README "Deploy your application"); absent: the demo page. */
    app?: AppConfig;
}

/** Unknown keys the program tolerates when the engine does not say which keys are secret (tests, old callers). */
function looksLikeSecretKeyName(key: string): boolean {
    return /privatekey|password|secret|token/i.test(key);
}

export interface ConfigEnv {
    /** An SSH agent is available for SSH hosts that name no key. */
    hasSshAgent: boolean;
    /**
     * The keys the engine holds as secrets (`pulumi config set --secret`; offline: the stack file's `secure:` values).
     * When given, unknown keys must be among them, and `privateKeyConfig` / `sshPrivateKey` must be.
     */
    secretKeys?: readonly string[];
}

/**
 * Validate the raw config. Secret keys are the keys the engine marked secret; hosts may name them as their key.
 * `hasSshAgent` says whether an SSH agent is available for SSH hosts that name no key.
 */
export function loadConfig(raw: RawConfig, env: ConfigEnv = { hasSshAgent: false }): StackConfig {
    const secretKeys = env.secretKeys === undefined ? undefined : new Set(env.secretKeys);
    const keys = Object.keys(raw);
    for (const key of keys) {
        // Key names are shown (escaped), never the value of a key the program does not know.
        if (key.length > 100 || !/^[A-Za-z][A-Za-z0-9_.-]*$/.test(key)) {
            throw new ConfigError(key, undefined, "not a valid config key name (letters, digits, _ . -; at most 100)", true);
        }
        const tolerated = secretKeys ? secretKeys.has(key) : looksLikeSecretKeyName(key);
        if (!KNOWN_KEYS.has(key) && !tolerated) {
            throw new ConfigError(key, undefined, `unknown key; known keys: ${[...KNOWN_KEYS].sort().join(", ")}`, true);
        }
        const v = raw[key];
        if (typeof v !== "string") throw new ConfigError(key, undefined, "expected a string value from the engine", true);
        if (v.length > MAX_VALUE_LENGTH && !secretKeys?.has(key)) {
            throw new ConfigError(key, undefined, `value longer than ${MAX_VALUE_LENGTH} characters`, true);
        }
    }
    if (secretKeys && raw.sshPrivateKey !== undefined && !secretKeys.has("sshPrivateKey")) {
        throw new ConfigError("sshPrivateKey", undefined, "must be a secret: `pulumi config set --secret sshPrivateKey \"$(cat key)\"`", true);
    }
    const domain = readSetting(raw, "domain");
    const publicIp = readSetting(raw, "publicIp");
    const tls = readSetting(raw, "tls");
    const acmeEmail = readSetting(raw, "acmeEmail");
    if (tls === "letsencrypt" && acmeEmail === "") {
        throw new ConfigError("acmeEmail", acmeEmail, "required when tls is letsencrypt (Let's Encrypt account e-mail)");
    }
    const dbEngine = readSetting(raw, "dbEngine");
    const dbBindAddress = readSetting(raw, "dbBindAddress");
    const acmeServer = readSetting(raw, "acmeServer");
    const hstsMaxAge = readSetting(raw, "hstsMaxAge");
    const backupTime = readSetting(raw, "backupTime");
    const backupRetention = readSetting(raw, "backupRetention");
    const monitoringAllowFrom = readSetting(raw, "monitoringAllowFrom");
    const dbPort = readSetting(raw, "dbPort");
    const dbName = readSetting(raw, "dbName");
    const dbUser = readSetting(raw, "dbUser");
    const firewallAllowPorts = readSetting(raw, "firewallAllowPorts");

    const hostsRaw = raw.hosts === undefined ? DEFAULT_HOSTS : json(raw, "hosts");
    const hosts = parseHosts(hostsRaw, new Set(keys), { hasSshAgent: env.hasSshAgent, secretKeys });

    const config: StackConfig = {
        domain,
        www: readSetting(raw, "www"),
        publicIp,
        hosts,
        firewall: readSetting(raw, "firewall"),
        firewallAllowPorts,
        tls,
        acmeEmail: acmeEmail === "" ? undefined : acmeEmail,
        acmeServer,
        hstsMaxAge,
        db: { engine: dbEngine, bindAddress: dbBindAddress, port: dbPort, name: dbName, user: dbUser, ...databaseHosts(raw, hosts) },
        monitoring: readSetting(raw, "monitoring"),
        monitoringAllowFrom,
        backups: readSetting(raw, "backups"),
        backupTime,
        backupRetention,
        destroyData: readSetting(raw, "destroyData"),
        purgePackages: readSetting(raw, "purgePackages"),
        removePreexisting: readSetting(raw, "removePreexisting"),
        forget: forgetList(raw, hosts),
        tuning: parseTuning(raw),
    };
    const app = parseApp(raw);
    if (app) config.app = app;
    checkDatabaseReach(config);
    checkPrivateAddresses(config);
    return config;
}

/**
 * The traffic between hosts (balancer → web, application → database, exporter scrapes) goes to each host's private
 * address: a public one, left as the default (the address the program connects to), would send it across the
 * Internet. Checked after the topology's own checks (those name the more basic mistake first).
 */
function checkPrivateAddresses(c: StackConfig): void {
    if (c.hosts.length < 2) return;
    c.hosts.forEach((h, i) => {
        if (h.connection.type === "ssh" && h.connection.privateAddress === h.connection.address && !isPrivateIpv4(h.connection.address)) {
            throw new ConfigError(
                `hosts[${i}].connection.privateAddress`,
                h.connection.privateAddress,
                "the default (address), and a public one: the other hosts would reach this one across the Internet " +
                    "(balancer → web, application → database, exporter scrapes); set privateAddress to its address on a private " +
                    "network (10/8, 172.16/12, 192.168/16, 100.64/10, or a VPN such as WireGuard between the hosts)",
            );
        }
    });
}

/**
 * The primary, named (dbPrimary: required with two or more db hosts, never implied by the list's order: a reordered
 * or inserted host must not change which server holds the live data), and the hosts named for re-seeding (dbReseed).
 */
function databaseHosts(raw: RawConfig, hosts: HostSpec[]): { primary: string; reseed: string[] } {
    const db = hosts.filter((h) => h.roles.includes("db")).map((h) => h.name);
    let primary = str(raw, "dbPrimary", DEFAULTS.dbPrimary);
    if (primary === "") {
        if (db.length > 1) {
            throw new ConfigError(
                "dbPrimary",
                primary,
                `required with two or more db hosts (${db.join(", ")}): name the host whose database is the live one, e.g. ${db[0]}`,
            );
        }
        primary = db[0];
    } else if (!db.includes(primary)) {
        throw new ConfigError("dbPrimary", primary, `expected the name of a host with the db role (${db.join(", ")})`);
    }
    let reseed: string[] = DEFAULTS.dbReseed;
    if (raw.dbReseed !== undefined) {
        const v = list(raw, "dbReseed", "expected a list of db host names");
        reseed = v.map((n, i) => {
            if (typeof n !== "string" || !db.includes(n)) {
                throw new ConfigError(`dbReseed[${i}]`, n, `expected the name of a db host (${db.join(", ")})`);
            }
            if (n === primary) {
                throw new ConfigError(`dbReseed[${i}]`, n, "the primary holds the live data: it is never re-seeded (name another host as dbPrimary first)");
            }
            return n;
        });
    }
    return { primary, reseed };
}

/** A database that other hosts must reach cannot listen on loopback only. */
function checkDatabaseReach(c: StackConfig): void {
    const bind = c.db.bindAddress;
    if (bind === "auto" || !(bind.startsWith("127.") || bind === "::1")) return;
    const primaryHost = c.hosts.find((h) => h.name === c.db.primary)!;
    const db = [primaryHost, ...c.hosts.filter((h) => h.roles.includes("db") && h !== primaryHost)];
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

/** `forget`: names of ssh hosts of `hosts` (the engine can only retain what the program still registers). */
function forgetList(raw: RawConfig, hosts: HostSpec[]): string[] {
    if (raw.forget === undefined) return [];
    const v = list(raw, "forget", "expected a list of host names");
    return v.map((name, i) => {
        const host = hosts.find((h) => h.name === name);
        if (typeof name !== "string" || !host) {
            throw new ConfigError(
                `forget[${i}]`,
                name,
                "not a host of `hosts`: list a host here while it is still in `hosts`, run `pulumi up`, then take it out of `hosts` (README: removing a host)",
            );
        }
        if (host.connection.type !== "ssh") throw new ConfigError(`forget[${i}]`, name, "a Docker host is removed with its container: take it out of `hosts`");
        return name;
    });
}

// Every setting of the program, read and validated in one place.
//
// The Pulumi engine hands the program its stack config as strings keyed "<project>:<key>". `loadConfig` turns them
// into a typed, validated `StackConfig` or throws a `ConfigError` that names the offending key and value. It runs
// before any resource is registered, so bad input never leaves a half-built stack behind.
//
// Simple keys are declared (type, default, description) in Pulumi.yaml; `hosts` is structured and validated here.

import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { PROJECT_DIR } from "./root";
import { GitSourceError, isRepositoryUrl, redactRepository, resolveGitSource } from "./gitsource";
import { composerNeeds, RELEASE_ID, releaseTree } from "./release";

// The contract's words (packages/facts/vocabulary.ts), re-exported under the names callers have always imported from here.
import { DB_ENGINES, PROJECT, ROLES, TLS_MODES } from "@seed-web/facts";
import type { DbEngine, Role, TlsMode } from "@seed-web/facts";
export { DB_ENGINES, PROJECT, ROLES, TLS_MODES };
export type { DbEngine, Role, TlsMode };

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
        /** The server on every database host: auto = the distribution's own (scripts/lib.sh, lemp_os). */
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
    /** The serving profile's overrides (README "Performance"; the arithmetic is scripts/lib.sh's lemp_tune). */
    tuning: TuningConfig;
    /** The user's application (README "Deploy your application"); absent: the demo page. */
    app?: AppConfig;
}

// --- the user's application (issue 20): its config keys together -------------------------------------------------
export interface AppConfig {
    /** The local directory shipped as a release (absolute; `appSource` may be relative to the project), or a git
     * source's commit exported (lib/gitsource.ts). */
    source: string;
    /** A git source (appSource + appRef): the repository (credentials redacted), the ref and the commit it resolved to. */
    git?: { repository: string; ref: string; commit: string };
    /** Its release id (lib/release.ts: the hash of its files). */
    releaseId: string;
    files: number;
    bytes: number;
    /** The document root inside the release ("" = the release itself), e.g. "public". */
    docRoot: string;
    /** Paths inside the release kept across releases (uploads, storage): linked to shared/ on the host. */
    shared: string[];
    /** Releases kept on each host (the live one included): the ones a rollback can go back to. */
    keepReleases: number;
    /** Checked through the new release before and after it goes live; 2xx/3xx passes. */
    healthPath: string;
    /** Paths that are no file go to /index.php (frameworks' front controller). */
    frontController: boolean;
    /** Run once per release (on the first web host, in the release, as www-data) before it goes live. */
    migrate: string;
    /** Serve this kept release instead of appSource's (a rollback without a new upload); "" = appSource's. */
    release: string;
    /** What appSource's composer.json asks for: `composer install --no-dev`, the PHP extensions (ext-*). */
    composer: boolean;
    extensions: string[];
}
export const APP_DEFAULTS = {
    appSource: "",
    appRef: "",
    appDocRoot: "",
    appShared: [] as string[],
    appKeepReleases: 5,
    appHealthPath: "/",
    appFrontController: false,
    appMigrate: "",
    appRelease: "",
};
/** A path inside the release: relative, no "..", no "." segment, the characters a shell and nginx take verbatim. */
const RELATIVE_PATH = /^(?!\/)(?!.*(^|\/)\.{1,2}(\/|$))[A-Za-z0-9._@+-]+(\/[A-Za-z0-9._@+-]+)*$/;
function parseApp(raw: RawConfig): AppConfig | undefined {
    const sourceText = str(raw, "appSource", APP_DEFAULTS.appSource);
    const others = Object.keys(APP_DEFAULTS).filter((k) => k !== "appSource" && raw[k] !== undefined);
    if (sourceText === "") {
        if (others.length > 0) throw new ConfigError(others[0], raw[others[0]], "needs appSource (the directory of your application); without it the demo page is served");
        return undefined;
    }
    if (sourceText.length > 4096 || /[\0\n\r]/.test(sourceText)) throw new ConfigError("appSource", undefined, "expected a directory path or a git repository", true);
    // a git source: appRef set (appSource a URL, user@host:path or a local repository); without appRef, a directory
    const ref = str(raw, "appRef", APP_DEFAULTS.appRef);
    // shown redacted (a password or token in a URL), also where the value is shown: render() cuts long values first
    const shownSource = redactRepository(sourceText);
    let source: string;
    let git: AppConfig["git"];
    if (ref !== "") {
        try {
            const g = resolveGitSource(sourceText, ref, PROJECT_DIR);
            source = g.dir;
            git = { repository: g.shown, ref, commit: g.commit };
        } catch (e) {
            if (e instanceof GitSourceError) throw new ConfigError(e.key, e.key === "appRef" ? ref : shownSource, e.message);
            throw e;
        }
    } else {
        if (isRepositoryUrl(sourceText)) {
            throw new ConfigError("appRef", undefined, `${shownSource} is a git repository: set appRef to the branch, tag or commit to deploy`);
        }
        source = path.resolve(PROJECT_DIR, sourceText);
    }
    const at = git ? ` (${shownSource} at ${git.commit})` : "";
    const tree = releaseTree(source);
    if ("error" in tree) throw new ConfigError("appSource", shownSource, `${tree.error}${at}`);
    const needs = composerNeeds(source);
    if ("error" in needs) throw new ConfigError("appSource", shownSource, `${needs.error}${at}`);
    const docRoot = str(raw, "appDocRoot", APP_DEFAULTS.appDocRoot);
    if (docRoot !== "") {
        if (!RELATIVE_PATH.test(docRoot)) {
            throw new ConfigError("appDocRoot", docRoot, "expected a directory inside the application, e.g. public (relative, no ..)");
        }
        let st: fs.Stats | undefined;
        try {
            st = fs.lstatSync(path.join(source, docRoot));
        } catch {
            st = undefined;
        }
        if (!st?.isDirectory()) throw new ConfigError("appDocRoot", docRoot, `no such directory in ${shownSource}${git ? ` at ${git.ref} (${git.commit})` : ""}`);
    }
    let shared: string[] = APP_DEFAULTS.appShared;
    if (raw.appShared !== undefined) {
        const v = json(raw, "appShared");
        if (!Array.isArray(v)) throw new ConfigError("appShared", v, "expected a list of paths inside the application, e.g. [storage, public/uploads]");
        if (v.length > MAX_LIST_LENGTH) throw new ConfigError("appShared", undefined, `${v.length} entries: at most ${MAX_LIST_LENGTH}`, true);
        shared = v.map((p, i) => {
            if (typeof p !== "string" || !RELATIVE_PATH.test(p)) {
                throw new ConfigError(`appShared[${i}]`, p, "expected a path inside the application (relative, no ..), e.g. storage");
            }
            const inside = (a: string, b: string) => a === b || a.startsWith(`${b}/`);
            const other = (v as string[]).findIndex((q, j) => j !== i && typeof q === "string" && (inside(p, q) || inside(q, p)));
            if (other >= 0) throw new ConfigError(`appShared[${i}]`, p, `overlaps appShared[${other}]: each shared path is a directory of its own`);
            if (docRoot !== "" && inside(docRoot, p)) throw new ConfigError(`appShared[${i}]`, p, "would hold the document root: share a directory inside it instead");
            return p;
        });
    }
    const healthPath = str(raw, "appHealthPath", APP_DEFAULTS.appHealthPath);
    if (!/^\/[A-Za-z0-9._~\/?=&%-]{0,200}$/.test(healthPath)) {
        throw new ConfigError("appHealthPath", healthPath, "expected a path starting with /, e.g. /health (letters, digits, . _ ~ / ? = & % -)");
    }
    if (healthPath === "/health.php") {
        throw new ConfigError("appHealthPath", healthPath, "is the stack's own health check (outside the release): give your application's path, e.g. /");
    }
    const migrate = str(raw, "appMigrate", APP_DEFAULTS.appMigrate);
    if (migrate.length > 1000 || /[\0\n\r]/.test(migrate)) throw new ConfigError("appMigrate", undefined, "expected one command line (at most 1000 characters)", true);
    const release = str(raw, "appRelease", APP_DEFAULTS.appRelease);
    if (release !== "" && !RELEASE_ID.test(release)) {
        throw new ConfigError("appRelease", release, "expected a release id (20 hex digits, as `npm run verify` and the hosts' releases/ list them), or \"\" for appSource's");
    }
    return {
        source,
        ...(git ? { git } : {}),
        releaseId: tree.id,
        files: tree.files,
        bytes: tree.bytes,
        docRoot,
        shared,
        keepReleases: integer(raw, "appKeepReleases", APP_DEFAULTS.appKeepReleases, 2, 50),
        healthPath,
        frontController: bool(raw, "appFrontController", APP_DEFAULTS.appFrontController),
        migrate,
        release,
        composer: needs.composer,
        extensions: needs.extensions,
    };
}
// --- end of the application's keys --------------------------------------------------------------------------------

// --- the serving profile (issue 21): its config keys together ---------------------------------------------------
/** "auto" = computed on each host at apply time from its CPUs and memory (scripts/lib.sh, lemp_tune). */
export interface TuningConfig {
    /** The memory (MB) the scripts take each host to have, instead of MemTotal / the cgroup limit. */
    memoryMb: "auto" | number;
    /** PHP-FPM's pm.max_children on every web host. */
    phpMaxChildren: "auto" | number;
    /** The memory (MB) one PHP-FPM worker takes: the divisor of max_children. */
    phpWorkerMb: number;
    /** InnoDB's buffer pool (MB). */
    dbBufferPoolMb: "auto" | number;
    /** HAProxy: requests at once per web host; the rest wait in the queue. */
    lbServerMaxConn: number;
    /** HAProxy: seconds a request waits in the queue before a 503 with Retry-After. */
    lbQueueTimeout: number;
}
export const TUNING_DEFAULTS = {
    tuneMemoryMb: "auto",
    phpMaxChildren: "auto",
    phpWorkerMb: 48,
    dbBufferPoolMb: "auto",
    lbServerMaxConn: 64,
    lbQueueTimeout: 10,
};
function autoOrInteger(raw: RawConfig, key: string, min: number, max: number): "auto" | number {
    const v = raw[key];
    if (v === undefined || v === "auto") return "auto";
    const n = /^\d+$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(key, v, `expected auto or an integer from ${min} to ${max}`);
    return n;
}
function parseTuning(raw: RawConfig): TuningConfig {
    return {
        memoryMb: autoOrInteger(raw, "tuneMemoryMb", 256, 4194304),
        phpMaxChildren: autoOrInteger(raw, "phpMaxChildren", 1, 1000),
        phpWorkerMb: integer(raw, "phpWorkerMb", TUNING_DEFAULTS.phpWorkerMb, 10, 2048),
        dbBufferPoolMb: autoOrInteger(raw, "dbBufferPoolMb", 64, 1048576),
        lbServerMaxConn: integer(raw, "lbServerMaxConn", TUNING_DEFAULTS.lbServerMaxConn, 1, 10000),
        lbQueueTimeout: integer(raw, "lbQueueTimeout", TUNING_DEFAULTS.lbQueueTimeout, 1, 300),
    };
}
// --- end of the serving profile's keys ---------------------------------------------------------------------------

/** A config error: always names the key, and shows the refused value unless it may be a secret (see `showValue`). */
export class ConfigError extends Error {
    constructor(
        readonly key: string,
        readonly value: unknown,
        reason: string,
        /** Never show the value (unknown keys, anything that may hold a secret). */
        hide = false,
    ) {
        const shown = hide ? undefined : showValue(key, value);
        super(`invalid config ${PROJECT}:${escapeText(key, 200)}${shown === undefined ? " (value not shown)" : ` = ${shown}`}: ${reason}`);
        this.name = "ConfigError";
    }
}

// ---------------------------------------------------------------------------------------------------------------------
// Input limits: every value is bounded, so any input ends in a result or an error within a second.

/** Longest raw value of one config key (characters), e.g. the `hosts` list as JSON. */
export const MAX_VALUE_LENGTH = 65536;
/** Most entries in a list setting (firewallAllowPorts, monitoringAllowFrom, a host's roles). */
export const MAX_LIST_LENGTH = 100;
/** Most hosts in a stack (the Docker network's /24 gives each host a fixed address). */
export const MAX_HOSTS = 100;
/** Deepest nesting of a structured value (hosts: list → host → connection → value is 3). */
export const MAX_DEPTH = 8;
/** Longest ACME directory URL; domains (253) and e-mail addresses (254) have their own, standard limits. */
export const MAX_URL_LENGTH = 1024;
export const MAX_EMAIL_LENGTH = 254;
export const MAX_DOMAIN_LENGTH = 253;

/** The replication account the database step creates on a primary and its replicas (scripts/database.sh). */
export const REPLICATION_USER = "repl";

/**
 * A list of scripts/lib.sh (LEMP_RESERVED_DATABASES, LEMP_RESERVED_USERS): shell patterns, lower case. One list for the
 * program's validation and the scripts' own check (`lemp_reserved`), read from the script the hosts run.
 */
export function scriptList(name: string, text = fs.readFileSync(path.join(PROJECT_DIR, "scripts", "lib.sh"), "utf8")): string[] {
    const m = new RegExp(`^${name}='([^'\n]*)'$`, "m").exec(text);
    if (!m) throw new Error(`scripts/lib.sh does not define ${name}='…' on one line`);
    return m[1].split(/\s+/).filter(Boolean);
}

/** Database names the server owns, or that mysql_secure_installation's clean-up drops (`test`, `test\_%`): patterns. */
export const RESERVED_DATABASES = scriptList("LEMP_RESERVED_DATABASES");
/** Accounts the server, the distribution or this program own: patterns. */
export const RESERVED_USERS = scriptList("LEMP_RESERVED_USERS");

/** Whether `name` (in lower case) matches a shell pattern of the list (only `*` is special in them). */
function matchesPattern(name: string, patterns: readonly string[]): string | undefined {
    const n = name.toLowerCase();
    return patterns.find((p) => new RegExp(`^${p.split("*").map((x) => x.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`).test(n));
}

/** Why `name` may not be the application's database, or undefined when it may. Case-insensitive. */
export function reservedDatabaseName(name: string): string | undefined {
    const p = matchesPattern(name, RESERVED_DATABASES);
    if (p === undefined) return undefined;
    if (p.startsWith("test")) return `${p} databases are dropped by the secure installation's clean-up (test, test\\_%)`;
    return "a database the server owns or its secure installation drops";
}

/** Why `name` may not be the application's user, or undefined when it may. Case-insensitive. */
export function reservedUserName(name: string): string | undefined {
    const p = matchesPattern(name, RESERVED_USERS);
    if (p === undefined) return undefined;
    if (p === REPLICATION_USER) return `the replication account (${REPLICATION_USER}) is managed by the database step`;
    return `a system or reserved account of the database server (${p})`;
}

/** Control characters, line/paragraph separators and bidirectional overrides, escaped as \uXXXX. */
export function escapeText(text: string, max = 120): string {
    const cut = text.length > max ? `${text.slice(0, max - 3)}...` : text;
    return cut.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** A value that looks like key material (a private key, an SSH key, a long base64 blob): never shown, whatever its key. */
export function looksLikeKeyMaterial(text: string): boolean {
    return (
        /-----BEGIN|PRIVATE KEY|PuTTY-User-Key|b3BlbnNzaC1rZXktdjE|(ssh-(ed25519|rsa|dss)|ecdsa-sha2-|sk-ssh-)\S*\s+AAAA/i.test(text) ||
        /[A-Za-z0-9+/=_-]{40,}/.test(text)
    );
}

/** The value as an error shows it (bounded, escaped), or undefined when it must not be shown. */
/**
 * The credentials a URL may carry, redacted: the user information (`https://user:password@host` →
 * `https://***@host`, a bare `user@` as well) and the query and fragment (`?token=…` → `?***`). Applies to any text
 * an error shows (a value is shown only when it cannot be a secret, and a URL can be one).
 */
export function redactUrls(text: string): string {
    return text
        .replace(/\b([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^\s/?#"]*@/g, "$1***@")
        .replace(/(\b[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s?#"]*)[?#][^\s"]*/g, "$1?***");
}

export function showValue(key: string, value: unknown): string | undefined {
    const last = key.replace(/\[\d+\]$/, "").split(".").pop() ?? key;
    if (isSecretKey(last) && !(last === "privateKeyConfig" && typeof value === "string" && /^[A-Za-z][A-Za-z0-9_.:-]{0,99}$/.test(value))) {
        return undefined;
    }
    if (value === undefined) return "(unset)";
    const budget = { chars: 160, hidden: false };
    const text = render(value, 0, budget);
    if (budget.hidden) return undefined;
    return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

const SHOWN_FIELDS = new Set(["name", "roles", "connection", "type", "address", "port", "user", "privateAddress", "bindAddress", "sshPort", "httpPort", "httpsPort", "dbPort"]);

/** Bounded rendering: no recursion past depth 3, no more than a few items, fields of a mapping only when known. */
function render(v: unknown, depth: number, budget: { chars: number; hidden: boolean }): string {
    if (budget.chars <= 0) return "...";
    let out: string;
    if (typeof v === "string") {
        const cut = redactUrls(v.length > 200 ? v.slice(0, 200) : v);
        if (looksLikeKeyMaterial(v)) budget.hidden = true;
        out = `"${escapeText(cut.replace(/\\/g, "\\\\").replace(/"/g, '\\"'), 120)}"`;
    } else if (typeof v === "number" || typeof v === "boolean" || v === null) {
        out = String(v);
    } else if (Array.isArray(v)) {
        if (depth >= 3) out = "[...]";
        else {
            const items: string[] = [];
            for (let i = 0; i < v.length && i < 8 && budget.chars > 0; i++) items.push(render(v[i], depth + 1, budget));
            if (v.length > items.length) items.push("...");
            out = `[${items.join(", ")}]`;
        }
    } else if (typeof v === "object") {
        if (depth >= 3) out = "{...}";
        else {
            const items: string[] = [];
            const keys = Object.keys(v as object);
            for (const k of keys.slice(0, 8)) {
                if (budget.chars <= 0) break;
                const shown = SHOWN_FIELDS.has(k) ? render((v as Record<string, unknown>)[k], depth + 1, budget) : "(not shown)";
                items.push(`${escapeText(k, 40)}: ${shown}`);
            }
            if (keys.length > items.length) items.push("...");
            out = `{${items.join(", ")}}`;
        }
    } else {
        out = `(${typeof v})`;
    }
    budget.chars -= out.length;
    return out;
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
    dbEngine: "auto" as DbEngine,
    dbBindAddress: "0.0.0.0",
    dbPort: 3306,
    dbName: "app",
    dbUser: "app",
    dbPrimary: "",
    dbReseed: [] as string[],
    monitoring: false,
    monitoringAllowFrom: [] as string[],
    backups: false,
    backupTime: "03:15",
    backupRetention: 7,
    destroyData: false,
    purgePackages: false,
    removePreexisting: false,
    forget: [] as string[],
};

/** The seed design's one host: a local Docker container holding every role but the load balancer. */
export const DEFAULT_HOSTS: unknown = [
    {
        name: "web-01",
        roles: ["web", "app", "db"],
        connection: { type: "docker", sshPort: 2222, httpPort: 8080, httpsPort: 8443, dbPort: 3306 },
    },
];

export const KNOWN_KEYS = new Set([...Object.keys(DEFAULTS), ...Object.keys(TUNING_DEFAULTS), ...Object.keys(APP_DEFAULTS), "hosts", "sshPrivateKey"]);

/** Raw config as the engine gives it: keys without the project prefix, values as strings. */
export type RawConfig = Record<string, string>;

/** Config keys whose values are secrets or look like one: never echoed in errors. */
export function isSecretKey(key: string): boolean {
    return /priv(ate)?_?key|pass|pwd|secret|token|key|cred|auth|cert|salt|cookie|session|signature|otp/i.test(key);
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
    const domain = str(raw, "domain", DEFAULTS.domain);
    if (domain.length > MAX_DOMAIN_LENGTH || !isDomainName(domain) || !domain.includes(".")) {
        throw new ConfigError("domain", domain, "expected a DNS name such as foobar.com (letters, digits, hyphens, dots; at most 253)");
    }
    if (domain.toLowerCase().startsWith("www.")) {
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
    if (acmeEmail !== "" && !isEmail(acmeEmail)) {
        throw new ConfigError("acmeEmail", acmeEmail, `expected an e-mail address such as admin@foobar.com (ASCII, at most ${MAX_EMAIL_LENGTH} characters)`);
    }
    if (tls === "letsencrypt" && acmeEmail === "") {
        throw new ConfigError("acmeEmail", acmeEmail, "required when tls is letsencrypt (Let's Encrypt account e-mail)");
    }
    const dbEngine = str(raw, "dbEngine", DEFAULTS.dbEngine);
    if (!(DB_ENGINES as readonly string[]).includes(dbEngine)) {
        throw new ConfigError("dbEngine", dbEngine, `unknown database engine; expected one of ${DB_ENGINES.join(", ")} (auto = MySQL on Ubuntu, MariaDB on Debian)`);
    }
    const dbBindAddress = str(raw, "dbBindAddress", DEFAULTS.dbBindAddress);
    if (dbBindAddress !== "auto" && ipFamily(dbBindAddress) === 0) {
        throw new ConfigError("dbBindAddress", dbBindAddress, "expected an IP address such as 127.0.0.1 or 0.0.0.0, or auto");
    }
    const acmeServer = str(raw, "acmeServer", DEFAULTS.acmeServer);
    if (!isAcmeUrl(acmeServer)) {
        throw new ConfigError(
            "acmeServer",
            acmeServer,
            `expected the https:// URL of an ACME directory (host[:port] and a path of letters, digits and . _ ~ % / -; at most ${MAX_URL_LENGTH} characters)`,
        );
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
    const dbNameReserved = reservedDatabaseName(dbName);
    if (dbNameReserved) throw new ConfigError("dbName", dbName, `reserved name: ${dbNameReserved}; choose another, e.g. app`);
    const dbUser = identifier(raw, "dbUser", DEFAULTS.dbUser);
    const dbUserReserved = reservedUserName(dbUser);
    if (dbUserReserved) throw new ConfigError("dbUser", dbUser, `reserved name: ${dbUserReserved}; choose another, e.g. app`);
    const firewallAllowPorts = portList(raw, "firewallAllowPorts", DEFAULTS.firewallAllowPorts);

    const hostsRaw = raw.hosts === undefined ? DEFAULT_HOSTS : json(raw, "hosts");
    const hosts = parseHosts(hostsRaw, new Set(keys), { hasSshAgent: env.hasSshAgent, secretKeys });

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
        db: { engine: dbEngine as DbEngine, bindAddress: dbBindAddress, port: dbPort, name: dbName, user: dbUser, ...databaseHosts(raw, hosts) },
        monitoring: bool(raw, "monitoring", DEFAULTS.monitoring),
        monitoringAllowFrom,
        backups: bool(raw, "backups", DEFAULTS.backups),
        backupTime,
        backupRetention,
        destroyData: bool(raw, "destroyData", DEFAULTS.destroyData),
        purgePackages: bool(raw, "purgePackages", DEFAULTS.purgePackages),
        removePreexisting: bool(raw, "removePreexisting", DEFAULTS.removePreexisting),
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
        const v = json(raw, "dbReseed");
        if (!Array.isArray(v)) throw new ConfigError("dbReseed", v, "expected a list of db host names");
        if (v.length > MAX_LIST_LENGTH) throw new ConfigError("dbReseed", undefined, `${v.length} entries: at most ${MAX_LIST_LENGTH}`, true);
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

// ---------------------------------------------------------------------------------------------------------------------
// hosts

const HOST_KEYS = new Set(["name", "roles", "connection"]);
const SSH_KEYS = new Set(["type", "address", "port", "user", "privateKeyConfig", "privateAddress", "hostKey"]);
/** An OpenSSH public key line: type, base64 blob (whose first field repeats the type), optional comment. */
const HOST_KEY_TYPES = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"];
/**
 * An RSA host key cannot be pinned: pinning makes the SSH client of @pulumi/command offer only the key's own algorithm
 * name, "ssh-rsa", i.e. SHA-1 signatures, which OpenSSH 8.8 and later refuse by default (Ubuntu 22.04 and later,
 * Debian 12 and later), so every command would fail to connect. Every OpenSSH server has an Ed25519 key too.
 */
const RSA_HOST_KEY = "a pinned ssh-rsa host key cannot work: the deployment's SSH client would then offer only SHA-1 " +
    "\"ssh-rsa\" signatures, which OpenSSH 8.8 and later refuse. Pin the server's Ed25519 or ECDSA key instead " +
    "(ssh-keyscan -t ed25519,ecdsa HOST), or leave hostKey out to record the key at the first deployment";

/** The host key line, normalised to "TYPE BASE64", or an explanation of what is wrong with it. */
export function parseHostKey(value: unknown): { key: string } | { error: string } {
    const expected = `expected an OpenSSH public key line such as "ssh-ed25519 AAAA…" (${HOST_KEY_TYPES.join(", ")}), e.g. from ssh-keyscan`;
    if (typeof value !== "string" || value.length > 16384) return { error: expected };
    const m = /^(\S+) ([A-Za-z0-9+/]+={0,2})(?: [^\r\n]*)?$/.exec(value.trim());
    if (m?.[1] === "ssh-rsa") return { error: RSA_HOST_KEY };
    if (!m || !HOST_KEY_TYPES.includes(m[1])) return { error: expected };
    const blob = Buffer.from(m[2], "base64");
    const len = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
    if (len <= 0 || 4 + len > blob.length || blob.subarray(4, 4 + len).toString("latin1") !== m[1] || blob.length < 4 + len + 32) {
        return { error: `${expected}; the key data does not encode a ${m[1]} key` };
    }
    return { key: `${m[1]} ${m[2]}` };
}
const DOCKER_KEYS = new Set(["type", "bindAddress", "sshPort", "httpPort", "httpsPort", "dbPort"]);

type HostEnv = { hasSshAgent: boolean; secretKeys?: Set<string> };

function parseHosts(value: unknown, configKeys: Set<string>, env: HostEnv): HostSpec[] {
    if (!Array.isArray(value) || value.length === 0) {
        throw new ConfigError("hosts", value, "expected a non-empty list of hosts");
    }
    if (value.length > MAX_HOSTS) throw new ConfigError("hosts", undefined, `${value.length} hosts: at most ${MAX_HOSTS}`, true);
    const hosts = value.map((h, i) => parseHost(h, `hosts[${i}]`, configKeys, env));
    // Other hosts reach each host at its private address: MySQL accounts and binds, ufw rules, HAProxy backends and
    // Nginx's trusted proxies, which the scripts take as IPv4 only.
    if (hosts.length > 1) {
        hosts.forEach((h, i) => {
            if (h.connection.type === "ssh" && net.isIP(h.connection.privateAddress) !== 4) {
                throw new ConfigError(
                    `hosts[${i}].connection.privateAddress`,
                    h.connection.privateAddress,
                    "the other hosts reach this host at its private address (MySQL, firewall rules, load balancer): " +
                        "it must be an IPv4 address; set privateAddress when address is a DNS name or IPv6",
                );
            }
        });
    }

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

function parseHost(value: unknown, at: string, configKeys: Set<string>, env: HostEnv): HostSpec {
    const o = object(value, at);
    unknownKeys(o, at, HOST_KEYS);
    const name = o.name;
    if (typeof name !== "string" || !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(name)) {
        throw new ConfigError(`${at}.name`, name, "expected a host name: lower-case letters, digits and hyphens (a DNS label)");
    }
    if (!Array.isArray(o.roles) || o.roles.length === 0 || o.roles.length > ROLES.length) {
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
        const privateAddress = c.privateAddress === undefined ? address : c.privateAddress;
        if (typeof privateAddress !== "string" || (c.privateAddress !== undefined && net.isIP(privateAddress) !== 4)) {
            throw new ConfigError(`${cat}.privateAddress`, privateAddress, "expected an IPv4 address (what the other hosts use to reach this one)");
        }
        const user = c.user === undefined ? "root" : c.user;
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
            if (env.secretKeys && !env.secretKeys.has(keyName)) {
                throw new ConfigError(`${cat}.privateKeyConfig`, keyName, "names a config key that is not a secret; set it with `pulumi config set --secret`");
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
            port: portValue(c.port === undefined ? 22 : c.port, `${cat}.port`),
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
        const bindAddress = c.bindAddress === undefined ? "127.0.0.1" : c.bindAddress;
        if (typeof bindAddress !== "string" || ipFamily(bindAddress) === 0) {
            throw new ConfigError(`${cat}.bindAddress`, bindAddress, "expected an IP address such as 127.0.0.1");
        }
        connection = {
            type: "docker",
            bindAddress,
            sshPort: portValue(c.sshPort === undefined ? 2222 : c.sshPort, `${cat}.sshPort`),
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
    let v: unknown;
    try {
        v = JSON.parse(raw[key]);
    } catch {
        // the text of a structured value may hold anything (a host's fields): shown only for the simple lists
        throw new ConfigError(key, raw[key], "expected a YAML/JSON list", key === "hosts");
    }
    const at = tooDeep(v, MAX_DEPTH);
    if (at !== undefined) throw new ConfigError(`${key}${at}`, undefined, `nested deeper than ${MAX_DEPTH} levels`, true);
    return v;
}

/** The path of the first value nested deeper than `max` (iterative: no recursion on hostile input), or undefined. */
function tooDeep(root: unknown, max: number): string | undefined {
    const stack: [unknown, number, string][] = [[root, 0, ""]];
    while (stack.length > 0) {
        const [v, depth, at] = stack.pop()!;
        if (typeof v !== "object" || v === null) continue;
        if (depth >= max) return at;
        if (Array.isArray(v)) v.forEach((x, i) => stack.push([x, depth + 1, `${at}[${i}]`]));
        else for (const [k, x] of Object.entries(v)) stack.push([x, depth + 1, `${at}.${escapeText(k, 40)}`]);
    }
    return undefined;
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
    if (v.length > MAX_LIST_LENGTH) throw new ConfigError(key, undefined, `${v.length} entries: at most ${MAX_LIST_LENGTH}`, true);
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
    if (!Array.isArray(v)) throw new ConfigError(key, v, "expected a list of IPv4 addresses or CIDR ranges");
    if (v.length > MAX_LIST_LENGTH) throw new ConfigError(key, undefined, `${v.length} entries: at most ${MAX_LIST_LENGTH}`, true);
    return v.map((a, i) => {
        if (typeof a !== "string" || !isAddressOrCidr(a, 4)) {
            // the firewall (ufw rules) and the status pages take IPv4 only
            throw new ConfigError(`${key}[${i}]`, a, "expected an IPv4 address or CIDR range such as 10.0.0.0/24 (IPv6 is not supported)");
        }
        return a;
    });
}

/** `forget`: names of ssh hosts of `hosts` (the engine can only retain what the program still registers). */
function forgetList(raw: RawConfig, hosts: HostSpec[]): string[] {
    if (raw.forget === undefined) return [];
    const v = json(raw, "forget");
    if (!Array.isArray(v)) throw new ConfigError("forget", v, "expected a list of host names");
    if (v.length > MAX_LIST_LENGTH) throw new ConfigError("forget", undefined, `${v.length} entries: at most ${MAX_LIST_LENGTH}`, true);
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

/** An IPv4 address of a private, shared (CGNAT), link-local or loopback range: not routed on the Internet. */
export function isPrivateIpv4(v: string): boolean {
    if (net.isIP(v) !== 4) return false;
    const [a, b] = v.split(".").map(Number);
    return a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254);
}

/** An address or CIDR range (`family` 4: IPv4 only). Prefix lengths in their canonical form (no leading zeros). */
export function isAddressOrCidr(v: string, family?: 4 | 6): boolean {
    if (v.length > 64) return false;
    const [addr, bits, ...rest] = v.split("/");
    if (rest.length > 0) return false;
    const f = ipFamily(addr);
    if (f === 0 || (family !== undefined && f !== family)) return false;
    if (bits === undefined) return true;
    const n = /^(0|[1-9][0-9]{0,2})$/.test(bits) ? Number(bits) : NaN;
    return n >= 0 && n <= (f === 4 ? 32 : 128);
}

/** 4 or 6 for an IP address in plain form (no IPv6 zone such as %eth0), else 0. */
export function ipFamily(v: string): 0 | 4 | 6 {
    if (v.length > 45 || v.includes("%")) return 0;
    return net.isIP(v) as 0 | 4 | 6;
}

/** An e-mail address certbot and the ACME server take: printable ASCII local part, a DNS domain. Linear-time. */
export function isEmail(v: string): boolean {
    if (v.length > MAX_EMAIL_LENGTH) return false;
    const at = v.indexOf("@");
    if (at < 1 || at > 64 || at !== v.lastIndexOf("@")) return false;
    const local = v.slice(0, at);
    const domain = v.slice(at + 1);
    return /^[\x21-\x3f\x41-\x7e]+$/.test(local) && domain.includes(".") && isDomainName(domain);
}

/** The https:// URL of an ACME directory, in the form certbot.sh accepts (host[:port], a plain path). */
export function isAcmeUrl(v: string): boolean {
    if (v.length > MAX_URL_LENGTH) return false;
    const m = /^https:\/\/([A-Za-z0-9.-]+)(:([1-9][0-9]{0,4}))?(\/[A-Za-z0-9._~%/-]*)?$/.exec(v);
    if (!m) return false;
    if (m[3] !== undefined && Number(m[3]) > 65535) return false;
    return ipFamily(m[1]) === 4 || (isDomainName(m[1]) && m[1] !== "");
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
        if (!known.has(k)) throw new ConfigError(`${at}.${k}`, undefined, `unknown key; expected one of ${[...known].join(", ")}`, true);
    }
}

export function isDomainName(v: string): boolean {
    return (
        v.length <= MAX_DOMAIN_LENGTH &&
        v.split(".").every((label) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(label))
    );
}

function isAddress(v: string): boolean {
    return ipFamily(v) !== 0 || isDomainName(v);
}

// Observed facts: what a live host really runs (scripts/probe.sh's sections, read in one SSH session, plus what the
// runner sees from outside), turned into the facts schema of @seed-web/facts (packages/facts), so the policy pack judges them exactly as
// it judges what a stack declares.
//
// Pure functions (no I/O), so every rule is unit-tested on recorded probe output. A value a probe cannot establish is
// the engine's "unknown" sentinel: a policy reading it throws UnknownValueError and the evaluation reports "cannot
// decide", never a pass. A step whose very presence cannot be established is listed in `undecidedSteps`.

import type { Role } from "../../lib/config";
import {
    BackupFacts,
    BaseFacts,
    DatabaseFacts,
    FACTS_SCHEMA,
    FirewallFacts,
    FirewallRule,
    LbFacts,
    MonitoringFacts,
    NginxFacts,
    ReleaseFacts,
    StepFacts,
    StepName,
    TLS_PROTOCOLS,
    TlsProtocol,
} from "@seed-web/facts";
import { UNKNOWN } from "../audit/evaluate";
import { FilterUnreadable, PacketFilter, parseIptables, parseNft } from "./packet-filter";

export { UNKNOWN };

/** A host of the stack as verify reaches it. */
export interface HostTarget {
    name: string;
    roles: Role[];
    address: string;
    port: number;
    user: string;
    privateAddress: string;
    hostKey?: string;
    /** SSH private key file for this host (a Docker host: the stack's own client key); else the run's --identity. */
    identity?: string;
    /** A Docker host: the host's port → the port it is published on at `address`; a port not listed is not
     * published (the runner cannot reach it). Undefined: the runner reaches the host's ports as they are. */
    published?: Record<number, number>;
}

export interface CertificateInfo {
    subject: string;
    issuer: string;
    selfSigned: boolean;
    /** Chains to the system roots (or --ca) and names the site. */
    trusted: boolean;
    /** Why not trusted (OpenSSL's verify error, or a name mismatch). */
    trustError?: string;
    names: string[];
    daysLeft: number;
}

/** What the runner saw from outside. */
export interface RunnerProbe {
    /** Port → answered a TCP connect. */
    ports: Record<number, boolean>;
    /** The runner's own address on those connections (as the host sees it, NAT aside). */
    from?: string;
    /** HTTPS on 443, when the port answered. */
    tls?: {
        /** Version → handshake completed. */
        protocols: Partial<Record<TlsProtocol, boolean>>;
        certificate?: CertificateInfo;
        /** Strict-Transport-Security max-age of an answer over HTTPS (0 = no header); undefined = no answer. */
        hstsMaxAge?: number;
    };
    /** GET / on port 80 with the site's Host header, when the port answered. */
    http?: { status: number; location?: string };
}

export interface ProbeOutput {
    /** Section name → its text (scripts/probe.sh). */
    sections: Map<string, string>;
    runner: RunnerProbe;
}

/** What one host is observed to be: its facts, the steps that cannot be decided, and notes for drift messages. */
export interface Observed {
    host: string;
    facts: StepFacts[];
    undecidedSteps: { step: StepName; reason: string }[];
    /** Human descriptions of what was seen, by topic (firewall, database, tls, replication, monitoring, backup, ...). */
    notes: Record<string, string>;
    /** What the host serves and holds beyond the facts schema, for the drift of facts the policies do not read. */
    served?: {
        /** The certificate the runner was served on 443. */
        certificate?: CertificateInfo;
        /** Every MySQL account (user, host), local ones included. */
        accounts?: { user: string; host: string }[];
        /** MySQL's databases. */
        schemas?: string[];
        /** Databases named in mysql.db grants (patterns as stored, e.g. test\_%). */
        grantedDbs?: string[];
        /**
         * The serving profile (probe section "profile"): what the steps computed at apply (`php.profile.*`, `db.cnf.*`)
         * and what the host runs (`php.pool.*`, `db.live.*`), e.g. "php.pool.max_children" -> 24.
         */
        profile?: Record<string, number>;
    };
}

const unknown = <T>(): T => UNKNOWN as unknown as T;

export function isUnknown(v: unknown): boolean {
    return v === UNKNOWN;
}

/** scripts/probe.sh's output → sections. */
export function parseSections(text: string): Map<string, string> {
    const out = new Map<string, string>();
    let name: string | undefined;
    let lines: string[] = [];
    for (const line of text.split("\n")) {
        const m = /^### ([a-z0-9-]+)$/.exec(line);
        if (m) {
            if (name) out.set(name, lines.join("\n").replace(/\n+$/, ""));
            name = m[1];
            lines = [];
        } else if (name) lines.push(line);
    }
    if (name) out.set(name, lines.join("\n").replace(/\n+$/, ""));
    return out;
}

/** "!absent why" / "!unavailable why" markers of a section. */
function marker(text: string | undefined): { kind: "absent" | "unavailable"; why: string } | undefined {
    if (text === undefined) return { kind: "unavailable", why: "not in the probe's output" };
    const m = /^!(absent|unavailable) ?(.*)$/m.exec(text.split("\n")[0] ?? "");
    return m ? { kind: m[1] as "absent" | "unavailable", why: m[2] } : undefined;
}

// ---------------------------------------------------------------------------------------------------------------------
// sockets

export interface Listener {
    address: string;
    port: number;
    process?: string;
}

/** `ss -Hltnp` lines → listeners ("*" and "[::]" kept as the wildcard addresses "0.0.0.0" and "::"). */
export function parseListeners(text: string): Listener[] {
    const out: Listener[] = [];
    for (const line of text.split("\n")) {
        const cols = line.trim().split(/\s+/);
        if (cols.length < 4 || cols[0] !== "LISTEN") continue;
        const local = cols[3];
        const i = local.lastIndexOf(":");
        if (i < 0) continue;
        let address = local.slice(0, i).replace(/%.*$/, "");
        if (address === "*") address = "0.0.0.0";
        address = address.replace(/^\[(.*)\]$/, "$1");
        const port = Number(local.slice(i + 1));
        const proc = /users:\(\("([^"]+)"/.exec(line)?.[1];
        if (Number.isInteger(port)) out.push({ address, port, ...(proc ? { process: proc } : {}) });
    }
    return out;
}

export function isWildcard(address: string): boolean {
    return ["0.0.0.0", "::", "*", "0:0:0:0:0:0:0:0"].includes(address);
}

// ---------------------------------------------------------------------------------------------------------------------
// ufw

export interface UfwStatus {
    active: boolean;
    defaultInbound?: "deny" | "allow";
    rules: FirewallRule[];
}

/** `ufw status verbose` → state, default inbound policy, allow rules (IPv4 view; "(v6)" duplicates dropped). */
export function parseUfw(text: string): UfwStatus {
    const active = /^Status: active$/m.test(text);
    const d = /^Default: (deny|allow|reject) \(incoming\)/m.exec(text)?.[1];
    const rules: FirewallRule[] = [];
    let inTable = false;
    for (const line of text.split("\n")) {
        if (/^--\s+-+\s+--/.test(line)) {
            inTable = true;
            continue;
        }
        if (!inTable || !line.trim()) continue;
        const m = /^(.+?)\s{2,}(ALLOW|LIMIT)(?: IN)?\s{2,}(.+?)\s*$/.exec(line);
        if (!m || /\(v6\)/.test(m[1])) continue;
        const to = m[1].trim();
        const pm = /^(\d+(?:[,:]\d+)*)(?:\/(tcp|udp))?$/.exec(to);
        if (!pm || pm[2] === "udp") continue;
        let from = m[3].trim();
        if (/^Anywhere/.test(from)) from = "any";
        from = from.replace(/\/32$/, "");
        for (const part of pm[1].split(",")) {
            const [a, b] = part.split(":").map(Number);
            for (let p = a; p <= (b ?? a) && p - a < 1024; p++) rules.push({ port: p, proto: "tcp", from });
        }
    }
    return { active, defaultInbound: d === undefined ? undefined : d === "allow" ? "allow" : "deny", rules };
}

// ---------------------------------------------------------------------------------------------------------------------
// nginx -T, haproxy.cfg

export interface WebConfig {
    serverNames: string[];
    sslListen: boolean;
    protocols: TlsProtocol[];
    redirectsToHttps: boolean;
    hstsMaxAge: number;
    docRoot?: string;
    php: boolean;
    trustedProxies: string[];
    /** The port of the server that answers the load balancer over TLS (its certificate in backend.invalid/). */
    backendTlsPort?: number;
}

/** The `server { … }` blocks of a configuration (comments removed), outermost first. */
function serverBlocks(text: string): string[] {
    const t = uncommented(text);
    const blocks: string[] = [];
    const re = /(?:^|[{;}\s])server\s*\{/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(t))) {
        const start = m.index + m[0].length;
        let depth = 1;
        let i = start;
        for (; i < t.length && depth > 0; i++) {
            if (t[i] === "{") depth++;
            else if (t[i] === "}") depth--;
        }
        blocks.push(t.slice(start, i - 1));
        re.lastIndex = i;
    }
    return blocks;
}

/** nginx -T without its comments (a `#` at a line's start or after a blank: not inside a value such as a regex). */
function uncommented(text: string): string {
    return text.replace(/(^|\s)#[^\n]*/g, "$1");
}

/** A directive's values wherever it stands: on its own line, or after `{` or `;` on one line (`server { listen 443 ssl; … }`). */
function directiveValues(text: string, name: string): string[] {
    const re = new RegExp(`(?:^|[{;])\\s*${name}\\s+([^;{}]*);`, "gm");
    return [...uncommented(text).matchAll(re)].map((m) => m[1].trim());
}

function protocolsFrom(words: string[]): TlsProtocol[] {
    return TLS_PROTOCOLS.filter((p) => words.includes(p));
}

export function parseNginx(text: string): WebConfig {
    const names = new Set<string>();
    for (const v of directiveValues(text, "server_name")) for (const n of v.split(/\s+/)) if (n && n !== "_" && n !== '""') names.add(n);
    // the balancer's TLS server (scripts/nginx.sh: LEMP_BACKEND_TLS_PORT) is no TLS served to the clients
    const backend = serverBlocks(text).find((b) => directiveValues(b, "ssl_certificate").some((c) => c.includes("/backend.invalid/")));
    const backendPort = backend ? /(\d+)\s+ssl\b/.exec(directiveValues(backend, "listen")[0] ?? "")?.[1] : undefined;
    // (the block is a slice of the text without its comments: taken out of that text, whatever comments the block held)
    const listens = directiveValues(backend ? uncommented(text).replace(backend, "") : text, "listen");
    const protocols = new Set<TlsProtocol>();
    for (const v of directiveValues(text, "ssl_protocols")) for (const p of protocolsFrom(v.split(/\s+/))) protocols.add(p);
    const hsts = /add_header\s+Strict-Transport-Security\s+['"]?max-age=(\d+)/i.exec(uncommented(text));
    return {
        serverNames: [...names],
        // `listen 443 ssl`, or the old `ssl on;` with a plain listen
        sslListen: listens.some((l) => /\bssl\b/.test(l)) || directiveValues(text, "ssl").includes("on"),
        protocols: TLS_PROTOCOLS.filter((p) => protocols.has(p)),
        redirectsToHttps: /return\s+30[1278]\s+["']?https:\/\//.test(uncommented(text)) || /rewrite\s+\S+\s+https:\/\/\S*\s+(permanent|redirect)/.test(uncommented(text)),
        hstsMaxAge: hsts ? Number(hsts[1]) : 0,
        docRoot: directiveValues(text, "root")[0],
        php: /fastcgi_pass\s/.test(text),
        trustedProxies: directiveValues(text, "set_real_ip_from"),
        ...(backendPort ? { backendTlsPort: Number(backendPort) } : {}),
    };
}

export interface LbConfig {
    valid: boolean;
    sslBind: boolean;
    protocols: TlsProtocol[];
    redirectsToHttps: boolean;
    hstsMaxAge: number;
    /** Backend servers: name and address (certbot's local server left out). */
    servers: { name: string; address: string }[];
    /** Every backend server over TLS with its certificate verified (`ssl verify required ca-file …`); false when none
     * or only some are. */
    backendTls: boolean;
    healthCheck?: string;
}

export function parseHaproxy(text: string): LbConfig {
    const lines = text.split("\n").map((l) => l.replace(/#.*$/, "").trim());
    const min = /ssl-min-ver\s+(TLSv1(?:\.[0-3])?)/.exec(text)?.[1] as TlsProtocol | undefined;
    const sslBind = lines.some((l) => /^bind\s.*\bssl\b/.test(l));
    const protocols = sslBind ? TLS_PROTOCOLS.slice(TLS_PROTOCOLS.indexOf(min ?? "TLSv1.2")) : [];
    const servers: { name: string; address: string }[] = [];
    let verified = 0;
    for (const l of lines) {
        const m = /^server\s+(\S+)\s+(\S+)/.exec(l);
        if (!m) continue;
        const address = m[2].replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1");
        if (address.startsWith("127.")) continue;
        servers.push({ name: m[1], address });
        if (/\sssl(\s|$)/.test(l) && /\sverify\s+required(\s|$)/.test(l) && /\sca-file\s+\S/.test(l)) verified++;
    }
    const hsts = /Strict-Transport-Security\s+"?max-age=(\d+)/i.exec(text);
    const check = /option\s+httpchk\s+(?:GET\s+)?(\S+)/.exec(text)?.[1] ?? /http-check\s+send\s+meth\s+GET\s+uri\s+(\S+)/.exec(text)?.[1];
    return {
        valid: /^#valid$/m.test(text),
        sslBind,
        protocols,
        redirectsToHttps: lines.some((l) => /redirect\s+(scheme\s+https|prefix\s+https:\/\/)/.test(l)),
        hstsMaxAge: hsts ? Number(hsts[1]) : 0,
        servers,
        backendTls: servers.length > 0 && verified === servers.length,
        ...(check ? { healthCheck: check } : {}),
    };
}

// ---------------------------------------------------------------------------------------------------------------------
// MySQL

export interface MysqlState {
    bindAddress?: string;
    port?: number;
    serverId?: number;
    readOnly?: boolean;
    haveSsl?: boolean;
    /** Every account. */
    accounts?: { user: string; host: string }[];
    /** Databases, and the databases named in mysql.db grants (probe section mysql-schemas). */
    schemas?: string[];
    grantedDbs?: string[];
    /** Accounts at a host other than localhost, and whether each requires TLS. */
    remoteAccounts?: { user: string; host: string; requireTls: boolean }[];
    replica?: { masterHost: string; running: boolean; lagSeconds: number | null; error?: string };
    /** Sections that could not be read. */
    unavailable: string[];
}

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "::1"]);

export function parseMysql(sections: Map<string, string>): MysqlState {
    const st: MysqlState = { unavailable: [] };
    const vars = sections.get("mysql-vars");
    if (marker(vars)) st.unavailable.push(`server variables (${marker(vars)!.why})`);
    else {
        const [bind, port, id, ro, ssl] = (vars ?? "").split("\n")[0].split("\t");
        st.bindAddress = bind;
        st.port = Number(port);
        st.serverId = Number(id);
        st.readOnly = ro === "1";
        st.haveSsl = ssl === "YES";
    }
    const users = sections.get("mysql-users");
    if (marker(users)) st.unavailable.push(`accounts (${marker(users)!.why})`);
    else {
        st.accounts = (users ?? "").split("\n").filter((l) => l.includes("\t")).map((l) => l.split("\t")).map(([user, host]) => ({ user, host }));
        st.remoteAccounts = (users ?? "").split("\n").filter(Boolean).map((l) => l.split("\t"))
            .filter(([, host]) => host !== undefined && !LOCAL_HOSTS.has(host))
            .map(([user, host, sslType]) => ({ user, host, requireTls: !!sslType && sslType !== "NULL" }));
    }
    const schemas = sections.get("mysql-schemas");
    if (schemas !== undefined && !marker(schemas)) {
        st.schemas = [];
        st.grantedDbs = [];
        for (const l of schemas.split("\n").filter(Boolean)) {
            const [kind, name = ""] = l.split("\t");
            if (kind === "schema") st.schemas.push(name);
            else if (kind === "grant") st.grantedDbs.push(name);
        }
    }
    const rep = sections.get("mysql-replica");
    if (marker(rep)) st.unavailable.push(`replication status (${marker(rep)!.why})`);
    else if (rep && /(Master|Source)_Host:/.test(rep)) {
        // MariaDB's SHOW SLAVE STATUS names (Master_Host, Slave_IO_Running…), MySQL's SHOW REPLICA STATUS ones
        // (Source_Host, Replica_IO_Running…): the probe runs the statement of the server's engine and version
        // [ \t]*, not \s*: an empty value (Last_IO_Error: ) must not read the next line as its own
        const field = (...ks: string[]) => ks.map((k) => new RegExp(`^[ \\t]*${k}:[ \\t]*(.*)$`, "m").exec(rep)?.[1].trim()).find((v) => v !== undefined) ?? "";
        const running = field("Slave_IO_Running", "Replica_IO_Running") === "Yes" && field("Slave_SQL_Running", "Replica_SQL_Running") === "Yes";
        const lag = field("Seconds_Behind_Master", "Seconds_Behind_Source");
        const error = [field("Last_IO_Error"), field("Last_SQL_Error")].filter(Boolean).join("; ");
        st.replica = { masterHost: field("Master_Host", "Source_Host"), running, lagSeconds: /^\d+$/.test(lag) ? Number(lag) : null, ...(error ? { error } : {}) };
    }
    return st;
}

// ---------------------------------------------------------------------------------------------------------------------
// systemd units

export function parseUnits(text: string | undefined): Map<string, { enabled: string; active: string }> | undefined {
    if (text === undefined || marker(text)) return undefined;
    const out = new Map<string, { enabled: string; active: string }>();
    for (const line of text.split("\n")) {
        const [u, enabled = "", active = ""] = line.trim().split(/\s+/);
        if (u) out.set(u.replace(/\.service$/, ""), { enabled, active });
    }
    return out;
}

// ---------------------------------------------------------------------------------------------------------------------
// the host's facts

export interface ObserveContext {
    /** Every host of the stack (to name backends and primaries by host name). */
    hosts: HostTarget[];
    /** The backup directory to look in (the stack's, else the program's default). */
    backupDir: string;
}

function hostNameOf(address: string, ctx: ObserveContext): string {
    const h = ctx.hosts.find((x) => x.name === address || x.privateAddress === address || x.address === address);
    return h?.name ?? address;
}

function common<S extends StepName>(host: HostTarget, step: S, roles: Role[]) {
    return { schema: FACTS_SCHEMA as typeof FACTS_SCHEMA, step, host: host.name, roles: [...roles] as Role[] };
}

/** TLS mode as the facts name it: "letsencrypt" stands for a certificate the runner trusts, "self-signed" for any other. */
function tlsModeOf(runner: RunnerProbe): NginxFacts["tls"] | undefined {
    const t = runner.tls;
    if (!t || !Object.values(t.protocols).some(Boolean)) return undefined;
    if (!t.certificate) return undefined;
    return t.certificate.trusted ? "letsencrypt" : "self-signed";
}

function servedProtocols(runner: RunnerProbe): TlsProtocol[] | undefined {
    const t = runner.tls;
    if (!t || !Object.values(t.protocols).some(Boolean)) return undefined;
    return TLS_PROTOCOLS.filter((p) => t.protocols[p]);
}

function redirectOf(runner: RunnerProbe): boolean | undefined {
    if (!runner.http) return undefined;
    return [301, 302, 307, 308].includes(runner.http.status) && /^https:\/\//i.test(runner.http.location ?? "");
}

function certNote(c: CertificateInfo): string {
    return `${c.trusted ? "trusted" : `not trusted (${c.selfSigned ? "self-signed" : c.trustError ?? "unknown issuer"})`} certificate ` +
        `for ${c.names.join(", ") || c.subject}, ${c.daysLeft} days left`;
}

/** The database's TLS certificates' expiry (probe section "db-tls": "FILE UNIX-TIME" lines), in days from `now` (s). */
export function dbTlsNote(text: string | undefined, now: number): string | undefined {
    if (!text || marker(text)) return undefined;
    const parts: string[] = [];
    for (const line of text.split("\n")) {
        const m = /^(\S+) (\d+)$/.exec(line.trim());
        if (!m) continue;
        const left = (Number(m[2]) - now) / 86400;
        const name = m[1].replace(/^.*\//, "");
        const date = new Date(Number(m[2]) * 1000).toISOString().slice(0, 10);
        parts.push(left < 0 ? `${name} EXPIRED ${Math.floor(-left)} days ago (${date})` : `${name} expires in ${Math.floor(left)} days (${date})`);
    }
    return parts.length ? parts.join(", ") : undefined;
}

/** The probe's "release" section ("BASE TARGET KEPT"): the first site's live release, or undefined when none. */
export function parseRelease(text: string): { base: string; target: string; release?: string; kept: number } | undefined {
    const line = text.split("\n").find((l) => l.trim() !== "");
    if (!line) return undefined;
    const [base, target = "", kept = "0"] = line.trim().split(/\s+/);
    const m = /^releases\/([0-9a-f]{20})$/.exec(target);
    return { base, target, ...(m ? { release: m[1] } : {}), kept: Number(kept) };
}

/** What the steps found before the stack's first apply and keep (probe section "kept": "STEP KIND VALUE" lines), as a
 * finding to read: a remote root or a `test` database kept there is the administrators' call, not the stack's. */
export function keptNote(text: string | undefined): string | undefined {
    if (!text || marker(text)) return undefined;
    const by = new Map<string, string[]>();
    for (const line of text.split("\n")) {
        const m = /^(\S+) (\S+) (.+)$/.exec(line.trim());
        if (!m) continue;
        by.set(m[1], [...(by.get(m[1]) ?? []), `${m[2]} ${m[3]}`]);
    }
    if (by.size === 0) return undefined;
    return `here before the stack, kept (removePreexisting removes them): ${[...by].map(([step, what]) => `${step}: ${what.join(", ")}`).join("; ")}`;
}

export function observeHost(host: HostTarget, probe: ProbeOutput, ctx: ObserveContext): Observed {
    const s = probe.sections;
    const runner = probe.runner;
    const facts: StepFacts[] = [];
    const undecidedSteps: Observed["undecidedSteps"] = [];
    const notes: Record<string, string> = {};
    const served: NonNullable<Observed["served"]> = {};
    const roles = [...host.roles];
    const listenText = s.get("listen");
    const listeners = marker(listenText) ? undefined : parseListeners(listenText ?? "");

    // base: the host answered, with its configured roles.
    const base: BaseFacts = { ...common(host, "base", roles), provider: "ssh", privateAddress: host.privateAddress, preinstall: [] };
    facts.push(base);

    // firewall: ufw when it is active, else the packet filter itself (iptables-save, nft list ruleset), whatever wrote it
    const ufwText = s.get("ufw");
    const ufwMark = marker(ufwText);
    const ufw = ufwMark ? undefined : parseUfw(ufwText ?? "");
    let fw: FirewallFacts | undefined;
    if (ufw?.active) {
        fw = { ...common(host, "firewall", roles), engine: "ufw", defaultInbound: ufw.defaultInbound ?? unknown(), rules: ufw.rules };
        notes.firewall = `ufw active, default ${ufw.defaultInbound ?? "unknown"} (incoming), ${ufw.rules.length} allow rule(s)`;
    } else {
        const ufwState = ufwMark?.kind === "unavailable" ? `ufw unknown (${ufwMark.why})` : ufwMark ? "ufw not installed" : "ufw inactive";
        const listening = [...new Set((listeners ?? []).filter((l) => !l.address.startsWith("127.") && l.address !== "::1").map((l) => l.port))];
        const found: PacketFilter[] = [];
        const unreadable: string[] = [];
        for (const [label, key, parse] of [["iptables", "iptables", parseIptables], ["nftables", "nft", parseNft]] as const) {
            const text = s.get(key);
            const m = marker(text);
            if (m) {
                if (m.kind === "unavailable") unreadable.push(`${label}: ${m.why}`);
                continue;
            }
            try {
                const f = parse(text ?? "", listening);
                // a ruleset that accepts by default and drops nothing (the empty chains `ufw disable` or a flush
                // leaves) filters nothing: no packet filter, not "a firewall"
                if (f && (f.defaultInbound === "deny" || dropsSomething(label, text ?? ""))) found.push(f);
            } catch (e) {
                if (!(e instanceof FilterUnreadable)) throw e;
                unreadable.push(`${label}: ${e.message}`);
            }
        }
        // every filter must accept a packet: the strictest default, the ports open through all the denying ones
        const deny = found.filter((f) => f.defaultInbound === "deny");
        if (deny.length) {
            const rules = deny[0].rules.filter((x) => deny.every((d) => d.rules.some((y) => y.port === x.port && (y.from === "any" || y.from === x.from))));
            fw = { ...common(host, "firewall", roles), engine: deny[0].engine, defaultInbound: "deny", rules };
            notes.firewall = `${ufwState}; ${deny.map((d) => d.engine).join(" and ")} ruleset: default deny (incoming), ` +
                `allowing ${rules.map((r) => `${r.port}/tcp from ${r.from}`).join(", ") || "nothing"}` + (unreadable.length ? `; unreadable: ${unreadable.join("; ")}` : "");
        } else if (unreadable.length) {
            undecidedSteps.push({ step: "firewall", reason: `the packet filter cannot be read: ${unreadable.join("; ")}` });
            notes.firewall = `unknown (${ufwState}; ${unreadable.join("; ")})`;
        } else if (found.length) {
            fw = { ...common(host, "firewall", roles), engine: found[0].engine, defaultInbound: "allow", rules: [] };
            notes.firewall = `${ufwState}; ${found.map((d) => d.engine).join(" and ")} ruleset accepting inbound traffic by default`;
        } else notes.firewall = `${ufwState}; no packet filter on input (iptables and nftables read)`;
    }
    if (fw) facts.push(fw);

    // database
    const mysql = parseMysql(s);
    const dbListeners = (listeners ?? []).filter((l) => /^(mysqld|mariadbd)$/.test(l.process ?? "") || (l.process === undefined && l.port === (mysql.port ?? 3306)));
    const hasServer = dbListeners.length > 0 || mysql.bindAddress !== undefined;
    let database: DatabaseFacts | undefined;
    if (hasServer) {
        const nonLoop = dbListeners.find((l) => !l.address.startsWith("127.") && l.address !== "::1");
        const bindAddress = nonLoop?.address ?? dbListeners[0]?.address ?? (listeners ? "(none)" : undefined);
        const accounts = mysql.remoteAccounts;
        database = {
            ...common(host, "database", roles),
            engine: "auto",
            bindAddress: bindAddress ?? unknown(),
            port: nonLoop?.port ?? dbListeners[0]?.port ?? mysql.port ?? unknown(),
            name: unknown(),
            user: unknown(),
            clientHosts: accounts ? [...new Set(accounts.filter((a) => a.user !== "repl").map((a) => a.host))] : unknown(),
            replication: mysql.unavailable.some((u) => u.startsWith("replication"))
                ? unknown()
                : mysql.replica
                  ? { role: "replica", serverId: mysql.serverId ?? 0, primary: hostNameOf(mysql.replica.masterHost, ctx), running: mysql.replica.running, lagSeconds: mysql.replica.lagSeconds }
                  : { role: "standalone", serverId: mysql.serverId ?? 0 },
            tls: accounts && mysql.haveSsl !== undefined ? mysql.haveSsl && accounts.every((a) => a.requireTls) : unknown(),
        };
        facts.push(database!);
        if (mysql.accounts) served.accounts = mysql.accounts;
        if (mysql.schemas) served.schemas = mysql.schemas;
        if (mysql.grantedDbs) served.grantedDbs = mysql.grantedDbs;
        // what the runner reached from outside: a database port that answered it is open to it, whatever the rules
        // read say (a filter this reader missed, a NAT in front)
        const dbPort = database.port;
        if (fw && !isUnknown(fw.rules) && typeof dbPort === "number" && nonLoop && runner.ports[dbPort] === true) {
            const from = runner.from ?? "any";
            if (!fw.rules.some((r) => r.port === dbPort && (r.from === "any" || r.from === from))) {
                fw.rules.push({ port: dbPort, proto: "tcp", from });
                notes.firewall = `${notes.firewall ?? ""}; but ${dbPort} answered the runner (${from}) from outside`;
            }
        }
        const insecure = accounts?.filter((a) => !a.requireTls).map((a) => `${a.user}@${a.host}`) ?? [];
        notes.database = `MySQL listening on ${dbListeners.map((l) => `${l.address}:${l.port}`).join(", ") || "unknown"}` +
            (accounts ? `; remote accounts: ${accounts.map((a) => `${a.user}@${a.host}${a.requireTls ? " (TLS)" : ""}`).join(", ") || "none"}` : "") +
            (insecure.length ? `; without TLS: ${insecure.join(", ")}` : "") +
            (mysql.unavailable.length ? `; unreadable: ${mysql.unavailable.join(", ")}` : "");
        if (mysql.replica) {
            notes.replication = mysql.replica.running
                ? `replica of ${mysql.replica.masterHost}, streaming, ${mysql.replica.lagSeconds ?? "?"} s behind`
                : `replica of ${mysql.replica.masterHost}, replication stopped${mysql.replica.error ? ` (${mysql.replica.error})` : ""}`;
            // A replica that does not replicate holds no copy of the data: it is no database host for the policies.
            if (!mysql.replica.running) for (const f of facts) f.roles = f.roles.filter((r) => r !== "db");
        }
    } else if (host.roles.includes("db")) {
        notes.database = listeners ? "no MySQL server listening" : "unknown (sockets unreadable)";
        if (!listeners) undecidedSteps.push({ step: "database", reason: "the listening sockets cannot be read" });
    }

    // nginx
    const nginxText = s.get("nginx");
    const nginxMark = marker(nginxText);
    const sslOwner = (listeners ?? []).find((l) => l.port === 443)?.process;
    if (!nginxMark) {
        const cfg = parseNginx(nginxText ?? "");
        // What the host DOES: a TLS handshake the runner completed on 443, answered by Nginx (whoever wrote its
        // files); the configuration only when 443 did not answer the runner (a firewall in between, say).
        const handshake = !!runner.tls && Object.values(runner.tls.protocols).some(Boolean);
        const nginxOwns443 = sslOwner === undefined || /nginx/.test(sslOwner);
        // (a handshake on the port of the balancer's TLS server, when no other TLS server is configured, is that one's)
        const servesTls = nginxOwns443 && (cfg.sslListen || (handshake && cfg.backendTlsPort !== 443));
        const observedTls = servesTls ? tlsModeOf(runner) : "none";
        const f: NginxFacts = {
            ...common(host, "nginx", roles),
            serverNames: cfg.serverNames,
            docRoot: cfg.docRoot ?? unknown(),
            httpPort: 80,
            tls: observedTls ?? unknown(),
            ...(servesTls ? { httpsPort: 443 } : {}),
            redirectHttp: redirectOf(runner) ?? cfg.redirectsToHttps,
            hstsMaxAge: servesTls ? (runner.tls?.hstsMaxAge ?? cfg.hstsMaxAge) : cfg.hstsMaxAge,
            ...(servesTls ? { tlsProtocols: servedProtocols(runner) ?? cfg.protocols } : {}),
            php: cfg.php,
            trustedProxies: cfg.trustedProxies,
            ...(cfg.backendTlsPort !== undefined ? { backendTlsPort: cfg.backendTlsPort } : {}),
            statusAllow: unknown(),
        };
        facts.push(f);
        const redirect = redirectOf(runner);
        const hsts = runner.tls?.hstsMaxAge;
        notes.nginx = servesTls
            ? runner.tls?.certificate
                ? `HTTPS served: ${(f.tlsProtocols ?? []).join(", ")}; ${certNote(runner.tls.certificate)}; ` +
                  `HTTP ${redirect === undefined ? "not answering the runner" : redirect ? "redirected to HTTPS" : "not redirected"}; ` +
                  `${hsts ? `HSTS max-age=${hsts}` : hsts === 0 ? "no HSTS header" : "HSTS unknown"}`
                : "TLS configured, but 443 did not answer the runner"
            : "plain HTTP only";
        if (cfg.backendTlsPort !== undefined) notes.nginx += `; the load balancer served over TLS on ${cfg.backendTlsPort}`;
        if (runner.tls?.certificate) served.certificate = runner.tls.certificate;
    } else if (nginxMark.kind === "unavailable") {
        undecidedSteps.push({ step: "nginx", reason: `nginx -T failed: ${nginxMark.why}` });
    }

    // lb
    const haText = s.get("haproxy");
    const haMark = marker(haText);
    // installed but not running (the unit inactive and nothing of HAProxy's listening): it balances nothing
    const haUnit = parseUnits(s.get("units"))?.get("haproxy");
    const haIdle = haUnit !== undefined && haUnit.active !== "active" && listeners !== undefined && !listeners.some((l) => /haproxy/.test(l.process ?? ""));
    if (!haMark && haIdle) notes.lb = `HAProxy installed, not running (${haUnit.enabled || "?"}, ${haUnit.active || "?"})`;
    else if (!haMark) {
        const cfg = parseHaproxy(haText ?? "");
        // as for Nginx: a handshake the runner completed on 443, answered by HAProxy, or its configuration
        const lbTls = (sslOwner === undefined || /haproxy/.test(sslOwner)) && (cfg.sslBind || (!!runner.tls && Object.values(runner.tls.protocols).some(Boolean)));
        const f: LbFacts = {
            ...common(host, "lb", roles),
            engine: "haproxy",
            backends: cfg.servers.map((x) => hostNameOf(x.address, ctx)),
            backendTls: cfg.backendTls,
            algorithm: "roundrobin",
            healthCheck: cfg.healthCheck ?? unknown(),
            httpPort: 80,
            tls: lbTls ? (tlsModeOf(runner) ?? unknown()) : "none",
            ...(lbTls ? { httpsPort: 443, tlsProtocols: servedProtocols(runner) ?? cfg.protocols } : {}),
            redirectHttp: redirectOf(runner) ?? cfg.redirectsToHttps,
            hstsMaxAge: runner.tls?.hstsMaxAge ?? cfg.hstsMaxAge,
        };
        facts.push(f);
        notes.lb = `HAProxy${cfg.valid ? "" : " (config does not validate)"} → ${f.backends.join(", ") || "no backend"}` +
            (f.backends.length ? (cfg.backendTls ? " over TLS (certificates verified against a CA)" : " (not all over verified TLS)") : "") +
            (lbTls && runner.tls?.certificate ? `; ${certNote(runner.tls.certificate)}` : "");
        if (lbTls && runner.tls?.certificate) served.certificate = runner.tls.certificate;
    } else if (haMark.kind === "unavailable") {
        undecidedSteps.push({ step: "lb", reason: haMark.why });
    }

    // monitoring: the exporter answers with node_ metrics
    const units = parseUnits(s.get("units"));
    const exp = s.get("exporter");
    const expUnit = units?.get("prometheus-node-exporter");
    const unitNote = (u?: { enabled: string; active: string }) => (u ? ` (${u.enabled || "?"}, ${u.active || "?"})` : "");
    if (!marker(exp) && exp) {
        const [addr, n] = exp.trim().split(/\s+/);
        if (Number(n) > 0) {
            const m: MonitoringFacts = { ...common(host, "monitoring", roles), exporter: "prometheus-node-exporter", listen: addr, port: 9100, allowFrom: unknown() };
            facts.push(m);
            notes.monitoring = `node exporter answering on ${addr}:9100${unitNote(expUnit)}`;
        } else notes.monitoring = `node exporter listening on ${addr}:9100 but not answering with metrics${unitNote(expUnit)}`;
    } else if (marker(exp)?.kind === "unavailable") {
        undecidedSteps.push({ step: "monitoring", reason: marker(exp)!.why });
    } else notes.monitoring = `node exporter not answering${unitNote(expUnit) || " (not installed)"}`;

    // backup: the timer is enabled and active; the last dump's age is reported
    const lastText = s.get("backup");
    const now = Number(s.get("now"));
    const last = !marker(lastText) && lastText ? Number(lastText.split(" ")[0]) : undefined;
    const lastNote = last ? `last dump ${((now - last) / 3600).toFixed(1)} h ago` : "no dump found";
    const timer = units?.get("seed-web-backup.timer");
    if (units === undefined) {
        if (hasServer) undecidedSteps.push({ step: "backup", reason: "no systemd: the backup schedule cannot be read" });
        notes.backup = `schedule unknown (no systemd); ${lastNote}`;
    } else if (timer && timer.enabled === "enabled" && timer.active === "active") {
        const b: BackupFacts = { ...common(host, "backup", roles), database: unknown(), time: unknown(), retention: unknown(), directory: ctx.backupDir };
        facts.push(b);
        notes.backup = `seed-web-backup.timer enabled and active; ${lastNote}`;
    } else {
        notes.backup = `seed-web-backup.timer ${timer ? `${timer.enabled || "not installed"}, ${timer.active || "?"}` : "not installed"}; ${lastNote}`;
    }

    // release: the user's application, the release the site's `current` link names
    const relText = s.get("release");
    const rel = marker(relText) ? undefined : parseRelease(relText ?? "");
    if (rel?.release) {
        const r: ReleaseFacts = {
            ...common(host, "release", roles),
            release: rel.release,
            base: rel.base,
            docRoot: unknown(),
            keepReleases: unknown(),
            healthPath: unknown(),
            frontController: unknown(),
            drain: unknown(),
        };
        facts.push(r);
        notes.release = `serves release ${rel.release} (${rel.kept} kept in ${rel.base}/releases)`;
    } else if (rel) {
        notes.release = `${rel.base}/current names no release (${rel.target})`;
    } else if (marker(relText)?.kind === "unavailable") {
        undecidedSteps.push({ step: "release", reason: marker(relText)!.why });
    }

    const dbTls = dbTlsNote(s.get("db-tls"), Number(s.get("now")?.trim()));
    if (dbTls) notes.databaseTls = dbTls;
    const kept = keptNote(s.get("kept"));
    if (kept) notes.kept = kept;
    const profile = parseProfile(s.get("profile"));
    if (profile) served.profile = profile;
    return { host: host.name, facts, undecidedSteps, notes, served };
}

/** Cross-host: a host others replicate from is a primary, with those replicas. */
/** The probe's "profile" section ("KEY NUMBER" lines); undefined when it is missing or unreadable. */
export function parseProfile(text: string | undefined): Record<string, number> | undefined {
    if (text === undefined || marker(text)) return undefined;
    const out: Record<string, number> = {};
    for (const l of text.split("\n")) {
        const m = /^([a-z_.]+) (\d{1,9})$/.exec(l.trim());
        if (m) out[m[1]] = Number(m[2]);
    }
    return out;
}

export function linkReplication(all: Observed[]): void {
    for (const o of all) {
        const db = o.facts.find((f): f is DatabaseFacts => f.step === "database");
        if (!db || isUnknown(db.replication)) continue;
        const replicas = all
            .filter((x) => x.host !== o.host)
            .filter((x) => {
                const r = x.facts.find((f): f is DatabaseFacts => f.step === "database")?.replication;
                return r && !isUnknown(r) && r.role === "replica" && r.primary === o.host;
            })
            .map((x) => x.host);
        if (replicas.length > 0 && db.replication.role === "standalone") db.replication = { role: "primary", serverId: db.replication.serverId, replicas };
    }
}

/** Whether a ruleset (iptables-save or nft list ruleset text) holds any rule that drops or rejects a packet. */
function dropsSomething(label: "iptables" | "nftables", text: string): boolean {
    if (label === "iptables") return /^-A\s.*\s-j\s+(DROP|REJECT)\b/m.test(text);
    return text.split("\n").some((l) => !/^\s*(type|policy)\b/.test(l) && /\b(drop|reject)\b/.test(l.replace(/policy\s+\w+;/, "")));
}

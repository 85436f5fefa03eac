// Probe text → typed records: scripts/probe.sh's sections (ss, ufw, nginx -T, haproxy.cfg, the MySQL queries, the
// systemd units, the release and profile sections) read into plain records, nothing judged; observe.ts maps these
// records to the facts schema.
//
// Pure functions (no I/O), each unit-tested on recorded probe output.

import { FirewallRule, TLS_PROTOCOLS, TlsProtocol } from "@seed-web/facts";

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
export function marker(text: string | undefined): { kind: "absent" | "unavailable"; why: string } | undefined {
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
// the release, the serving profile, packet filters

/** The probe's "release" section ("BASE TARGET KEPT"): the first site's live release, or undefined when none. */
export function parseRelease(text: string): { base: string; target: string; release?: string; kept: number } | undefined {
    const line = text.split("\n").find((l) => l.trim() !== "");
    if (!line) return undefined;
    const [base, target = "", kept = "0"] = line.trim().split(/\s+/);
    const m = /^releases\/([0-9a-f]{20})$/.exec(target);
    return { base, target, ...(m ? { release: m[1] } : {}), kept: Number(kept) };
}

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

/** Whether a ruleset (iptables-save or nft list ruleset text) holds any rule that drops or rejects a packet. */
export function dropsSomething(label: "iptables" | "nftables", text: string): boolean {
    if (label === "iptables") return /^-A\s.*\s-j\s+(DROP|REJECT)\b/m.test(text);
    return text.split("\n").some((l) => !/^\s*(type|policy)\b/.test(l) && /\b(drop|reject)\b/.test(l.replace(/policy\s+\w+;/, "")));
}

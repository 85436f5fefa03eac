// Observed facts: what a live host really runs (scripts/probe.sh's sections, read in one SSH session, plus what the
// runner sees from outside), turned into the facts schema of @seed-web/facts (packages/facts), so the policy pack judges them exactly as
// it judges what a stack declares.
//
// Pure functions (no I/O), so every rule is unit-tested on recorded probe output. A value a probe cannot establish is
// the engine's "unknown" sentinel: a policy reading it throws UnknownValueError and the evaluation reports "cannot
// decide", never a pass. A step whose very presence cannot be established is listed in `undecidedSteps`.
//
// The probe's text is read into records by parse.ts; this file maps those records to facts, one function per step.

import type { Role } from "../../lib/config";
import { FACTS_SCHEMA, HTTP_PORT, HTTPS_PORT, NODE_EXPORTER_PORT, TLS_PROTOCOLS } from "@seed-web/facts";
import type { BackupFacts, BaseFacts, DatabaseFacts, FirewallFacts, LbFacts, MonitoringFacts, NginxFacts, ReleaseFacts, StepFacts, StepName, TlsProtocol } from "@seed-web/facts";
import { UNKNOWN } from "../audit/evaluate";
import { FilterUnreadable, PacketFilter, parseIptables, parseNft } from "./packet-filter";
import { dropsSomething, Listener, marker, parseHaproxy, parseListeners, parseMysql, parseNginx, parseProfile, parseRelease, parseUfw, parseUnits } from "./parse";

export { UNKNOWN };
// the parsers, where they were before parse.ts (tests and bench/verify.ts import them from here)
export * from "./parse";

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

/** What observeHost reads and gathers, handed from one step's function to the next. */
interface Seen {
    host: HostTarget;
    s: Map<string, string>;
    runner: RunnerProbe;
    ctx: ObserveContext;
    roles: Role[];
    listeners: Listener[] | undefined;
    units: Map<string, { enabled: string; active: string }> | undefined;
    /** The process listening on 443. */
    sslOwner: string | undefined;
    facts: StepFacts[];
    undecidedSteps: Observed["undecidedSteps"];
    notes: Record<string, string>;
    served: NonNullable<Observed["served"]>;
}

export function observeHost(host: HostTarget, probe: ProbeOutput, ctx: ObserveContext): Observed {
    const s = probe.sections;
    const listenText = s.get("listen");
    const listeners = marker(listenText) ? undefined : parseListeners(listenText ?? "");
    const o: Seen = {
        host,
        s,
        runner: probe.runner,
        ctx,
        roles: [...host.roles],
        listeners,
        units: parseUnits(s.get("units")),
        sslOwner: (listeners ?? []).find((l) => l.port === HTTPS_PORT)?.process,
        facts: [],
        undecidedSteps: [],
        notes: {},
        served: {},
    };
    // base: the host answered, with its configured roles.
    const base: BaseFacts = { ...common(host, "base", o.roles), provider: "ssh", privateAddress: host.privateAddress, preinstall: [] };
    o.facts.push(base);
    const fw = observeFirewall(o);
    if (fw) o.facts.push(fw);
    const hasServer = observeDatabase(o, fw);
    observeNginx(o);
    observeLb(o);
    observeMonitoring(o);
    observeBackup(o, hasServer);
    observeRelease(o);
    observeExtras(o);
    return { host: host.name, facts: o.facts, undecidedSteps: o.undecidedSteps, notes: o.notes, served: o.served };
}

/** The firewall step: the facts of the filter that really holds (notes and undecided steps recorded). */
function observeFirewall(o: Seen): FirewallFacts | undefined {
    // firewall: ufw when it is active, else the packet filter itself (iptables-save, nft list ruleset), whatever wrote it
    const { host, s, roles, listeners, undecidedSteps, notes } = o;
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
    return fw;
}

/** The database step: MySQL's facts (a port that answered the runner added to `fw`); whether a server runs. */
function observeDatabase(o: Seen, fw: FirewallFacts | undefined): boolean {
    // database
    const { host, s, runner, ctx, roles, listeners, facts, undecidedSteps, notes, served } = o;
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
    return hasServer;
}

/** The nginx step: what Nginx serves (the runner's handshake first, its configuration else). */
function observeNginx(o: Seen): void {
    // nginx
    const { host, s, runner, roles, sslOwner, facts, undecidedSteps, notes, served } = o;
    const nginxText = s.get("nginx");
    const nginxMark = marker(nginxText);
    if (!nginxMark) {
        const cfg = parseNginx(nginxText ?? "");
        // What the host DOES: a TLS handshake the runner completed on 443, answered by Nginx (whoever wrote its
        // files); the configuration only when 443 did not answer the runner (a firewall in between, say).
        const handshake = !!runner.tls && Object.values(runner.tls.protocols).some(Boolean);
        const nginxOwns443 = sslOwner === undefined || /nginx/.test(sslOwner);
        // (a handshake on the port of the balancer's TLS server, when no other TLS server is configured, is that one's)
        const servesTls = nginxOwns443 && (cfg.sslListen || (handshake && cfg.backendTlsPort !== HTTPS_PORT));
        const observedTls = servesTls ? tlsModeOf(runner) : "none";
        const f: NginxFacts = {
            ...common(host, "nginx", roles),
            serverNames: cfg.serverNames,
            docRoot: cfg.docRoot ?? unknown(),
            httpPort: HTTP_PORT,
            tls: observedTls ?? unknown(),
            ...(servesTls ? { httpsPort: HTTPS_PORT } : {}),
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
}

/** The lb step: HAProxy's backends and TLS, unless it is installed and idle. */
function observeLb(o: Seen): void {
    // lb
    const { host, s, runner, ctx, roles, listeners, units, sslOwner, facts, undecidedSteps, notes, served } = o;
    const haText = s.get("haproxy");
    const haMark = marker(haText);
    // installed but not running (the unit inactive and nothing of HAProxy's listening): it balances nothing
    const haUnit = units?.get("haproxy");
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
            httpPort: HTTP_PORT,
            tls: lbTls ? (tlsModeOf(runner) ?? unknown()) : "none",
            ...(lbTls ? { httpsPort: HTTPS_PORT, tlsProtocols: servedProtocols(runner) ?? cfg.protocols } : {}),
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
}

/** The monitoring step: the node exporter answering with metrics. */
function observeMonitoring(o: Seen): void {
    // monitoring: the exporter answers with node_ metrics
    const { host, s, roles, units, facts, undecidedSteps, notes } = o;
    const exp = s.get("exporter");
    const expUnit = units?.get("prometheus-node-exporter");
    const unitNote = (u?: { enabled: string; active: string }) => (u ? ` (${u.enabled || "?"}, ${u.active || "?"})` : "");
    if (!marker(exp) && exp) {
        const [addr, n] = exp.trim().split(/\s+/);
        if (Number(n) > 0) {
            const m: MonitoringFacts = { ...common(host, "monitoring", roles), exporter: "prometheus-node-exporter", listen: addr, port: NODE_EXPORTER_PORT, allowFrom: unknown() };
            facts.push(m);
            notes.monitoring = `node exporter answering on ${addr}:${NODE_EXPORTER_PORT}${unitNote(expUnit)}`;
        } else notes.monitoring = `node exporter listening on ${addr}:${NODE_EXPORTER_PORT} but not answering with metrics${unitNote(expUnit)}`;
    } else if (marker(exp)?.kind === "unavailable") {
        undecidedSteps.push({ step: "monitoring", reason: marker(exp)!.why });
    } else notes.monitoring = `node exporter not answering${unitNote(expUnit) || " (not installed)"}`;
}

/** The backup step: the timer enabled and active (undecided without systemd when a database runs). */
function observeBackup(o: Seen, hasServer: boolean): void {
    // backup: the timer is enabled and active; the last dump's age is reported
    const { host, s, ctx, roles, units, facts, undecidedSteps, notes } = o;
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
}

/** The release step: the release the site's `current` link names. */
function observeRelease(o: Seen): void {
    // release: the user's application, the release the site's `current` link names
    const { host, s, roles, facts, undecidedSteps, notes } = o;
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
}

/** Notes beyond the steps: the database's certificates, what was kept, the serving profile. */
function observeExtras(o: Seen): void {
    const { s, notes, served } = o;
    const dbTls = dbTlsNote(s.get("db-tls"), Number(s.get("now")?.trim()));
    if (dbTls) notes.databaseTls = dbTls;
    const kept = keptNote(s.get("kept"));
    if (kept) notes.kept = kept;
    const profile = parseProfile(s.get("profile"));
    if (profile) served.profile = profile;
}

/** Cross-host: a host others replicate from is a primary, with those replicas. */
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

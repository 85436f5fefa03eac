// Drift: every declared fact (what the program's remote commands record) that a live host contradicts, with both
// sides. Pure: declared facts from the capture, observed facts from ./observe.ts. An observed value that is unknown
// is not drift (it is "cannot decide", reported by the evaluation); a step the program does not observe live (app,
// smoke, certbot, replication) is not compared. Of php, the serving profile is: the pool's pm.max_children against
// what the step computed (or the stack declares), opcache's JIT on or off as declared; and the database's buffer pool
// and max_connections live.

import type { DatabaseFacts, FirewallFacts, LbFacts, MonitoringFacts, NginxFacts, PhpFacts, StepFacts, StepName } from "@seed-web/facts";
import { isLoopback } from "../../policy/lib/net";
import { isUnknown, isWildcard, Observed } from "./observe";

export interface DriftItem {
    host: string;
    step: StepName;
    /** The fact, e.g. "firewall", "database.bindAddress". */
    fact: string;
    declared: string;
    observed: string;
}

/** The program's TLS versions whenever TLS is on (scripts/nginx.sh, scripts/lb.sh). */
const DECLARED_PROTOCOLS = ["TLSv1.2", "TLSv1.3"];

function sameAddress(a: string, b: string): boolean {
    return a === b || (isLoopback(a) && isLoopback(b)) || (isWildcard(a) && isWildcard(b));
}

const ruleText = (r: { port: number; proto: string; from: string }) => `${r.port}/${r.proto} from ${r.from.replace(/\/32$/, "")}`;

function describeFirewall(f: FirewallFacts): string {
    return `firewall deny-by-default (ufw) allowing ${f.rules.map(ruleText).join(", ") || "nothing"}`;
}

function tlsText(t: string): string {
    return t === "none" ? "no TLS" : t === "letsencrypt" ? "HTTPS with a trusted certificate (Let's Encrypt)" : "HTTPS with a self-signed certificate";
}

/** Whether a certificate name (maybe a wildcard, `*.foobar.com`) covers a host name. */
export function certCovers(certName: string, name: string): boolean {
    const c = certName.toLowerCase();
    const n = name.toLowerCase();
    if (c === n) return true;
    if (!c.startsWith("*.")) return false;
    const rest = n.slice(n.indexOf(".") + 1);
    return n.indexOf(".") > 0 && rest === c.slice(2);
}

/**
 * The serving profile (scripts/lib/tune.sh lemp_tune) against what the host runs: PHP-FPM's pool against the value the php
 * step computed (or the stack's phpMaxChildren), the database server's variables against the values its step wrote
 * (a SET GLOBAL, or another option file read after ours, is drift). Nothing is compared where the probe saw nothing.
 */
function profileDrift(d: PhpFacts | DatabaseFacts, p: Record<string, number> | undefined, add: (step: StepName, fact: string, d: string, o: string) => void): void {
    if (!p) return;
    if (d.step === "php") {
        const want = typeof d.maxChildren === "number" ? d.maxChildren : p["php.profile.max_children"];
        const why = typeof d.maxChildren === "number" ? "seed-web:phpMaxChildren" : "the serving profile computed at apply";
        const have = p["php.pool.max_children"];
        if (want !== undefined && have !== undefined && want !== have) {
            add("php", "php.maxChildren", `pm.max_children = ${want} (${why})`, `pm.max_children = ${have} in the www pool`);
        }
        const jitOn = p["php.fpm.jit_on"];
        if (d.jit !== undefined && jitOn !== undefined && (d.jit !== "off") !== (jitOn === 1)) {
            add("php", "php.jit", `opcache's JIT ${d.jit === "off" ? "off" : `on (${d.jit})`} (seed-web:phpJit)`, `the JIT ${jitOn === 1 ? "on" : "off"} in the configuration PHP-FPM reads (php-fpm -i)`);
        }
        return;
    }
    const pool = typeof d.bufferPoolMb === "number" ? d.bufferPoolMb : p["db.cnf.buffer_pool_mb"];
    const livePool = p["db.live.buffer_pool_mb"];
    if (pool !== undefined && livePool !== undefined && !sameBufferPool(pool, livePool)) {
        add("database", "database.bufferPoolMb", `innodb_buffer_pool_size = ${pool}M (${typeof d.bufferPoolMb === "number" ? "seed-web:dbBufferPoolMb" : "the serving profile"})`, `innodb_buffer_pool_size = ${livePool}M on the running server`);
    }
    const conns = p["db.cnf.max_connections"];
    const liveConns = p["db.live.max_connections"];
    if (conns !== undefined && liveConns !== undefined && conns !== liveConns) {
        add("database", "database.maxConnections", `max_connections = ${conns} (the serving profile)`, `max_connections = ${liveConns} on the running server`);
    }
}

/**
 * The buffer pool the server runs against the one written: MySQL and MariaDB round innodb_buffer_pool_size up to a
 * multiple of innodb_buffer_pool_chunk_size × innodb_buffer_pool_instances (MySQL: 128 MB × up to 8 instances with the
 * defaults; MariaDB: a 64th of the pool), so a running value above the written one by less than that unit is the same
 * setting (seen on MySQL 9.7: 12052M written, 12160M running). Anything smaller, or larger by more, was changed.
 */
export function sameBufferPool(writtenMb: number, runningMb: number): boolean {
    return runningMb >= writtenMb && runningMb - writtenMb < Math.max(1024, Math.ceil(writtenMb / 64) + 1);
}

export function driftOf(declared: StepFacts[], observed: Observed): DriftItem[] {
    const out: DriftItem[] = [];
    const host = observed.host;
    const seen = <S extends StepName>(step: S) => observed.facts.find((f) => f.step === step) as Extract<StepFacts, { step: S }> | undefined;
    const undecided = (step: StepName) => observed.undecidedSteps.some((u) => u.step === step);
    const add = (step: StepName, fact: string, d: string, o: string) => out.push({ host, step, fact, declared: d, observed: o });
    const cmp = <T>(step: StepName, fact: string, d: T, o: T | undefined, show: (v: T) => string = String, eq: (a: T, b: T) => boolean = (a, b) => a === b) => {
        if (o === undefined || isUnknown(o)) return;
        if (!eq(d, o)) add(step, fact, show(d), show(o));
    };
    const note = (k: string, fallback: string) => observed.notes[k] ?? fallback;

    for (const d of declared) {
        if (d.host !== host || undecided(d.step)) continue;
        switch (d.step) {
            case "firewall": {
                const o = seen("firewall");
                if (!o) {
                    add("firewall", "firewall", describeFirewall(d), note("firewall", "no firewall"));
                    break;
                }
                cmp("firewall", "firewall.defaultInbound", d.defaultInbound, o.defaultInbound, (v) => `default ${v} (incoming)`);
                if (!isUnknown(o.rules)) {
                    const want = new Set(d.rules.map(ruleText));
                    const have = new Set(o.rules.map(ruleText));
                    const missing = [...want].filter((r) => !have.has(r));
                    const extra = [...have].filter((r) => !want.has(r));
                    if (missing.length || extra.length) {
                        add("firewall", "firewall.rules", `allow ${[...want].join(", ") || "nothing"}`,
                            `allow ${[...have].join(", ") || "nothing"}${extra.length ? ` (extra: ${extra.join(", ")})` : ""}${missing.length ? ` (missing: ${missing.join(", ")})` : ""}`);
                    }
                }
                break;
            }
            case "php": {
                profileDrift(d, observed.served?.profile, add);
                break;
            }
            case "database": {
                profileDrift(d, observed.served?.profile, add);
                const o = seen("database") as DatabaseFacts | undefined;
                if (!o) {
                    add("database", "database", `MySQL on ${d.bindAddress}:${d.port}`, note("database", "no MySQL server"));
                    break;
                }
                cmp("database", "database.bindAddress", d.bindAddress, o.bindAddress, (v) => `MySQL bound to ${v}`, sameAddress);
                // what the step removes and keeps removed: anonymous accounts, root away from this host, the test
                // database and grants on it (mysql_secure_installation), the application's account at unlisted hosts
                const acc = observed.served?.accounts;
                if (acc) {
                    const local = new Set(["localhost", "127.0.0.1", "::1"]);
                    const removed = acc.filter((a) => a.user === "" || (a.user === "root" && !local.has(a.host)));
                    if (removed.length) add("database", "database.accounts", "no anonymous account, root only at localhost", `accounts ${removed.map((a) => `'${a.user}'@'${a.host}'`).join(", ")}`);
                    const want = d.clientHosts.map((h) => h.toLowerCase()).sort();
                    const have = acc.filter((a) => a.user === d.user).map((a) => a.host.toLowerCase()).sort();
                    if (want.join(" ") !== have.join(" ")) add("database", "database.clientHosts", `'${d.user}' at ${want.join(", ") || "no host"}`, `'${d.user}' at ${have.join(", ") || "no host"}`);
                }
                const isTest = (db: string) => db !== d.name && (db === "test" || db.startsWith("test_") || db.startsWith("test\\_"));
                const schemas = observed.served?.schemas;
                if (schemas) {
                    if (!schemas.includes(d.name) && d.replication.role !== "replica") add("database", "database.name", `database ${d.name}`, "no such database");
                    if (schemas.some(isTest)) add("database", "database.testDatabase", "no test database", `databases ${schemas.filter(isTest).join(", ")}`);
                }
                const grants = observed.served?.grantedDbs?.filter(isTest);
                if (grants?.length) add("database", "database.testGrants", "no grant on the test databases", `grants on ${grants.join(", ")}`);
                cmp("database", "database.port", d.port, o.port, (v) => `MySQL on port ${v}`);
                if (d.tls) cmp("database", "database.tls", d.tls, o.tls, (v) => (v ? "every remote account requires TLS" : `accounts without TLS (${note("database", "")})`));
                const dr = d.replication;
                const or = o.replication;
                if (!isUnknown(or)) {
                    if (dr.role === "replica") {
                        if (or.role !== "replica") add("database", "database.replication", `replica of ${dr.primary}, streaming`, `not a replica (${or.role})`);
                        else if (or.running === false) add("database", "database.replication", `replica of ${dr.primary}, streaming`, note("replication", "replication stopped"));
                        else if (or.primary !== dr.primary) add("database", "database.replication", `replica of ${dr.primary}`, `replica of ${or.primary}`);
                    } else if (or.role === "replica") {
                        add("database", "database.replication", dr.role, `replica of ${or.primary}`);
                    }
                }
                break;
            }
            case "nginx":
            case "lb": {
                const o = seen(d.step) as NginxFacts | LbFacts | undefined;
                const what = d.step === "nginx" ? "Nginx" : "HAProxy";
                if (!o) {
                    add(d.step, d.step, `${what} serving ${tlsText(d.tls)}`, `${what} not running`);
                    break;
                }
                cmp(d.step, `${d.step}.tls`, d.tls, o.tls, tlsText);
                if (!isUnknown(o.tls) && d.tls !== "none" && o.tls !== "none") {
                    cmp(d.step, `${d.step}.redirectHttp`, d.redirectHttp, o.redirectHttp, (v) => (v ? "HTTP redirected to HTTPS" : "HTTP not redirected"));
                    if (d.hstsMaxAge > 0) cmp(d.step, `${d.step}.hstsMaxAge`, d.hstsMaxAge, o.hstsMaxAge, (v) => (v ? `HSTS max-age=${v}` : "no HSTS header"));
                    const op = o.tlsProtocols;
                    if (op && !isUnknown(op)) {
                        const extra = op.filter((p) => !DECLARED_PROTOCOLS.includes(p));
                        if (extra.length) add(d.step, `${d.step}.tlsProtocols`, `TLS ${DECLARED_PROTOCOLS.join(", ")} only`, `also accepts ${extra.join(", ")} (${op.join(", ")})`);
                    }
                }
                // the names the served certificate covers: every name the site answers to (the program's certificate,
                // self-signed or Let's Encrypt, covers them all)
                const cert = observed.served?.certificate;
                const siteNames = d.step === "nginx" ? d.serverNames : (declared.find((f) => f.step === "nginx") as NginxFacts | undefined)?.serverNames ?? [];
                if (d.tls !== "none" && cert && siteNames.length) {
                    const uncovered = siteNames.filter((n) => !cert.names.some((c) => certCovers(c, n)));
                    if (uncovered.length) {
                        add(d.step, `${d.step}.certificate`, `a certificate for ${siteNames.join(", ")}`,
                            `a certificate for ${cert.names.join(", ") || cert.subject || "no name"} (not covering ${uncovered.join(", ")})`);
                    }
                }
                if (d.step === "nginx" && o.step === "nginx" && !isUnknown(o.serverNames)) {
                    const missing = d.serverNames.filter((n) => !o.serverNames.includes(n));
                    if (missing.length) add("nginx", "nginx.serverNames", `server_name ${d.serverNames.join(" ")}`, `server_name ${o.serverNames.join(" ") || "none"} (missing: ${missing.join(", ")})`);
                    if (d.backendTlsPort !== undefined && o.backendTlsPort !== d.backendTlsPort) {
                        add("nginx", "nginx.backendTlsPort", `the load balancer served over TLS on ${d.backendTlsPort}`, o.backendTlsPort === undefined ? "no TLS server for the load balancer" : `on ${o.backendTlsPort}`);
                    }
                }
                if (d.step === "lb" && o.step === "lb" && !isUnknown(o.backends)) {
                    const want = [...d.backends].sort().join(", ");
                    const have = [...o.backends].sort().join(", ");
                    if (want !== have) add("lb", "lb.backends", `backends ${want}`, `backends ${have || "none"}`);
                    if (d.backendTls && o.backendTls === false) add("lb", "lb.backendTls", "backends over TLS, certificates verified against the stack's CA", "backends over plain HTTP or unverified TLS");
                }
                break;
            }
            case "monitoring": {
                const o = seen("monitoring") as MonitoringFacts | undefined;
                const where = `${d.listen ?? "every address"}:${d.port}`;
                if (!o) add("monitoring", "monitoring", `node exporter answering on ${where}`, note("monitoring", "node exporter not answering"));
                else if (d.listen !== undefined) cmp("monitoring", "monitoring.listen", d.listen, o.listen, (v) => `node exporter on ${v}:${d.port}`, sameAddress);
                break;
            }
            case "release": {
                // the release each web host serves: the stack's (and so the same on every web host)
                const o = seen("release");
                if (!o) add("release", "release", `release ${d.release}`, note("release", "no release served"));
                else cmp("release", "release.release", d.release, o.release, (v) => `release ${v}`);
                break;
            }
            case "backup": {
                if (!seen("backup")) add("backup", "backup", `daily backup at ${d.time} (seed-web-backup.timer), ${d.retention} dumps kept`, note("backup", "no backup schedule"));
                break;
            }
            default:
                break;
        }
    }
    return out;
}

// verify (issue #12) without hosts: recorded probe output → observed facts → the SAME evaluation and policies as the
// audit; drift with both sides; "cannot decide" never a pass; the three report formats; exit codes; the CLI's argument
// errors (before any heavy import).

import * as assert from "assert";
import { spawnSync } from "child_process";
import * as path from "path";
import type { Role } from "../../lib/config";
import { FACTS_SCHEMA, StepFacts } from "@seed-web/facts";
import { policies } from "../../policy/policies";
import { evaluate, Violation } from "../../tools/audit/evaluate";
import { reconcilePolicyConfig } from "../../tools/audit/policy-config";
import { AuditResult } from "../../tools/audit/report";
import { packIdentity } from "../../tools/audit";
import { driftOf, sameBufferPool } from "../../tools/verify/drift";
import {
    HostTarget,
    linkReplication,
    Observed,
    observeHost,
    parseHaproxy,
    parseListeners,
    parseNginx,
    parseSections,
    parseUfw,
    RunnerProbe,
} from "../../tools/verify/observe";
import { formatVerifyText, toVerifyJson, toVerifySarif } from "../../tools/verify/report";
import { observedResources, VerifyResult, verifyExitCode } from "../../tools/verify/run";
import { main } from "../../tools/verify";
import { PROJECT_DIR } from "../../lib/root";

import { FILTER_UNREADABLE, HAND_BUILT, HARDENED, plainHttp, selfSignedTls, UFW_DISABLED } from "./verify-fixtures";

const ROOT = PROJECT_DIR; // the source tree, also when this runs compiled from bin/

const HOST = (name: string, roles: Role[], address: string): HostTarget => ({ name, roles, address, port: 22, user: "root", privateAddress: address });
const hand = HOST("vf-hand", ["web", "app", "db"], "10.200.0.210");
const hard = HOST("hard", ["web", "app", "db"], "10.200.0.5");

const ctx = (hosts: HostTarget[]) => ({ hosts, backupDir: "/var/backups/seed-web" });
const observe = (h: HostTarget, text: string, runner: RunnerProbe, all = [h]) => observeHost(h, { sections: parseSections(text), runner }, ctx(all));

async function verdicts(observed: Observed[], unreachable: { name: string; roles: Role[]; privateAddress: string; reason: string }[] = []): Promise<Violation[]> {
    const resources = observedResources("t", observed, unreachable, new Map());
    return evaluate(resources, policies, reconcilePolicyConfig(policies, {}, undefined), packIdentity(), { phase: "verify of the live hosts" });
}
const summary = (vs: Violation[]) => vs.map((v) => `${v.level} ${v.policy}${v.undecided ? " (undecided)" : ""}`).sort();

/** The facts the program declares for the hardened server (as captured: see test/e2e/improvements.test.ts). */
function hardenedDeclared(): StepFacts[] {
    const c = { schema: FACTS_SCHEMA as typeof FACTS_SCHEMA, host: "hard", roles: ["web", "app", "db"] as Role[] };
    return [
        { ...c, step: "firewall", engine: "ufw", defaultInbound: "deny", rules: [22, 80, 443].map((port) => ({ port, proto: "tcp" as const, from: "any" })) },
        { ...c, step: "database", engine: "auto", bindAddress: "127.0.0.1", port: 3306, name: "app", user: "app", clientHosts: ["localhost"], replication: { role: "standalone", serverId: 1 }, tls: false },
        { ...c, step: "nginx", serverNames: ["foobar.com", "www.foobar.com"], docRoot: "/var/www/foobar.com", httpPort: 80, tls: "self-signed", httpsPort: 443, redirectHttp: true, hstsMaxAge: 31536000, php: true, trustedProxies: [], statusAllow: ["127.0.0.1"] },
        { ...c, step: "monitoring", exporter: "prometheus-node-exporter", listen: "127.0.0.1", port: 9100, allowFrom: [] },
        { ...c, step: "backup", database: "app", time: "03:15", retention: 7, directory: "/var/backups/seed-web" },
    ];
}

describe("verify: parsing the probe's output", () => {
    it("splits the sections and reads sockets, ufw, nginx -T and haproxy.cfg", () => {
        const s = parseSections(HARDENED);
        assert.ok(s.has("listen") && s.has("end"));
        assert.deepStrictEqual(parseListeners(s.get("listen")!).map((l) => `${l.address}:${l.port} ${l.process}`), [
            "0.0.0.0:80 nginx", "0.0.0.0:443 nginx", "127.0.0.1:3306 mariadbd", "127.0.0.1:9100 prometheus-node",
        ]);
        const ufw = parseUfw(s.get("ufw")!);
        assert.deepStrictEqual(ufw, { active: true, defaultInbound: "deny", rules: [22, 80, 443].map((port) => ({ port, proto: "tcp", from: "any" })) });
        assert.deepStrictEqual(parseUfw("Status: inactive\n"), { active: false, defaultInbound: undefined, rules: [] });
        const ng = parseNginx(s.get("nginx")!);
        assert.deepStrictEqual([ng.serverNames, ng.sslListen, ng.protocols, ng.redirectsToHttps, ng.hstsMaxAge, ng.php], [["foobar.com", "www.foobar.com"], true, ["TLSv1.2", "TLSv1.3"], true, 31536000, true]);
        const ha = parseHaproxy("#valid\nglobal\n    ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets\nfrontend https\n    bind :::443 v4v6 ssl crt /etc/haproxy/site.pem\n" +
            "    http-request redirect prefix https://foobar.com code 301 unless acme\nbackend web\n    option httpchk GET /health.php\n    server web-1 10.0.0.11:80 check\n    server certbot 127.0.0.1:8888\n");
        assert.deepStrictEqual([ha.valid, ha.sslBind, ha.protocols, ha.redirectsToHttps, ha.servers, ha.healthCheck], [true, true, ["TLSv1.2", "TLSv1.3"], true, [{ name: "web-1", address: "10.0.0.11" }], "/health.php"]);
    });

    it("balancer → web over TLS: HAProxy's backends verified against a CA, Nginx's TLS server for the balancer apart from the site's TLS; drift when either is gone", () => {
        const backend = (line: string) => parseHaproxy(`#valid\nbackend web\n    option httpchk GET /health.php\n${line}\n    server certbot 127.0.0.1:8888\n`);
        const verified = "    server web-1 10.0.0.11:443 check ssl verify required ca-file /etc/seed-web/tls/backend.invalid/ca.pem verifyhost 10.0.0.11 sni str(foobar.com) check-sni foobar.com";
        assert.strictEqual(backend(verified).backendTls, true);
        assert.strictEqual(backend("    server web-1 10.0.0.11:80 check").backendTls, false, "plain HTTP");
        assert.strictEqual(backend("    server web-1 10.0.0.11:443 check ssl verify none").backendTls, false, "TLS without verification");
        assert.strictEqual(backend(`${verified}\n    server web-2 10.0.0.12:80 check`).backendTls, false, "one backend in clear text");
        const nginx = (extra: string) =>
            parseNginx("server {\n    listen 127.0.0.1:80;\n    server_name foobar.com;\n    root /var/www/foobar.com;\n}\n" + extra);
        const forLb = "# the site for the load balancer\nserver {\n    listen 443 ssl;\n    server_name foobar.com;\n    ssl_certificate /etc/seed-web/tls/backend.invalid/fullchain.pem;\n    location / {\n        try_files $uri =404;\n    }\n}\n";
        assert.deepStrictEqual([nginx(forLb).backendTlsPort, nginx(forLb).sslListen], [443, false], "the balancer's TLS server is no TLS served to the clients");
        assert.deepStrictEqual([nginx("").backendTlsPort, nginx("").sslListen], [undefined, false]);
        // as nginx.sh writes it: comments inside the block (the distributed stack's verify saw TLS served to the clients)
        const commented = forLb.replace("    location / {", "    # no dotfiles (.git, .env ...)\n    location ~ /\\. { deny all; }\n    location / {");
        assert.deepStrictEqual([nginx(commented).backendTlsPort, nginx(commented).sslListen], [443, false], "a commented block is the balancer's too");
        const site = "server {\n    listen 443 ssl;\n    ssl_certificate /etc/seed-web/tls/foobar.com/fullchain.pem;\n}\n";
        assert.deepStrictEqual([nginx(site).backendTlsPort, nginx(site).sslListen], [undefined, true]);

        // drift: declared over TLS, observed otherwise
        const common = { schema: FACTS_SCHEMA as typeof FACTS_SCHEMA, host: "h", roles: ["lb"] as Role[] };
        const lbFacts = (backendTls: boolean): StepFacts => ({
            ...common, step: "lb", engine: "haproxy", backends: ["web-1"], backendTls, algorithm: "roundrobin", healthCheck: "/health.php", httpPort: 80, tls: "none", redirectHttp: false, hstsMaxAge: 0,
        });
        const lbDrift = (o: boolean) => driftOf([lbFacts(true)], { host: "h", facts: [lbFacts(o)], undecidedSteps: [], notes: {} }).map((d) => d.fact);
        assert.deepStrictEqual(lbDrift(true), []);
        assert.deepStrictEqual(lbDrift(false), ["lb.backendTls"]);
        const webFacts = (backendTlsPort?: number): StepFacts => ({
            ...common, roles: ["web"], step: "nginx", serverNames: ["foobar.com"], docRoot: "/var/www/foobar.com", httpPort: 80, tls: "none", redirectHttp: false, hstsMaxAge: 0, php: true,
            trustedProxies: ["10.0.0.10"], ...(backendTlsPort ? { backendTlsPort } : {}), statusAllow: [],
        });
        const webDrift = (o?: number) => driftOf([webFacts(443)], { host: "h", facts: [webFacts(o)], undecidedSteps: [], notes: {} }).map((d) => d.fact);
        assert.deepStrictEqual(webDrift(443), []);
        assert.deepStrictEqual(webDrift(undefined), ["nginx.backendTlsPort"]);
    });

    it("the node exporter: on the private address it was declared on, drift when it listens on every address", () => {
        const mon = (listen: string): StepFacts => ({
            schema: FACTS_SCHEMA as typeof FACTS_SCHEMA, host: "h", roles: ["web"], step: "monitoring", exporter: "prometheus-node-exporter", listen, port: 9100, allowFrom: ["10.0.0.50"],
        });
        const monDrift = (o: string) => driftOf([mon("10.0.0.11")], { host: "h", facts: [mon(o)], undecidedSteps: [], notes: {} }).map((d) => `${d.fact}: ${d.observed}`);
        assert.deepStrictEqual(monDrift("10.0.0.11"), []);
        assert.deepStrictEqual(monDrift("0.0.0.0"), ["monitoring.listen: node exporter on 0.0.0.0:9100"]);
    });
});

describe("verify: what the server held before the stack", () => {
    it("reports what the steps kept from before the first apply (a remote root, a test database, ufw rules) as a note of its own", () => {
        const o = observe(hand, HAND_BUILT.replace("### end", "### kept\ndatabase account root@%\ndatabase database test\nfirewall state active\nfirewall rule allow 1194/udp\n### end"), plainHttp);
        assert.strictEqual(o.notes.kept, "here before the stack, kept (removePreexisting removes them): database: account root@%, database test; firewall: state active, rule allow 1194/udp");
        assert.strictEqual(observe(hand, HAND_BUILT, plainHttp).notes.kept, undefined);
    });

    it("reports the database's TLS certificates' expiry (days left, or expired)", () => {
        const now = Number(/### now\n(\d+)/.exec(HAND_BUILT)![1]);
        const text = HAND_BUILT.replace("### end", `### db-tls\n/etc/mysql/seed-web-tls/server.pem ${now + 30 * 86400 + 5}\n/etc/mysql/seed-web-tls/ca.pem ${now - 2 * 86400 - 5}\n### end`);
        assert.match(observe(hand, text, plainHttp).notes.databaseTls ?? "", /^server\.pem expires in 30 days \(\d{4}-\d\d-\d\d\), ca\.pem EXPIRED 2 days ago \(\d{4}-\d\d-\d\d\)$/);
        assert.strictEqual(observe(hand, HAND_BUILT, plainHttp).notes.databaseTls, undefined);
    });
});

describe("verify: observed facts through the audit's evaluation and policies", () => {
    it("a server built by hand from the seed design: the design's three mandatory issues, no pass where nothing was seen", async () => {
        const o = observe(hand, HAND_BUILT, plainHttp);
        assert.deepStrictEqual(o.facts.map((f) => f.step), ["base", "database", "nginx"]);
        const vs = await verdicts([o]);
        assert.deepStrictEqual(vs.filter((v) => v.level === "mandatory").map((v) => v.policy).sort(), ["database-not-exposed", "firewall-required", "https-required"]);
        assert.ok(vs.every((v) => !v.undecided));
        assert.match(vs.find((v) => v.policy === "database-not-exposed")!.message, /listens on 0\.0\.0\.0:3306 and vf-hand has no firewall/);
        // the same messages as the audit's: the policies' own text
        assert.match(vs.find((v) => v.policy === "firewall-required")!.message, /^Every host runs a firewall .*\nvf-hand has no firewall/);
    });

    it("the hardened server as provisioned: only the advisories one server cannot fix", async () => {
        const vs = await verdicts([observe(hard, HARDENED, selfSignedTls())]);
        assert.deepStrictEqual(summary(vs), [
            "advisory app-db-separation", "advisory horizontal-scaling", "advisory no-single-point-of-failure", "advisory no-single-point-of-failure",
            "advisory trusted-certificate", "advisory zero-downtime-maintenance",
        ]);
    });

    it("TLS 1.0 accepted by the entry point is an https-required violation (fails without the policy's tlsProtocols check)", async () => {
        const vs = await verdicts([observe(hard, HARDENED, selfSignedTls(["TLSv1", "TLSv1.2", "TLSv1.3"]))]);
        const v = vs.find((x) => x.policy === "https-required");
        assert.ok(v, summary(vs).join("\n"));
        assert.strictEqual(v.level, "mandatory");
        assert.match(v.message, /accepts TLSv1 handshakes/);
    });

    it("what a probe cannot establish is 'cannot decide', never a pass: ufw unreadable, a host unreachable", async () => {
        const unreadable = FILTER_UNREADABLE(HARDENED);
        const vs = await verdicts([observe(hard, unreadable, selfSignedTls())]);
        const fw = vs.filter((v) => v.policy === "firewall-required");
        assert.strictEqual(fw.length, 1);
        assert.ok(fw[0].undecided, fw[0].message);
        assert.match(fw[0].message, /can't run policy 'firewall-required' .* during verify of the live hosts: .*hard/);
        const gone = await verdicts([], [{ name: "gone", roles: ["web", "app", "db"], privateAddress: "10.200.0.229", reason: "timed out" }]);
        assert.deepStrictEqual(gone.filter((v) => v.level === "mandatory"), [], "an unreachable host gets no verdict, in particular no pass");
        for (const p of ["firewall-required", "database-not-exposed", "https-required"]) {
            assert.ok(gone.some((v) => v.policy === p && v.undecided), `${p} undecided for the unreachable host: ${summary(gone).join(", ")}`);
        }
    });

    it("a replica whose replication stopped is no database host: the database role is a single point of failure", async () => {
        const a = HOST("db-a", ["db"], "10.0.0.13");
        const b = HOST("db-b", ["db"], "10.0.0.14");
        const db = (replica: string) =>
            `### listen\nLISTEN 0 80 ${"10.0.0.1x"}:3306 0.0.0.0:* users:(("mariadbd",pid=2,fd=21))\n### ufw\n!absent\n### nginx\n!absent\n### haproxy\n!absent\n` +
            `### mysql-vars\n0.0.0.0\t3306\t2\t1\tYES\n### mysql-users\nroot\tlocalhost\t\n### mysql-replica\n${replica}### units\nmariadb.service enabled active\n### backup\n!absent\n### exporter\n!absent\n### end\n`;
        const streaming = "Master_Host: 10.0.0.13\nSlave_IO_Running: Yes\nSlave_SQL_Running: Yes\nSeconds_Behind_Master: 0\n";
        const stopped = "Master_Host: 10.0.0.13\nSlave_IO_Running: No\nSlave_SQL_Running: No\nSeconds_Behind_Master: NULL\n";
        const run = async (rep: string) => {
            const obs = [observe(a, db(""), { ports: {} }, [a, b]), observe(b, db(rep), { ports: {} }, [a, b])];
            linkReplication(obs);
            return { obs, vs: await verdicts(obs) };
        };
        const ok = await run(streaming);
        assert.deepStrictEqual((ok.obs[0].facts.find((f) => f.step === "database") as { replication: unknown }).replication, { role: "primary", serverId: 2, replicas: ["db-b"] });
        assert.ok(!ok.vs.some((v) => v.policy === "no-single-point-of-failure" && /database role/.test(v.message)));
        const broken = await run(stopped);
        assert.ok(broken.vs.some((v) => v.policy === "no-single-point-of-failure" && /the database role is held by a single host, db-a/.test(v.message)), summary(broken.vs).join("\n"));
    });
});

describe("verify: the serving profile's drift", () => {
    const c = { schema: FACTS_SCHEMA as typeof FACTS_SCHEMA, host: "hard", roles: ["web", "app", "db"] as Role[] };
    const php = (maxChildren: "auto" | number): StepFacts => ({ ...c, step: "php", maxChildren, memoryMb: "auto", workerMb: 48, dbBufferPoolMb: "auto" });
    const withProfile = (lines: string[]) => HARDENED.replace("### end", `### profile\n${lines.join("\n")}\n### end`);
    const AS_APPLIED = ["php.profile.max_children 24", "php.pool.max_children 24", "db.cnf.buffer_pool_mb 512", "db.cnf.max_connections 50", "db.live.buffer_pool_mb 512", "db.live.max_connections 50"];
    const drift = (lines: string[], maxChildren: "auto" | number = "auto") =>
        driftOf([...hardenedDeclared(), php(maxChildren)], observe(hard, withProfile(lines), selfSignedTls())).filter((d) => d.step === "php" || /bufferPool|maxConnections/.test(d.fact));

    it("reads the probe's profile section", () => {
        assert.deepStrictEqual(observe(hard, withProfile(AS_APPLIED), selfSignedTls()).served?.profile?.["php.pool.max_children"], 24);
        assert.strictEqual(observe(hard, HARDENED, selfSignedTls()).served?.profile, undefined);
    });

    it("as applied: no drift; a probe without the section (an older host) is not drift either", () => {
        assert.deepStrictEqual(drift(AS_APPLIED), []);
        assert.deepStrictEqual(driftOf([...hardenedDeclared(), php("auto")], observe(hard, HARDENED, selfSignedTls())), []);
    });

    it("a pool edited by hand, a buffer pool and max_connections changed on the running server: drift with both sides", () => {
        const d = drift(AS_APPLIED.map((l) => l.replace("php.pool.max_children 24", "php.pool.max_children 60").replace("db.live.buffer_pool_mb 512", "db.live.buffer_pool_mb 128").replace("db.live.max_connections 50", "db.live.max_connections 151")));
        assert.deepStrictEqual(d.map((x) => `${x.fact}: ${x.declared} / ${x.observed}`), [
            "php.maxChildren: pm.max_children = 24 (the serving profile computed at apply) / pm.max_children = 60 in the www pool",
            "database.bufferPoolMb: innodb_buffer_pool_size = 512M (the serving profile) / innodb_buffer_pool_size = 128M on the running server",
            "database.maxConnections: max_connections = 50 (the serving profile) / max_connections = 151 on the running server",
        ].sort((a, b) => (a.startsWith("php") ? 1 : b.startsWith("php") ? -1 : 0)));
    });

    it("the server's own rounding of the buffer pool (up to its chunk × instances) is not drift; a changed pool is", () => {
        const pool = (written: number, running: number) =>
            drift(AS_APPLIED.map((l) => l.replace("db.cnf.buffer_pool_mb 512", `db.cnf.buffer_pool_mb ${written}`).replace("db.live.buffer_pool_mb 512", `db.live.buffer_pool_mb ${running}`))).map((x) => x.observed);
        assert.deepStrictEqual(pool(12052, 12160), []);   // MySQL 9.7 on a 24 GiB host: 95 chunks of 128M
        assert.deepStrictEqual(pool(12052, 13312), ["innodb_buffer_pool_size = 13312M on the running server"]);
        assert.deepStrictEqual(pool(12052, 11904), ["innodb_buffer_pool_size = 11904M on the running server"]);
        assert.ok(sameBufferPool(512, 512) && !sameBufferPool(512, 128) && sameBufferPool(70000, 71000) && !sameBufferPool(70000, 72200));
    });

    it("opcache's JIT: on as declared is no drift; off in what PHP-FPM reads (another ini file), or on against phpJit off, is", () => {
        const jit = (on: 0 | 1, declared: "tracing" | "off" | undefined) =>
            driftOf([...hardenedDeclared(), { ...php("auto"), ...(declared ? { jit: declared } : {}) } as StepFacts], observe(hard, withProfile([...AS_APPLIED, `php.fpm.jit_on ${on}`]), selfSignedTls()))
                .filter((d) => d.fact === "php.jit")
                .map((x) => `${x.declared} / ${x.observed}`);
        assert.deepStrictEqual([jit(1, "tracing"), jit(0, "off"), jit(0, undefined)], [[], [], []]);
        assert.deepStrictEqual(jit(0, "tracing"), ["opcache's JIT on (tracing) (seed-web:phpJit) / the JIT off in the configuration PHP-FPM reads (php-fpm -i)"]);
        assert.deepStrictEqual(jit(1, "off"), ["opcache's JIT off (seed-web:phpJit) / the JIT on in the configuration PHP-FPM reads (php-fpm -i)"]);
    });

        it("a declared phpMaxChildren is what the pool must hold", () => {
        assert.deepStrictEqual(drift(AS_APPLIED, 24), []);
        assert.deepStrictEqual(drift(AS_APPLIED, 30).map((x) => `${x.declared} / ${x.observed}`), ["pm.max_children = 30 (seed-web:phpMaxChildren) / pm.max_children = 24 in the www pool"]);
    });
});

describe("verify: drift, with both sides", () => {
    const drift = (text: string, runner: RunnerProbe, declared = hardenedDeclared()) => driftOf(declared, observe(hard, text, runner));

    it("the hardened server as provisioned has no drift", () => {
        assert.deepStrictEqual(drift(HARDENED, selfSignedTls()), []);
    });

    it("each tampering is a drift: ufw disabled, MySQL rebound with 3306 opened, TLS 1.0, timer disabled, exporter stopped", () => {
        const noUfw = UFW_DISABLED(HARDENED);
        assert.deepStrictEqual(drift(noUfw, selfSignedTls()).map((d) => `${d.fact}: declared: ${d.declared}; observed: ${d.observed}`), [
            "firewall: declared: firewall deny-by-default (ufw) allowing 22/tcp from any, 80/tcp from any, 443/tcp from any; observed: ufw inactive; no packet filter on input (iptables and nftables read)",
        ]);
        const rebound = HARDENED.replace("127.0.0.1:3306", "0.0.0.0:3306").replace("443/tcp                    ALLOW IN    Anywhere", "443/tcp                    ALLOW IN    Anywhere\n3306/tcp                   ALLOW IN    Anywhere");
        assert.deepStrictEqual(drift(rebound, selfSignedTls()).map((d) => d.fact), ["firewall.rules", "database.bindAddress"]);
        assert.match(drift(rebound, selfSignedTls())[0].observed, /extra: 3306\/tcp from any/);
        assert.deepStrictEqual(drift(HARDENED, selfSignedTls(["TLSv1", "TLSv1.2", "TLSv1.3"])).map((d) => `${d.fact}: ${d.observed}`), ["nginx.tlsProtocols: also accepts TLSv1 (TLSv1, TLSv1.2, TLSv1.3)"]);
        const noTimer = HARDENED.replace("seed-web-backup.timer enabled active", "seed-web-backup.timer disabled inactive");
        assert.deepStrictEqual(drift(noTimer, selfSignedTls()).map((d) => `${d.fact}: ${d.observed}`), [`backup: seed-web-backup.timer disabled, inactive; last dump 1.7 h ago`]);
        const noExporter = HARDENED.replace("### exporter\n127.0.0.1 250", "### exporter\n!absent nothing listens on 9100").replace("prometheus-node-exporter.service enabled active", "prometheus-node-exporter.service enabled inactive");
        assert.deepStrictEqual(drift(noExporter, selfSignedTls()).map((d) => `${d.fact}: ${d.declared} / ${d.observed}`), ["monitoring: node exporter answering on 127.0.0.1:9100 / node exporter not answering (enabled, inactive)"]);
    });

    it("a self-signed certificate where the stack declares a trusted one: drift and trusted-certificate", async () => {
        const declared = hardenedDeclared().map((f) => (f.step === "nginx" ? { ...f, tls: "letsencrypt" as const } : f));
        assert.deepStrictEqual(drift(HARDENED, selfSignedTls(), declared).map((d) => `${d.fact}: declared: ${d.declared}; observed: ${d.observed}`), [
            "nginx.tls: declared: HTTPS with a trusted certificate (Let's Encrypt); observed: HTTPS with a self-signed certificate",
        ]);
        const trusted = selfSignedTls();
        trusted.tls!.certificate = { ...trusted.tls!.certificate!, selfSigned: false, trusted: true, trustError: undefined };
        assert.deepStrictEqual(drift(HARDENED, trusted, declared), []);
        const vs = await verdicts([observe(hard, HARDENED, selfSignedTls())]);
        assert.ok(vs.some((v) => v.policy === "trusted-certificate" && /hard serves HTTPS with a self-signed certificate/.test(v.message)));
    });

    it("an unknown observation is not drift", () => {
        const unreadable = FILTER_UNREADABLE(HARDENED);
        assert.deepStrictEqual(drift(unreadable, selfSignedTls()), []);
    });
});

describe("verify: reports and exit codes", () => {
    const result = async (over: Partial<VerifyResult> = {}, text = HARDENED): Promise<VerifyResult> => {
        const o = observe(hard, text, selfSignedTls());
        const violations = await verdicts([o]);
        const live: AuditResult = {
            stack: "t", stackFile: "Pulumi.t.yaml", stackFileText: "config:\n  seed-web:firewall: true\n", preview: false,
            pack: { name: "seed-web", version: "0.1.0", path: "policy" }, policies: [], resourceCount: 5, violations,
        };
        return { live, offline: live, handBuilt: false, hosts: [{ name: "hard", address: "10.200.0.5", reachable: true, ms: 900, notes: o.notes, undecided: [] }], drift: [], ...over };
    };
    const d = { host: "hard", step: "firewall" as const, fact: "firewall", declared: "firewall deny-by-default (ufw)", observed: "ufw inactive", urn: "urn:x" };

    it("exit codes: 0 clean, 6 drift only, 5 mandatory, 3 a host unreachable", async () => {
        assert.strictEqual(verifyExitCode(await result()), 0);
        assert.strictEqual(verifyExitCode(await result({ drift: [d] })), 6);
        const noUfw = await result({ drift: [d] }, UFW_DISABLED(HARDENED));
        assert.strictEqual(verifyExitCode(noUfw), 5);
        const gone = await result();
        gone.hosts.push({ name: "gone", address: "10.200.0.229", reachable: false, error: "timed out", ms: 5000, notes: {}, undecided: [] });
        assert.strictEqual(verifyExitCode(gone), 3);
    });

    it("drift with both sides, and the unreachable host named, in text, JSON and SARIF", async () => {
        const r = await result({ drift: [d] });
        r.hosts.push({ name: "gone", address: "10.200.0.229", reachable: false, error: "ssh: connect to host 10.200.0.229 port 22: No route to host", ms: 3000, notes: {}, undecided: [] });
        const line = "hard firewall: declared: firewall deny-by-default (ufw); observed: ufw inactive";
        const text = formatVerifyText(r);
        assert.ok(text.includes(line), text);
        assert.match(text, /gone \(10\.200\.0\.229\): unreachable: ssh: connect/);
        assert.match(text, /^Policies:\n/);
        const json = toVerifyJson(r) as { verify: { drift: { declared: string; observed: string }[]; unreachable: string[]; exitCode: number }; violations: unknown[] };
        assert.deepStrictEqual([json.verify.drift[0].declared, json.verify.drift[0].observed], ["firewall deny-by-default (ufw)", "ufw inactive"]);
        assert.deepStrictEqual(json.verify.unreachable, ["gone"]);
        assert.strictEqual(json.verify.exitCode, 3);
        const sarif = toVerifySarif(r) as { runs: { results: { ruleId: string; message: { text: string } }[] }[] };
        assert.ok(sarif.runs[0].results.some((x) => x.ruleId === "drift" && x.message.text === line));
        assert.ok(sarif.runs[0].results.some((x) => x.ruleId === "host-unreachable" && /gone/.test(x.message.text)));
        assert.ok(sarif.runs[0].results.some((x) => x.ruleId === "trusted-certificate"));
    });
});

describe("verify: the CLI's argument errors (exit 2, before any heavy import)", () => {
    const cli = (args: string[]) => {
        const t = Date.now();
        // what `npm run verify --` runs: the compiled tool (tools/run.js), no ts-node
        const r = spawnSync(process.execPath, [path.join(ROOT, "tools", "run.js"), "tools/verify.ts", ...args], {
            cwd: ROOT, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "", SSH_AUTH_SOCK: "" },
        });
        return { ...r, ms: Date.now() - t };
    };
    /** main() in process, stderr captured. */
    const inProcess = async (args: string[], agent = "") => {
        const saved = { write: process.stderr.write, sock: process.env.SSH_AUTH_SOCK };
        let err = "";
        process.stderr.write = ((d: string) => ((err += d), true)) as typeof process.stderr.write;
        process.env.SSH_AUTH_SOCK = agent;
        try {
            return { code: await main(args), stderr: err };
        } finally {
            process.stderr.write = saved.write;
            if (saved.sock === undefined) delete process.env.SSH_AUTH_SOCK;
            else process.env.SSH_AUTH_SOCK = saved.sock;
        }
    };

    it("as a child process: --help, and an argument error answered without loading the program or the pack", function () {
        this.timeout(60_000);
        const help = cli(["--help"]);
        assert.strictEqual(help.status, 0);
        assert.match(help.stdout, /--identity KEY_FILE/);
        // main() on an argument error, then: was the program (@pulumi/pulumi) or the policy pack ever loaded?
        const probe = `require(${JSON.stringify(path.join(ROOT, "bin", "tools", "verify.js"))})` +
            `.main(["--stack", "dev", "--identity", "/nonexistent/id_ed25519"]).then((code) => console.log(JSON.stringify({ code, heavy: ` +
            `Object.keys(require.cache).filter((k) => /@pulumi[\\/]pulumi|[\\/]policy[\\/]policies|[\\/]lib[\\/]program/.test(k)).length })))`;
        const r = spawnSync(process.execPath, ["-e", probe], { cwd: ROOT, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "", SSH_AUTH_SOCK: "" } });
        assert.match(r.stderr, /--identity "\/nonexistent\/id_ed25519": cannot read it \(ENOENT\)/);
        assert.deepStrictEqual(JSON.parse(r.stdout.trim().split("\n").pop()!), { code: 2, heavy: 0 });
    });

    it("a bad format, no stack, an unreadable key file, no key and no agent, an unknown option, a bad host name", async () => {
        const cases: [string[], RegExp][] = [
            [["--stack", "dev", "--format", "xml", "--identity", __filename], /--format must be text, json or sarif/],
            [["--identity", __filename], /give --stack NAME or --config FILE/],
            [["--stack", "dev", "--identity", ROOT], /--identity .*: cannot read it \(not a regular file\)/],
            [["--stack", "dev", "--identity", __filename, "--ca", "/nonexistent/ca.pem"], /--ca "\/nonexistent\/ca.pem": cannot read it \(ENOENT\)/],
            [["--stack", "dev"], /no --identity KEY_FILE, no --stack-outputs and no SSH agent/],
            [["--stack", "dev", "--stack-outputs", "/nonexistent/out.json"], /--stack-outputs "\/nonexistent\/out.json": cannot read it \(ENOENT\)/],
            [["--stack", "dev", "--bogus"], /Unknown option '--bogus'/],
            [["--stack", "dev", "--identity", __filename, "--host", "a b"], /--host "a b": not a host name/],
        ];
        for (const [args, re] of cases) {
            const r = await inProcess(args);
            assert.strictEqual(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
            assert.match(r.stderr, re);
        }
    });
});

// The design's improvements on real hosts: one hardened server, and the distributed topology (load balancer, two
// web hosts, primary and replica database), provisioned by the program's own commands and checked from outside.
import * as assert from "assert";
import * as tls from "tls";
import { PlannedCommand } from "../../tools/capture";
import { apply, bootHosts, destroyHosts, get, hosts, httpGet, httpsGet, HttpsAnswer, onHost, planFor, portOpen, raw, StepRun, TestHost } from "./lib";

const WWW = "www.foobar.com";

/** GET over TLS by address with SNI and Host set to the site's name, any certificate accepted; `maxVersion` forces an
 * old protocol. */
function httpsGetWww(ip: string, path: string, options: { maxVersion?: tls.SecureVersion; timeoutMs?: number } = {}): Promise<HttpsAnswer> {
    return httpsGet(ip, path, WWW, { rejectUnauthorized: false, minVersion: "TLSv1", ...options });
}

async function waitHttps(ip: string, path: string, marker: string, ms = 20_000): Promise<HttpsAnswer> {
    const until = Date.now() + ms;
    let last: unknown;
    while (Date.now() < until) {
        try {
            const a = await httpsGetWww(ip, path);
            if (a.status === 200 && a.body.includes(marker)) return a;
            last = `${a.status} ${a.body.slice(0, 200)}`;
        } catch (e) {
            last = e;
        }
        await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`https://${ip}${path} did not show ${marker}: ${last}`);
}

const times = (runs: StepRun[]) => runs.map((r) => `${r.name} ${(r.ms / 1000).toFixed(1)}s`).join(", ");

describe("e2e: one hardened server", function () {
    const host: TestHost = { name: "hard", ip: "10.200.0.5", roles: ["web", "app", "db"], rootfs: "warm" };
    const settings = { firewall: "true", tls: "self-signed", dbBindAddress: "auto", monitoring: "true", backups: "true" };
    let plan: PlannedCommand[];

    before(async () => {
        await bootHosts([host]);
        ({ plan } = await planFor([host], settings));
        console.log(`      apply: ${times(await apply(plan))}`);
    });
    after(() => destroyHosts([host]));

    it("runs the firewall, TLS, monitoring and backup steps of the program", () => {
        assert.deepStrictEqual(plan.map((p) => p.facts.step).sort(), ["app", "backup", "base", "database", "firewall", "monitoring", "nginx", "php", "smoke"]);
    });

    it("only SSH, HTTP and HTTPS are open from outside; MySQL, the exporter and the status pages are not", async () => {
        const open: number[] = [];
        for (const port of [22, 80, 443, 3306, 8081, 9100]) if (await portOpen(host.ip, port)) open.push(port);
        assert.deepStrictEqual(open, [22, 80, 443]);
        assert.strictEqual((await onHost(host.ip, "ufw status | head -1")).trim(), "Status: active");
    });

    it("HTTPS answers with the site's certificate, TLS 1.2 or newer only, HSTS; HTTP redirects to HTTPS", async () => {
        const page = await waitHttps(host.ip, "/index.php", "Hello from MySQL");
        assert.match(page.protocol, /^TLSv1\.[23]$/);
        assert.match(String(page.cert.subjectaltname), /DNS:foobar\.com/);
        assert.match(String(page.cert.subjectaltname), /DNS:www\.foobar\.com/);
        assert.match(String(page.headers["strict-transport-security"]), /max-age=31536000/);
        await assert.rejects(httpsGetWww(host.ip, "/", { maxVersion: "TLSv1.1" }));
        const plain = await httpGet(host.ip, "/index.php", WWW);
        assert.strictEqual(plain.status, 301);
        assert.strictEqual(plain.headers.location, `https://${WWW}/index.php`);
    });

    it("MySQL listens on loopback only; the exporter and the status pages answer on the host", async () => {
        const out = await onHost(
            host.ip,
            "mysql -N -e 'SELECT CONCAT(@@bind_address, \":\", @@port)'; curl -fsS http://127.0.0.1:9100/metrics | grep -c '^node_' ; curl -fsS http://127.0.0.1:8081/nginx_status | head -1",
        );
        const [listen, metrics, status] = out.trim().split("\n");
        assert.strictEqual(listen, "127.0.0.1:3306");
        assert.ok(Number(metrics) > 10, `node_ metrics: ${metrics}`);
        assert.match(status, /^Active connections:/);
    });

    it("a backup restores into an empty database", async () => {
        const out = await onHost(
            host.ip,
            "set -e; seed-web-backup >/dev/null; f=$(ls -1t /var/backups/seed-web/*.sql.gz | head -1); " +
                "mysql -e 'DROP DATABASE IF EXISTS restored'; seed-web-restore \"$f\" restored >/dev/null; " +
                "mysql -N -e 'SELECT message FROM restored.greetings WHERE id = 1'; stat -c %a \"$f\"",
        );
        assert.deepStrictEqual(out.trim().split("\n"), ["Hello from MySQL", "600"]);
    });

    it("a second apply changes nothing", async () => {
        const second = await apply(plan);
        console.log(`      second apply: ${(second.reduce((s, r) => s + r.ms, 0) / 1000).toFixed(1)}s`);
        assert.deepStrictEqual(second.filter((r) => r.changed !== 0).map((r) => `${r.name} changed=${r.changed}`), []);
    });
});

describe("e2e: the distributed topology", function () {
    const lb: TestHost = { name: "dist-lb", ip: "10.200.0.6", roles: ["lb"], rootfs: "warm" };
    const web1: TestHost = { name: "dist-web1", ip: "10.200.0.7", roles: ["web", "app"], rootfs: "warm" };
    const web2: TestHost = { name: "dist-web2", ip: "10.200.0.8", roles: ["web", "app"], rootfs: "warm" };
    const db1: TestHost = { name: "dist-db1", ip: "10.200.0.9", roles: ["db"], rootfs: "warm" };
    const db2: TestHost = { name: "dist-db2", ip: "10.200.0.10", roles: ["db"], rootfs: "warm" };
    const all = [lb, web1, web2, db1, db2];
    const settings = { firewall: "true", tls: "self-signed", dbBindAddress: "auto", monitoring: "true", monitoringAllowFrom: '["10.200.0.1"]', backups: "true" };
    let plan: PlannedCommand[];

    before(async () => {
        await bootHosts(all);
        ({ plan } = await planFor(all, settings));
        console.log(`      apply: ${times(await apply(plan))}`);
    });
    after(() => destroyHosts(all));

    it("the balancer serves the site over HTTPS and spreads requests over both web hosts", async () => {
        await waitHttps(lb.ip, "/index.php", "Hello from MySQL");
        const servedBy = new Set<string>();
        for (let i = 0; i < 10; i++) servedBy.add(String((await httpsGetWww(lb.ip, "/")).headers["x-served-by"]));
        assert.deepStrictEqual([...servedBy].sort(), ["dist-web1", "dist-web2"]);
        const plain = await httpGet(lb.ip, "/", WWW);
        assert.strictEqual(plain.status, 301);
    });

    it("the balancer closes the connection of an unknown Host and redirects to the configured name only", async () => {
        for (const [port, servername] of [[80, undefined], [443, WWW]] as const) {
            for (const host of ["evil.example", lb.ip, `${WWW}:80@evil.example`]) {
                const a = await raw(lb.ip, port, get("/", host), servername ? { servername } : undefined);
                assert.strictEqual(a.data, "", `port ${port}, Host ${host}: ${a.data.slice(0, 200)}`);
            }
        }
        for (const name of [WWW, "foobar.com"]) {
            const a = await raw(lb.ip, 80, get("/a?b=1", name));
            assert.strictEqual(a.status, 301);
            assert.strictEqual(a.headers.location, `https://${name}/a?b=1`);
        }
        const absolute = await raw(lb.ip, 80, `GET http://evil.example/a HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n`);
        assert.strictEqual(absolute.data, "", "absolute URI with an unknown authority");
    });

    it("from outside only the balancer's 80/443 and SSH answer; 3306 is closed to a host that is not an app host", async () => {
        for (const h of [web1, web2]) assert.strictEqual(await portOpen(h.ip, 80), false, `${h.name}:80 open to the runner`);
        for (const h of [db1, db2]) assert.strictEqual(await portOpen(h.ip, 3306), false, `${h.name}:3306 open to the runner`);
        assert.strictEqual(await portOpen(lb.ip, 443), true);
        assert.strictEqual(await portOpen(db1.ip, 9100), true, "the exporter answers the allowed monitoring address");
        // and from an app host, the primary answers
        const out = await onHost(web1.ip, `timeout 3 bash -c 'exec 3<>/dev/tcp/${db1.ip}/3306' && echo open`);
        assert.strictEqual(out.trim(), "open");
    });

    it("the site survives one web host stopped", async () => {
        let t = Date.now();
        hosts(["stop", web2.name]);
        const took: string[] = [`stop ${Date.now() - t} ms`];
        try {
            // Requests sent before the health checks mark it down are redispatched to web1 (after a connect timeout).
            for (let i = 0; i < 8; i++) {
                t = Date.now();
                const a = await httpsGetWww(lb.ip, "/index.php", { timeoutMs: 15_000 });
                took.push(`${Date.now() - t}`);
                assert.strictEqual(a.status, 200, `request ${i}: ${a.status}`);
                assert.strictEqual(a.headers["x-served-by"], "dist-web1");
            }
        } finally {
            t = Date.now();
            hosts(["start", web2.name]);
            took.push(`start ${Date.now() - t} ms`);
            console.log(`      web host stopped: ${took.join(", ")} (request times in ms)`);
        }
    });

    it("a row written on the primary appears on the read-only replica", async () => {
        await onHost(db1.ip, "mysql app -e \"REPLACE INTO greetings (id, message) VALUES (2, 'written on the primary')\"");
        const out = await onHost(
            db2.ip,
            "for i in $(seq 1 40); do m=$(mysql -N app -e 'SELECT message FROM greetings WHERE id = 2'); [ -n \"$m\" ] && break; sleep 0.25; done; " +
                "echo \"$m\"; mysql -N -e 'SELECT @@read_only'",
        );
        assert.deepStrictEqual(out.trim().split("\n"), ["written on the primary", "1"]);
    });

    it("a second apply changes nothing", async () => {
        const second = await apply(plan);
        assert.deepStrictEqual(second.filter((r) => r.changed !== 0).map((r) => `${r.name} changed=${r.changed}`), []);
    });
});

// ---------------------------------------------------------------------------------------------------------------------
// `npm run verify` (issue #12) on the hosts provisioned above. Its tests are added to the suites that own those hosts
// (so they run after those suites' tests, before their after hooks destroy the hosts): the live verdicts equal the
// offline audit's and there is no drift; each tampering is reported with the right policy and as drift; after a
// re-apply of the program verify is clean again.
import { Test as VerifyTest } from "mocha";
import { driftLines as vDrift, verdicts as vVerdicts, verifyLive as vLive, writeStack as vStack } from "./verify-lib";

describe("e2e: verify on the hardened and distributed hosts (tests added to the suites above)", function () {
    const suiteOf = (title: string) => {
        const s = this.parent!.suites.find((x) => x.title === title);
        if (!s) throw new Error(`no suite ${title} in this file`);
        return s;
    };
    const has = (r: { live: { violations: { policy: string; level: string; message: string }[] } }, policy: string, level: string, re: RegExp) =>
        assert.ok(r.live.violations.some((v) => v.policy === policy && v.level === level && re.test(v.message)),
            `${level} ${policy} ${re} not among:\n${r.live.violations.map((v) => `${v.level} ${v.policy}: ${v.message.split("\n")[1]}`).join("\n")}`);
    const drifted = (r: Parameters<typeof vDrift>[0], re: RegExp) => assert.ok(vDrift(r).some((l) => re.test(l)), `no drift ${re} among:\n${vDrift(r).join("\n")}`);

    // -- one hardened server
    const hard: TestHost = { name: "hard", ip: "10.200.0.5", roles: ["web", "app", "db"] };
    const hardSettings = { firewall: "true", tls: "self-signed", dbBindAddress: "auto", monitoring: "true", backups: "true" };
    const hardSuite = suiteOf("e2e: one hardened server");
    hardSuite.addTest(new VerifyTest("verify: the live verdicts equal the offline audit's, no drift, exit 0", async () => {
        const r = await vLive(vStack("hard", [hard], hardSettings));
        console.log(`      verify: ${r.hosts.map((h) => `${h.name} ${h.ms} ms`).join(", ")}`);
        assert.deepStrictEqual(vVerdicts(r.live.violations), vVerdicts(r.offline.violations));
        assert.deepStrictEqual(vDrift(r), []);
        assert.strictEqual(r.code, 0);
    }));
    hardSuite.addTest(new VerifyTest("verify: each tampering reported with its policy and as drift; clean again after a re-apply", async () => {
        const file = vStack("hard", [hard], hardSettings);
        await onHost(hard.ip, [
            "set -e",
            "sed -i 's/^bind-address.*/bind-address = 0.0.0.0/' /etc/mysql/mariadb.conf.d/99-seed-web.cnf && systemctl restart mariadb",
            "ufw allow 3306/tcp >/dev/null",
            // both the site and the default server (Nginx takes the protocols from the default server of the socket)
            "sed -i -e 's/ssl_protocols TLSv1.2 TLSv1.3;/ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;/' -e 's/ssl_ciphers [^;]*;/ssl_ciphers DEFAULT:@SECLEVEL=0;/' /etc/nginx/sites-available/foobar.com",
            "sed -i 's/ssl_protocols TLSv1.2 TLSv1.3;/ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3; ssl_ciphers DEFAULT:@SECLEVEL=0;/' /etc/nginx/conf.d/seed-web.conf",
            "nginx -t -q && systemctl reload nginx",
            "systemctl disable --now --quiet seed-web-backup.timer",
            "systemctl stop prometheus-node-exporter",
        ].join("\n"));
        const r1 = await vLive(file);
        assert.strictEqual(r1.code, 5);
        has(r1, "database-not-exposed", "mandatory", /MySQL on hard listens on 0\.0\.0\.0:3306 and hard's firewall opens 3306 to everybody/);
        has(r1, "firewall-required", "mandatory", /hard's firewall opens port 3306 to everybody/);
        has(r1, "https-required", "mandatory", /entry point hard \(web host\) accepts (TLSv1 and )?TLSv1(\.1)? handshakes/);
        has(r1, "backups-enabled", "advisory", /the database on hard is not backed up/);
        has(r1, "monitoring-enabled", "advisory", /hard is not monitored/);
        drifted(r1, /^hard database\.bindAddress: declared: MySQL bound to 127\.0\.0\.1; observed: MySQL bound to 0\.0\.0\.0$/);
        drifted(r1, /^hard firewall\.rules: .*extra: 3306\/tcp from any/);
        drifted(r1, /^hard nginx\.tlsProtocols: declared: TLS TLSv1\.2, TLSv1\.3 only; observed: also accepts TLSv1/);
        drifted(r1, /^hard backup: declared: daily backup at 03:15 .*; observed: seed-web-backup\.timer disabled, inactive/);
        drifted(r1, /^hard monitoring: declared: node exporter answering on 127\.0\.0\.1:9100; observed: node exporter not answering/);

        await onHost(hard.ip, "ufw disable >/dev/null");
        const r2 = await vLive(file);
        has(r2, "firewall-required", "mandatory", /hard has no firewall/);
        drifted(r2, /^hard firewall: declared: firewall deny-by-default \(ufw\) allowing 22\/tcp from any, 80\/tcp from any, 443\/tcp from any; observed: ufw inactive; no packet filter on input \(iptables and nftables read\)$/);

        const { plan: again } = await planFor([hard], hardSettings);
        await apply(again);
        const r3 = await vLive(file);
        assert.deepStrictEqual(vDrift(r3), []);
        assert.deepStrictEqual(vVerdicts(r3.live.violations), vVerdicts(r3.offline.violations));
        assert.strictEqual(r3.code, 0);
    }));

    // -- the distributed topology
    const dist: TestHost[] = [
        { name: "dist-lb", ip: "10.200.0.6", roles: ["lb"] },
        { name: "dist-web1", ip: "10.200.0.7", roles: ["web", "app"] },
        { name: "dist-web2", ip: "10.200.0.8", roles: ["web", "app"] },
        { name: "dist-db1", ip: "10.200.0.9", roles: ["db"] },
        { name: "dist-db2", ip: "10.200.0.10", roles: ["db"] },
    ];
    const distSettings = { firewall: "true", tls: "self-signed", dbBindAddress: "auto", monitoring: "true", monitoringAllowFrom: '["10.200.0.1"]', backups: "true" };
    const distSuite = suiteOf("e2e: the distributed topology");
    distSuite.addTest(new VerifyTest("verify: the live verdicts equal the offline audit's, no drift; a stopped replica is reported (exit 6), clean after a re-apply", async () => {
        const file = vStack("distributed", dist, distSettings);
        const r = await vLive(file);
        console.log(`      verify: ${r.hosts.map((h) => `${h.name} ${h.ms} ms`).join(", ")}`);
        assert.deepStrictEqual(vVerdicts(r.live.violations), vVerdicts(r.offline.violations));
        assert.deepStrictEqual(vDrift(r), []);
        assert.strictEqual(r.code, 0);

        await onHost("10.200.0.10", "mysql -e 'STOP SLAVE'");
        const stopped = await vLive(file);
        has(stopped, "no-single-point-of-failure", "advisory", /the database role is held by a single host, dist-db1/);
        drifted(stopped, /^dist-db2 database\.replication: declared: replica of dist-db1, streaming; observed: replica of 10\.200\.0\.9, replication stopped/);
        assert.strictEqual(stopped.code, 6);

        const { plan: again } = await planFor(dist, distSettings);
        await apply(again);
        const clean = await vLive(file);
        assert.deepStrictEqual(vDrift(clean), []);
        assert.deepStrictEqual(vVerdicts(clean.live.violations), vVerdicts(clean.offline.violations));
        assert.strictEqual(clean.code, 0);
    }));
});

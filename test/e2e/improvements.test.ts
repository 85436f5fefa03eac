// The design's improvements on real hosts: one hardened server, and the distributed topology (load balancer, two
// web hosts, primary and replica database), provisioned by the program's own commands and checked from outside.
import * as assert from "assert";
import * as tls from "tls";
import { PlannedCommand } from "../../tools/capture";
import { apply, bootHosts, destroyHosts, get, hosts, httpGet, onHost, planFor, portOpen, raw, StepRun, TestHost } from "./lib";

const WWW = "www.foobar.com";

interface HttpsAnswer {
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: string;
    protocol: string;
    cert: tls.PeerCertificate;
}

/** GET over TLS by address with SNI and Host set to the site's name; `maxVersion` forces an old protocol. */
function httpsGet(ip: string, path: string, options: { maxVersion?: tls.SecureVersion; timeoutMs?: number } = {}): Promise<HttpsAnswer> {
    return new Promise((resolve, reject) => {
        const socket = tls.connect(
            { host: ip, port: 443, servername: WWW, rejectUnauthorized: false, maxVersion: options.maxVersion, minVersion: "TLSv1", timeout: options.timeoutMs ?? 10_000 },
            () => {
                socket.write(`GET ${path} HTTP/1.1\r\nHost: ${WWW}\r\nConnection: close\r\n\r\n`);
            },
        );
        let raw = "";
        socket.setEncoding("utf8");
        socket.on("data", (d) => (raw += d));
        socket.on("timeout", () => socket.destroy(new Error(`https://${ip}${path}: timed out`)));
        socket.on("error", reject);
        socket.on("end", () => {
            const [head, ...rest] = raw.split("\r\n\r\n");
            const [statusLine, ...lines] = head.split("\r\n");
            const headers: Record<string, string> = {};
            for (const l of lines) {
                const i = l.indexOf(":");
                headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
            }
            resolve({ status: Number(statusLine.split(" ")[1]), headers, body: rest.join("\r\n\r\n"), protocol: socket.getProtocol() ?? "", cert: socket.getPeerCertificate() });
        });
    });
}

async function waitHttps(ip: string, path: string, marker: string, ms = 20_000): Promise<HttpsAnswer> {
    const until = Date.now() + ms;
    let last: unknown;
    while (Date.now() < until) {
        try {
            const a = await httpsGet(ip, path);
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
        await assert.rejects(httpsGet(host.ip, "/", { maxVersion: "TLSv1.1" }));
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
        for (let i = 0; i < 10; i++) servedBy.add(String((await httpsGet(lb.ip, "/")).headers["x-served-by"]));
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
                const a = await httpsGet(lb.ip, "/index.php", { timeoutMs: 15_000 });
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

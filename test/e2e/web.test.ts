// The web tier's hardening and the backups on a real host: unknown Host headers get nothing, the site's responses
// carry the security headers and no versions, the redirect names the site, a rejected nginx configuration never goes
// live, the node exporter listens on the private address, seed-web-restore is explicit and atomic, and a failed
// backup is visible (exit status, and the last success time the node exporter publishes).
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { PlannedCommand } from "../../tools/capture";
import { apply, bootHosts, destroyHosts, get, httpGet, onHost, planFor, raw, RawAnswer, sshRun, StepRun, TestHost } from "./lib";

const SITE = "foobar.com";
const WWW = "www.foobar.com";
const SECURITY_HEADERS: Record<string, string> = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "content-security-policy": "frame-ancestors 'none'",
    "referrer-policy": "strict-origin-when-cross-origin",
};


function assertSecurityHeaders(a: RawAnswer, what: string) {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) assert.strictEqual(a.headers[k], v, `${what}: ${k}`);
    assert.strictEqual(a.headers.server, "nginx", `${what}: Server without a version`);
    assert.strictEqual(a.headers["x-powered-by"], undefined, `${what}: X-Powered-By`);
}

const times = (runs: StepRun[]) => runs.map((r) => `${r.name} ${(r.ms / 1000).toFixed(1)}s`).join(", ");

describe("e2e: the web tier hardened, backups and restore", function () {
    const host: TestHost = { name: "wt-web1", ip: "10.200.0.120", roles: ["web", "app", "db"], rootfs: "warm" };
    const settings = { firewall: "true", tls: "self-signed", dbBindAddress: "auto", monitoring: "true", monitoringAllowFrom: '["10.200.0.1"]', backups: "true" };
    let plan: PlannedCommand[];
    const sh = (cmd: string) => onHost(host.ip, cmd);

    before(async () => {
        await bootHosts([host]);
        ({ plan } = await planFor([host], settings));
        console.log(`      apply: ${times(await apply(plan))}`);
    });
    after(() => destroyHosts([host]));

    it("an unknown Host header gets the connection closed without an answer, over HTTP and HTTPS", async () => {
        const http = await raw(host.ip, 80, get("/", "evil.example"));
        assert.strictEqual(http.data, "", "HTTP, Host evil.example");
        for (const servername of ["evil.example", undefined]) {
            const a = await raw(host.ip, 443, get("/", servername ?? host.ip), { servername });
            assert.strictEqual(a.data, "", `HTTPS, SNI ${servername ?? "(none)"}`);
            assert.match(String(a.error), /unrecognized name|alert/i, `HTTPS, SNI ${servername ?? "(none)"}: the handshake is rejected`);
        }
        // the site's name in SNI does not make another Host header the site
        const mixed = await raw(host.ip, 443, get("/", "evil.example"), { servername: WWW });
        assert.strictEqual(mixed.data, "", "HTTPS, SNI www.foobar.com, Host evil.example");
    });

    it("the site answers its names with the security headers on every response, without versions", async () => {
        for (const [pathname, status] of [["/", 200], ["/index.php", 200], ["/missing", 404], ["/.env", 403]] as const) {
            const a = await raw(host.ip, 443, get(pathname, WWW), { servername: WWW });
            assert.strictEqual(a.status, status, `${pathname}: ${a.data.slice(0, 200)}`);
            assertSecurityHeaders(a, `https ${pathname}`);
            assert.match(a.headers["strict-transport-security"], /max-age=31536000/);
        }
        const apex = await raw(host.ip, 443, get("/index.php", SITE), { servername: SITE });
        assert.strictEqual(apex.status, 200);
        assert.match(apex.data, /Hello from MySQL/);
    });

    it("no X-Powered-By even when php.ini exposes PHP (Ubuntu's default)", async () => {
        await sh("sed -i 's/^expose_php = .*/expose_php = On/' /etc/php/8.2/fpm/php.ini && systemctl restart php8.2-fpm");
        const a = await raw(host.ip, 443, get("/index.php", WWW), { servername: WWW });
        assert.strictEqual(a.status, 200);
        assert.strictEqual(a.headers["x-powered-by"], undefined, a.data.slice(0, 400));
    });

    it("plain HTTP redirects to the configured name, never to the request's Host", async () => {
        for (const name of [WWW, SITE]) {
            const a = await raw(host.ip, 80, get("/a?b=1", name));
            assert.strictEqual(a.status, 301);
            assert.strictEqual(a.headers.location, `https://${name}/a?b=1`);
            assertSecurityHeaders(a, `redirect for ${name}`);
        }
        const hostile = await raw(host.ip, 80, get("/a", `${WWW}:80@evil.example`));
        assert.strictEqual(hostile.headers.location, `https://${WWW}/a`);
        const absolute = await raw(host.ip, 80, `GET http://${WWW}/a HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n`);
        assert.strictEqual(absolute.headers.location, `https://${WWW}/a`);
        const evil = await raw(host.ip, 80, get("/a", "evil.example"));
        assert.strictEqual(evil.data, "", "an unknown Host gets no redirect at all");
    });

    it("nginx.sh run by hand with a setting nginx rejects keeps the previous configuration live", async () => {
        const scripts = path.join(__dirname, "../../scripts");
        const library = fs.readdirSync(path.join(scripts, "lib")).filter((f) => f.endsWith(".sh")).map((f) => `lib/${f}`);
        for (const f of ["platform.sh", "lib.sh", ...library, "nginx.sh"]) {
            const r = await sshRun({ host: host.ip, port: 22, user: "root" }, `mkdir -p /root/seed-web/lib && cat > /root/seed-web/${f}`, { stdin: fs.readFileSync(path.join(scripts, f), "utf8") });
            assert.strictEqual(r.code, 0, r.stderr);
        }
        // the program's own settings for this host, with a status address that passes the script's check but not nginx's
        const nginx = plan.find((p) => p.facts.step === "nginx")!;
        const env = nginx.create.slice(0, nginx.create.indexOf(" bash -c "));
        assert.match(env, /LEMP_STATUS_ALLOW='127\.0\.0\.1 10\.200\.0\.1'/);
        const hostile = env.replace(/LEMP_STATUS_ALLOW='[^']*'/, "LEMP_STATUS_ALLOW='127.0.0.1 10.200.0.0/64'");
        const files = "md5sum /etc/nginx/conf.d/seed-web.conf /etc/nginx/sites-available/foobar.com; readlink /etc/nginx/sites-enabled/foobar.com; ls /etc/nginx/sites-enabled";
        const before = await sh(files);
        const r = await sshRun({ host: host.ip, port: 22, user: "root" }, `${hostile} bash /root/seed-web/nginx.sh`);
        assert.notStrictEqual(r.code, 0, "the step must fail");
        assert.match(r.stderr, /invalid parameter "10\.200\.0\.0\/64"/);
        assert.match(r.stderr, /previous configuration files are back in place/);
        assert.strictEqual(await sh(files), before, "the live files are the previous ones");
        // and they still load: a reload (or a restart) keeps serving the site
        await sh("nginx -t -q && systemctl reload nginx");
        await new Promise((res) => setTimeout(res, 500));
        const a = await raw(host.ip, 443, get("/index.php", WWW), { servername: WWW });
        assert.strictEqual(a.status, 200);
        assertSecurityHeaders(a, "after the rejected candidate");
        await sh("rm -rf /root/seed-web");
    });

    it("the node exporter listens on the private address only and answers the allowed address", async () => {
        const listeners = (await sh("ss -ltnH 'sport = :9100' | awk '{ print $4 }'")).trim().split("\n");
        assert.deepStrictEqual(listeners, [`${host.ip}:9100`]);
        const m = await httpGet(host.ip, "/metrics", `${host.ip}:9100`, 9100);
        assert.strictEqual(m.status, 200);
        assert.match(m.body, /\nnode_exporter_build_info/);
        assert.strictEqual((await sh("curl -s -o /dev/null --max-time 2 http://127.0.0.1:9100/metrics; echo $?")).trim(), "7", "loopback: connection refused");
    });

    it("seed-web-restore: refused without --force on a non-empty database; a dump that fails to load changes nothing; a good one swaps every table", async () => {
        const rows = "mysql -N app -e 'SELECT id, message FROM greetings ORDER BY id' | tr '\\t\\n' ':;'";
        await sh("mysql app -e \"CREATE TABLE IF NOT EXISTS extra (id INT PRIMARY KEY) ENGINE=InnoDB; REPLACE INTO extra VALUES (7)\"");
        const dump = (await sh("seed-web-backup")).trim();
        await sh("mysql app -e \"UPDATE greetings SET message = 'live edit' WHERE id = 1; DROP TABLE extra\"");
        const live = await sh(rows);
        assert.strictEqual(live, "1:live edit;");

        const refused = await sshRun({ host: host.ip, port: 22, user: "root" }, `seed-web-restore ${dump}`);
        assert.strictEqual(refused.code, 3, refused.stderr);
        assert.match(refused.stderr, /not empty.*--force/);
        assert.strictEqual(await sh(rows), live);

        // a corrupted dump: the tables' statements, then one that fails (the old restore left the new greetings behind);
        // complete otherwise (it ends with mysqldump's last line), so it passes the checks made before loading
        await sh(`gzip -dc ${dump} | sed -e 's/Hello from MySQL/from the corrupted dump/' -e '/^-- Dump completed/i INSERT INTO no_such_table VALUES (1);' > /root/bad.sql && gzip -f /root/bad.sql`);
        const bad = await sshRun({ host: host.ip, port: 22, user: "root" }, "seed-web-restore --force /root/bad.sql.gz");
        assert.notStrictEqual(bad.code, 0);
        assert.match(bad.stderr, /could not be loaded.*database app is unchanged/);
        assert.strictEqual(await sh(rows), live, "the live tables are intact");
        assert.strictEqual((await sh("mysql -N -e \"SHOW TABLES FROM app\" | tr '\\n' ' '")).trim(), "greetings");
        assert.strictEqual((await sh("mysql -N -e \"SHOW DATABASES LIKE 'seedweb%'\" | wc -l")).trim(), "0", "no leftover databases");

        const good = await sshRun({ host: host.ip, port: 22, user: "root" }, `seed-web-restore --force ${dump}`);
        assert.strictEqual(good.code, 0, good.stderr);
        const safety = /safety dump of app \(1 tables\): (\S+)/.exec(good.stderr)?.[1];
        assert.ok(safety, good.stderr);
        assert.strictEqual(await sh(rows), "1:Hello from MySQL;");
        assert.strictEqual((await sh("mysql -N -e 'SELECT id FROM app.extra'")).trim(), "7", "the dump's other table is back");
        assert.match(await sh(`gzip -dc ${safety}`), /live edit/, "the safety dump holds the replaced data");
        assert.strictEqual((await sh("mysql -N -e \"SHOW DATABASES LIKE 'seedweb%'\" | wc -l")).trim(), "0");
        await sh("mysql app -e 'DROP TABLE extra'");
    });

    it("a failed backup exits non-zero and leaves the last-success metric unchanged; a good one updates it", async () => {
        const metric = async () => {
            const m = await httpGet(host.ip, "/metrics", `${host.ip}:9100`, 9100);
            return /\nseed_web_backup_last_success_timestamp_seconds\{database="app"\} (\S+)/.exec(m.body)?.[1];
        };
        await sh("seed-web-backup >/dev/null");
        const first = await metric();
        assert.ok(first && Number(first) > 1.7e9, `metric: ${first}`);
        await new Promise((res) => setTimeout(res, 1100));
        await sh("systemctl stop mariadb");
        try {
            const unit = await sshRun({ host: host.ip, port: 22, user: "root" }, "systemctl start seed-web-backup.service");
            assert.notStrictEqual(unit.code, 0, "the unit fails");
            assert.strictEqual((await sh("systemctl is-failed seed-web-backup.service || true")).trim(), "failed");
            const direct = await sshRun({ host: host.ip, port: 22, user: "root" }, "seed-web-backup");
            assert.notStrictEqual(direct.code, 0);
            assert.match(direct.stderr, /dump of app failed/);
            assert.strictEqual(await metric(), first, "the metric still shows the last success");
        } finally {
            await sh("systemctl start mariadb");
        }
        await sh("systemctl start seed-web-backup.service");
        const second = await metric();
        assert.ok(Number(second) > Number(first), `${second} > ${first}`);
        assert.strictEqual((await sh("systemctl is-failed seed-web-backup.service || true")).trim(), "inactive");
    });

    it("a second apply changes nothing", async () => {
        const second = await apply(plan);
        assert.deepStrictEqual(second.filter((r) => r.changed !== 0).map((r) => `${r.name} changed=${r.changed}`), []);
    });
});

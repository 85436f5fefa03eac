// Undo on real hosts: what `pulumi up` does when a feature is switched off or a host removed, a replacement in both
// orders, and `pulumi destroy` (with and without destroyData), applied the way the engine would (lib.ts: up/destroy).
import * as assert from "assert";
import { PlannedCommand } from "../../tools/capture";
import { bootHosts, destroy, destroyHosts, EngineRun, httpGet, onHost, planFor, portOpen, raw, get, summary, TestHost, up, waitForPage } from "./lib";

const WWW = "www.foobar.com";
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)}s`;
const log = (what: string, runs: EngineRun[]) => console.log(`      ${what} (${elapsed()}): ${summary(runs)}`);
/** The ports listening on the host (TCP, any address), from inside. */
const listening = async (ip: string) =>
    new Set((await onHost(ip, "ss -Hltn | awk '{ print $4 }' | sed 's/.*://'")).trim().split("\n").map(Number));
const state = async (ip: string, unit: string) => (await onHost(ip, `systemctl is-enabled ${unit} 2>/dev/null || true; systemctl is-active ${unit} || true`)).trim().split("\n").join(" ");
const exists = async (ip: string, paths: string[]) =>
    (await onHost(ip, paths.map((p) => `[ -e ${p} ] && echo ${p} || true`).join("; "))).trim().split("\n").filter((l) => l);
const deletes = (runs: EngineRun[], name: string) => runs.filter((r) => r.op === "delete" && r.name === name);

describe("e2e: undo on one host (features off and on, replacements, destroy)", function () {
    const host: TestHost = { name: "un-one", ip: "10.200.0.190", roles: ["web", "app", "db"], rootfs: "warm" };
    const ip = host.ip;
    const base = { dbBindAddress: "auto" };
    const on = { ...base, firewall: "true", tls: "self-signed", monitoring: "true", backups: "true" };
    let current: PlannedCommand[] = [];
    let passwords = new Map<string, string>();   // the stack's state keeps its generated passwords
    const go = async (what: string, settings: Record<string, string>, order?: "create-first" | "delete-first") => {
        const { plan } = await planFor([host], settings, passwords);
        const runs = await up(current, plan, { order });
        current = plan;
        log(what, runs);
        return runs;
    };

    before(async () => {
        await bootHosts([host]);
        await go("up, everything on", on);
        await onHost(ip, "seed-web-backup >/dev/null; mysql app -e 'CREATE TABLE undo_marker (v VARCHAR(20)); INSERT INTO undo_marker VALUES (\"kept\")'");
    });
    after(() => destroyHosts([host]));

    it("switched off: no firewall, exporter, status pages, backup timer or HTTPS left; dumps and certificate kept", async () => {
        await go("up, everything off", base);
        const ports = await listening(ip);
        for (const p of [443, 8081, 9100]) assert.ok(!ports.has(p), `${p} still listening`);
        assert.ok(ports.has(80) && ports.has(22));
        assert.strictEqual((await onHost(ip, "ufw status | head -1")).trim(), "Status: inactive");
        assert.strictEqual((await onHost(ip, "ufw show added | grep -c '^ufw ' || true")).trim(), "0");
        assert.strictEqual(await state(ip, "prometheus-node-exporter"), "disabled inactive");
        assert.strictEqual(await state(ip, "seed-web-backup.timer"), "inactive");
        assert.deepStrictEqual(
            await exists(ip, ["/usr/local/sbin/seed-web-backup", "/usr/local/sbin/seed-web-restore", "/etc/systemd/system/seed-web-backup.timer", "/var/lib/seed-web/generation/monitoring", "/var/lib/seed-web/generation/backup", "/var/lib/seed-web/generation/firewall"]),
            [],
        );
        assert.match(await onHost(ip, "ls /var/backups/seed-web/*.sql.gz | wc -l"), /^[1-9]/, "the dumps are kept");
        assert.deepStrictEqual(await exists(ip, ["/etc/seed-web/tls/foobar.com/fullchain.pem"]), ["/etc/seed-web/tls/foobar.com/fullchain.pem"], "the certificate is kept");
        // from outside: plain HTTP serves the site again, HTTPS and the exporter do not answer
        const page = await waitForPage(ip, "/index.php", WWW, "Hello from MySQL");
        assert.strictEqual(page.status, 200);
        assert.strictEqual(await portOpen(ip, 443), false);
        assert.strictEqual(await portOpen(ip, 9100), false);
    });

    it("switched on again: every feature works", async () => {
        await go("up, everything on again", on);
        assert.strictEqual((await onHost(ip, "ufw status | head -1")).trim(), "Status: active");
        assert.match(await onHost(ip, "curl -fsS http://127.0.0.1:9100/metrics | grep -c '^node_'"), /^[1-9]/);
        assert.strictEqual(await state(ip, "seed-web-backup.timer"), "enabled active");
        const a = await raw(ip, 443, get("/index.php", WWW), { servername: WWW });
        assert.strictEqual(a.status, 200);
        assert.match(a.data, /Hello from MySQL/);
        assert.strictEqual((await httpGet(ip, "/", WWW)).status, 301);
    });

    it("a changed domain, create-before-delete: the new site serves, the old site's files are gone", async () => {
        const runs = await go("up, domain example.org (create first)", { ...on, domain: "example.org" });
        assert.ok(deletes(runs, "un-one-nginx")[0].stdout.includes("undone=0"), "the old nginx delete left the live configuration");
        const a = await raw(ip, 443, get("/index.php", "www.example.org"), { servername: "www.example.org" });
        assert.strictEqual(a.status, 200);
        assert.match(a.data, /Hello from MySQL/);
        assert.deepStrictEqual(await exists(ip, ["/etc/nginx/sites-enabled/foobar.com", "/etc/nginx/sites-available/foobar.com", "/var/www/foobar.com"]), []);
        assert.strictEqual((await raw(ip, 80, get("/", WWW))).data, "", "the old name is not served any more");
    });

    it("a changed dbPort, delete-before-create: the database answers on the new port only, the site works", async () => {
        const runs = await go("up, dbPort 3307 (delete first)", { ...on, domain: "example.org", dbPort: "3307" }, "delete-first");
        assert.ok(deletes(runs, "un-one-database")[0].stdout.includes("undone=1"));
        const ports = await listening(ip);
        assert.ok(ports.has(3307) && !ports.has(3306), [...ports].join(" "));
        const a = await raw(ip, 443, get("/index.php", "www.example.org"), { servername: "www.example.org" });
        assert.match(a.data, /Hello from MySQL/);
        assert.strictEqual((await onHost(ip, "mysql -N app -e 'SELECT v FROM undo_marker'")).trim(), "kept");
    });

    it("destroy: nothing of the project listens or runs, the data stays; a fresh up reuses it", async () => {
        log("destroy", await destroy(current));
        const ports = await listening(ip);
        assert.deepStrictEqual([...ports].filter((p) => [80, 443, 3306, 3307, 8081, 9100].includes(p)), []);
        for (const unit of ["nginx", "php8.2-fpm", "mariadb", "prometheus-node-exporter"]) assert.strictEqual(await state(ip, unit), "disabled inactive", unit);
        assert.strictEqual(await state(ip, "seed-web-backup.timer"), "inactive");
        assert.strictEqual((await onHost(ip, "ufw status | head -1")).trim(), "Status: inactive");
        assert.deepStrictEqual(await exists(ip, ["/etc/seed-web/app-db.ini", "/etc/nginx/conf.d/seed-web.conf", "/etc/mysql/mariadb.conf.d/99-seed-web.cnf", "/var/lib/seed-web/generation"]), []);
        assert.deepStrictEqual(await exists(ip, ["/var/lib/mysql/app", "/etc/seed-web/tls/example.org/fullchain.pem"]), ["/var/lib/mysql/app", "/etc/seed-web/tls/example.org/fullchain.pem"]);
        assert.match(await onHost(ip, "ls /var/backups/seed-web/*.sql.gz | wc -l"), /^[1-9]/);
        assert.strictEqual(await portOpen(ip, 80), false);
        assert.strictEqual(await portOpen(ip, 22), true);

        current = [];
        passwords = new Map();
        await go("fresh up after destroy (new passwords)", on);
        await waitForPage(ip, "/index.php", WWW, "Hello from MySQL", 5_000).catch(() => undefined);
        const a = await raw(ip, 443, get("/index.php", WWW), { servername: WWW });
        assert.match(a.data, /Hello from MySQL/);
        assert.strictEqual((await onHost(ip, "mysql -N app -e 'SELECT v FROM undo_marker'")).trim(), "kept", "the data was reused");
    });

    it("destroy with destroyData (recorded by an up first): the certificates are gone, the primary's database and the dumps kept (issue 19)", async () => {
        const runs = await go("up, destroyData true", { ...on, destroyData: "true" });
        assert.deepStrictEqual(runs.filter((r) => r.op !== "same" && r.op !== "update").map((r) => r.name), [], "only updates");
        assert.deepStrictEqual(runs.filter((r) => r.changed !== 0).map((r) => r.name), [], "the updates change nothing");
        log("destroy with destroyData", await destroy(current));
        // a delete never removes the primary's rows (the same delete runs when an `up` moves the database away)
        assert.deepStrictEqual(await exists(ip, ["/var/lib/mysql/app", "/var/backups/seed-web", "/etc/seed-web/tls/foobar.com"]), ["/var/lib/mysql/app", "/var/backups/seed-web"]);
        assert.strictEqual(await state(ip, "mariadb"), "disabled inactive");
    });
});

describe("e2e: undo of a removed replica, then of a removed balancer", function () {
    const lb: TestHost = { name: "un-lb", ip: "10.200.0.191", roles: ["lb"], rootfs: "warm" };
    const w1: TestHost = { name: "un-w1", ip: "10.200.0.192", roles: ["web", "app", "db"], rootfs: "warm" };
    const w2: TestHost = { name: "un-w2", ip: "10.200.0.193", roles: ["web", "app", "db"], rootfs: "warm" };
    const settings = { firewall: "true", dbBindAddress: "auto" };
    let current: PlannedCommand[] = [];
    const passwords = new Map<string, string>();
    const go = async (what: string, list: TestHost[]) => {
        const { plan } = await planFor(list, settings, passwords);
        const runs = await up(current, plan);
        current = plan;
        log(what, runs);
        return runs;
    };

    before(async () => {
        await bootHosts([lb, w1, w2]);
        await go("up, balancer + two web/db hosts", [lb, w1, w2]);
        assert.strictEqual((await onHost(w1.ip, "mysql -N -e \"SELECT COUNT(*) FROM mysql.user WHERE User = 'repl'\"")).trim(), "1");
    });
    after(() => destroyHosts([lb, w1, w2]));

    it("the replica's host removed: its services stop, the primary drops its account, the balancer serves from one web host", async () => {
        await go("up, un-w2 removed", [lb, w1]);
        assert.strictEqual((await onHost(w1.ip, "mysql -N -e \"SELECT COUNT(*) FROM mysql.user WHERE User = 'repl'\"")).trim(), "0");
        for (const unit of ["nginx", "mariadb", "php8.2-fpm"]) assert.strictEqual(await state(w2.ip, unit), "disabled inactive", unit);
        assert.strictEqual((await onHost(w2.ip, "ufw status | head -1")).trim(), "Status: inactive");
        assert.strictEqual((await onHost(lb.ip, `grep -c ${w2.ip} /etc/haproxy/haproxy.cfg || true`)).trim(), "0");
        await waitForPage(lb.ip, "/index.php", WWW, "Hello from MySQL");
    });

    it("the balancer removed: the web host trusts it no more and is the entry point; the balancer's services stop", async () => {
        await go("up, un-lb removed", [w1]);
        assert.strictEqual(await state(lb.ip, "haproxy"), "disabled inactive");
        assert.strictEqual(await portOpen(lb.ip, 80), false);
        assert.strictEqual((await onHost(w1.ip, `grep -rc 'set_real_ip_from ${lb.ip}' /etc/nginx/ | grep -vc ':0$' || true`)).trim(), "0");
        assert.strictEqual(await portOpen(w1.ip, 80), true, "the web host accepts traffic from anywhere");
        const page = await waitForPage(w1.ip, "/index.php", WWW, "Hello from MySQL");
        assert.strictEqual(page.headers["x-served-by"], undefined, "no proxy header any more");
        console.log(`      e2e undo: ${elapsed()} in all`);
    });
});

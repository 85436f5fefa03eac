// The database tier on real hosts: TLS between the hosts (app ↔ database, replication), the replication account's
// privileges after the copy, a replica copy cut short and redone, the load balancer's PHP health check, and the
// script's own refusals. One topology (balancer, web host, primary, replica), booted in parallel, reused throughout.
import * as assert from "assert";
import { buildCommand, scriptText } from "../../lib/steps";
import { PlannedCommand } from "../../tools/capture";
import { apply, bootHosts, destroyHosts, httpGet, onHost, planFor, sshRun, StepRun, TestHost } from "./lib";

const WWW = "www.foobar.com";
const times = (runs: StepRun[]) => runs.map((r) => `${r.name} ${(r.ms / 1000).toFixed(1)}s`).join(", ");

/** A PHP snippet run on the web host as root, after the application's own connection code. */
const php = (code: string) => `php8.2 -r ${JSON.stringify(`require '/etc/seed-web/app-db.php'; ${code}`).replace(/\$/g, "\\$")}`;

async function waitFor<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, ms = 30_000): Promise<T> {
    const until = Date.now() + ms;
    let last: T | Error | undefined;
    while (Date.now() < until) {
        try {
            last = await probe();
            if (ok(last)) return last;
        } catch (e) {
            last = e as Error;
        }
        await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`${what}: last saw ${last instanceof Error ? last.message : JSON.stringify(last)}`);
}

describe("e2e: the database tier (TLS, replica copy, health check)", function () {
    const lb: TestHost = { name: "dbt-lb", ip: "10.200.0.100", roles: ["lb"], rootfs: "warm" };
    const web: TestHost = { name: "dbt-web", ip: "10.200.0.102", roles: ["web", "app"], rootfs: "warm" };
    const db1: TestHost = { name: "dbt-db1", ip: "10.200.0.101", roles: ["db"], rootfs: "warm" };
    const db2: TestHost = { name: "dbt-db2", ip: "10.200.0.103", roles: ["db"], rootfs: "warm" };
    const all = [lb, web, db1, db2];
    const settings = { firewall: "true", dbBindAddress: "auto" };
    const ROWS = 300_000;
    let plan: PlannedCommand[];
    const step = (name: string) => plan.find((p) => p.name === name)!;
    const count = async (ip: string) => Number((await onHost(ip, "mysql -N -e 'SELECT COUNT(*) FROM app.bulk' 2>/dev/null || echo -1")).trim());

    before(async () => {
        await bootHosts(all);
        ({ plan } = await planFor(all, settings));
    });
    after(() => destroyHosts(all));

    it("a replica copy cut short is redone on the next apply: the replica ends with the primary's rows", async () => {
        // Everything the replica's database step waits for, then rows enough that the copy takes a moment.
        const first = await apply(plan, (p) => !["dbt-db2-database", "dbt-db1-replication"].includes(p.name) && !p.after.includes("dbt-db2-database") && p.host !== web.ip && p.host !== lb.ip);
        console.log(`      apply (up to the primary): ${times(first)}`);
        await onHost(
            db1.ip,
            "mysql app -e \"CREATE TABLE IF NOT EXISTS bulk (id INT PRIMARY KEY, pad CHAR(200) NOT NULL) ENGINE=InnoDB; " +
                `INSERT IGNORE INTO bulk SELECT seq, REPEAT('x', 200) FROM seq_1_to_${ROWS};\"`,
        );
        const db2db = step("dbt-db2-database");
        // sshd does not signal the processes of a cut session without a terminal: the dump would go on and finish.
        // What a lost connection or a crash leaves is a copy cut short: the dump (found by its pid) is killed too.
        const killDump = onHost(
            db2.ip,
            // Killed once the table exists on the replica (its file: a query would wait for the dump's LOCK TABLES):
            // a cut before that leaves no database to drop (seen at load 25).
            "for i in $(seq 1 1200); do pid=$(pgrep -f '^mysqldump --defaults-extra-file=/tmp/[.]lemp-repl') && " +
                "[ -e /var/lib/mysql/app/bulk.frm ] && { sleep 0.3; kill -9 $pid; echo killed; exit 0; }; sleep 0.05; done; echo missed",
        );
        const cut = await sshRun(db2db, db2db.create, { stdin: db2db.stdin, killWhen: /\[lemp:database\] initial copy of app/, killDelayMs: 300 });
        assert.strictEqual(cut.signal, "SIGKILL", `the replica's step finished before the cut (${cut.ms} ms): ${cut.stderr.slice(-300)}`);
        assert.strictEqual((await killDump).trim(), "killed");
        await onHost(db2.ip, "for i in $(seq 1 60); do pgrep -f '[l]emp-database$' >/dev/null || exit 0; sleep 1; done; exit 1");
        const partial = await count(db2.ip);
        const marker = (await onHost(db2.ip, "cat /var/lib/seed-web/replica-copy.done 2>/dev/null || echo none")).trim();
        console.log(`      after the cut: ${partial} of ${ROWS} rows on the replica, marker: ${marker}`);
        assert.strictEqual(marker, "none", "no completion marker after a cut copy");
        assert.ok(partial < ROWS, `the cut left a complete copy (${partial} rows): the test proves nothing`);

        const rest = await apply(plan, (p) => !first.some((f) => f.name === p.name));
        console.log(`      apply (the rest): ${times(rest)}`);
        assert.match(rest.find((r) => r.name === "dbt-db2-database")!.stderr, /dropped app: a copy cut short \(started, never done\) is redone/);
        await onHost(db1.ip, "mysql app -e \"INSERT INTO bulk VALUES (0, 'after the copy')\"");
        const [p, r] = [await count(db1.ip), await waitFor("replica row count", () => count(db2.ip), (n) => n === ROWS + 1)];
        assert.deepStrictEqual([p, r], [ROWS + 1, ROWS + 1]);
        assert.strictEqual((await onHost(db2.ip, "cat /var/lib/seed-web/replica-copy.done")).trim(), `${db1.ip}:3306/app`);
    });

    it("the application reaches the database over TLS, the server verified; a non-TLS login is refused", async () => {
        const cipher = await onHost(web.ip, php(`echo seed_web_db()->query("SHOW SESSION STATUS LIKE 'Ssl_cipher'")->fetch_row()[1];`));
        assert.match(cipher.trim(), /^[A-Z0-9_-]+$/, `Ssl_cipher: ${cipher}`);
        const plain = await onHost(
            web.ip,
            php(
                `$c = parse_ini_file('/etc/seed-web/app-db.ini', true, INI_SCANNER_RAW)['database']; mysqli_report(MYSQLI_REPORT_OFF); ` +
                    `$m = mysqli_init(); echo @$m->real_connect($c['host'], $c['user'], $c['password'], $c['name'], (int) $c['port']) ? 'connected' : 'refused ' . $m->connect_errno;`,
            ),
        );
        assert.match(plain.trim(), /^refused 1045$/);
        const accounts = await onHost(db1.ip, "mysql -N -e \"SELECT CONCAT(User, '@', Host, ' ', ssl_type, ' ', plugin) FROM mysql.user WHERE User IN ('app', 'repl') ORDER BY User, Host\"");
        assert.deepStrictEqual(accounts.trim().split("\n"), [`app@${web.ip} ANY mysql_native_password`, `repl@${db2.ip} ANY mysql_native_password`]);
        // the page shows no versions and no internal address
        const page = await httpGet(lb.ip, "/index.php", WWW);
        assert.strictEqual(page.status, 200);
        assert.ok(page.body.includes("remote, over TLS"), page.body.slice(0, 600));
        for (const leak of [db1.ip, "MariaDB", /\b8\.2\.\d+/, /10\.11\.\d+/]) assert.ok(!(typeof leak === "string" ? page.body.includes(leak) : leak.test(page.body)), `page shows ${leak}`);
    });

    it("replication runs over TLS with the primary verified; the replication account keeps only REPLICATION SLAVE", async () => {
        const status = await onHost(db2.ip, "mysql -e 'SHOW SLAVE STATUS\\G' | grep -E '^ *(Slave_IO_Running|Master_SSL_Allowed|Master_SSL_CA_File|Master_SSL_Verify_Server_Cert):'");
        assert.deepStrictEqual(
            status.trim().split("\n").map((l) => l.trim()),
            ["Slave_IO_Running: Yes", "Master_SSL_Allowed: Yes", "Master_SSL_CA_File: /etc/mysql/seed-web-tls/ca.pem", "Master_SSL_Verify_Server_Cert: Yes"],
        );
        const grants = await onHost(db1.ip, `mysql -N -e "SHOW GRANTS FOR 'repl'@'${db2.ip}'" | sed 's/ IDENTIFIED BY PASSWORD [^ ]*//'`);
        assert.deepStrictEqual(grants.trim().split("\n"), [`GRANT REPLICATION SLAVE ON *.* TO \`repl\`@\`${db2.ip}\` REQUIRE SSL`]);
    });

    it("the balancer's health check reads /health.php: a web host with PHP-FPM stopped leaves the rotation and comes back", async () => {
        const health = await httpGet(lb.ip, "/health.php", WWW);
        assert.deepStrictEqual([health.status, health.body], [200, "ok\n"]);
        await onHost(web.ip, "systemctl stop php8.2-fpm");
        try {
            // Nginx still serves the static page, but the only backend is out of rotation: the balancer has none.
            await waitFor("the balancer drops the web host", () => httpGet(lb.ip, "/", WWW), (a) => a.status === 503, 20_000);
        } finally {
            await onHost(web.ip, "systemctl start php8.2-fpm");
        }
        await waitFor("the balancer takes the web host back", () => httpGet(lb.ip, "/", WWW), (a) => a.status === 200, 20_000);
    });

    it("a second apply changes nothing", async () => {
        const second = await apply(plan);
        assert.deepStrictEqual(second.filter((r) => r.changed !== 0).map((r) => `${r.name} changed=${r.changed}: ${r.stderr.trim().slice(-300)}`), []);
    });

    it("a replica already streaming from its primary, without the completion marker (set up before it existed), is recorded, not copied again", async () => {
        await onHost(db2.ip, "rm /var/lib/seed-web/replica-copy.done");
        const before = await count(db1.ip);
        const r = await apply(plan, (p) => p.name === "dbt-db2-database");
        assert.match(r[0].stderr, /recorded the copy of app as done: already replicating/);
        assert.doesNotMatch(r[0].stderr, /initial copy|dropped app/);
        assert.strictEqual((await onHost(db2.ip, "cat /var/lib/seed-web/replica-copy.done")).trim(), `${db1.ip}:3306/app`);
        await onHost(db1.ip, "mysql app -e \"INSERT INTO bulk VALUES (-1, 'after the marker was lost')\"");
        await waitFor("replica row count", () => count(db2.ip), (n) => n === before + 1);
    });

    it("database.sh refuses reserved names given by hand, before any change; a bad server configuration is not put in place", async () => {
        const db = step("dbt-db1-database");
        for (const [key, value] of [["LEMP_DB_NAME", "mysql"], ["LEMP_DB_NAME", "test_shop"], ["LEMP_DB_USER", "root"], ["LEMP_DB_USER", "repl"]]) {
            const env = { LEMP_DB_NAME: "app", LEMP_DB_USER: "app", [key]: value };
            const r = await sshRun(db, buildCommand("database", env, "root"), { stdin: "pw\n" });
            assert.strictEqual(r.code, 1, `${key}=${value}: exit ${r.code}`);
            assert.match(r.stderr, new RegExp(`error: ${key} must not be a reserved`));
            assert.doesNotMatch(r.stderr, /changed:/);
        }
        // the same step with an option the server does not know slipped into its configuration
        const conf = "/etc/mysql/mariadb.conf.d/99-seed-web.cnf";
        const before = await onHost(db1.ip, `sha256sum ${conf}`);
        const bad = scriptText("database").replace("skip-name-resolve\n", "skip-name-resolve\nno_such_option = 1\n");
        const env = Object.fromEntries([...db.create.matchAll(/(LEMP_[A-Z_]+)='([^']*)'/g)].map((m) => [m[1], m[2]]));
        const r = await sshRun(db, buildCommand("database", env, "root", bad), { stdin: db.stdin });
        assert.notStrictEqual(r.code, 0);
        assert.match(r.stderr, /no_such_option/);
        assert.match(r.stderr, /failed its check.*kept as it was/);
        assert.strictEqual(await onHost(db1.ip, `sha256sum ${conf}`), before);
        assert.strictEqual((await onHost(db1.ip, "systemctl is-active mariadb")).trim(), "active");
    });
});

// The engines and releases beyond Debian 12 + MariaDB (issue #10, parts 2 and 3), on real hosts:
// - Oracle MySQL (`dbEngine: mysql`) on Debian unstable hosts (its mysql-server is MySQL 9.x): the seed design, then
//   the hardened server on the same host; the distributed database tier (primary + replica with GTIDs, over TLS, and a
//   Debian 12 web host whose PHP reaches MySQL remotely), with backups and a restore.
// - Debian 13 (trixie: PHP 8.4, Nginx 1.26, MariaDB 11.8): the seed design, then the hardened server on the same host.
// - verify (issue #22) on both: the MySQL 9.x replica's replication and TLS decided from the probe's statements of
//   that engine and version (SHOW REPLICA STATUS, no @@have_ssl), and the probe's units of each release and engine.
// Every host boots at once and the three provisioning paths run at the same time (most of the time is apt installs);
// each path records what it saw after each phase, and the tests below check those records.
import * as assert from "assert";
import { PlannedCommand } from "../../tools/capture";
import { sshProbe } from "../../tools/verify/probe";
import { apply, bootHosts, destroyHosts, httpGet, KEY, onHost, planFor, portOpen, StepRun, TestHost, waitForPage } from "./lib";
import { driftLines, keyscan, verdicts, verifyLive, writeStack } from "./verify-lib";

const WWW = "www.foobar.com";
const HARDENED = { firewall: "true", tls: "self-signed", dbBindAddress: "auto", monitoring: "true", backups: "true" };
const times = (runs: StepRun[]) => runs.map((r) => `${r.name} ${(r.ms / 1000).toFixed(1)}s`).join(", ");
const changed = (runs: StepRun[]) => runs.filter((r) => r.changed !== 0).map((r) => `${r.name} changed=${r.changed}: ${r.stderr.trim().slice(-300)}`);
const fact = (runs: StepRun[], step: string, key: string) => new RegExp(`(?:^|\\n)${key}=(.*)`).exec(runs.find((r) => r.name.endsWith(`-${step}`))?.stdout ?? "")?.[1];
const sql = (ip: string, query: string) => onHost(ip, `mysql -N -B -e ${JSON.stringify(query).replace(/\$/g, "\\$")}`).then((o) => o.trim());

/** Backup, a changed row, a restore with --force over the live database, and a restore into a new one. */
const BACKUP_RESTORE = String.raw`
set -e
f=$(seed-web-backup)
mysql -e "UPDATE app.greetings SET message = 'changed after the backup' WHERE id = 1"
seed-web-restore --force "$f" app 2>/dev/null
mysql -N -e 'SELECT message FROM app.greetings WHERE id = 1'
mysql -e 'DROP DATABASE IF EXISTS restored'
seed-web-restore "$f" restored 2>/dev/null
mysql -N -e 'SELECT message FROM restored.greetings WHERE id = 1'
mysql -e 'DROP DATABASE restored'
stat -c %a "$f"`;

interface Seen {
    plan: PlannedCommand[];
    runs: StepRun[];
    second?: StepRun[];
    obs: Record<string, string>;
    verify?: Awaited<ReturnType<typeof verifyLive>>;
}

/** The "units" section of scripts/probe.sh (sent after platform.sh, as verify sends it) on the host. */
async function probeUnits(h: TestHost): Promise<string[]> {
    const out = await sshProbe({ name: h.name, roles: h.roles, address: h.ip, port: 22, user: "root", privateAddress: h.ip, hostKey: keyscan(h.ip) }, { identity: KEY });
    return (/^### units\n([\s\S]*?)^### /m.exec(out)?.[1] ?? "").trim().split("\n").sort();
}

/** Apply the plan, then record what `observe` sees. */
async function phase(plan: PlannedCommand[], observe: (runs: StepRun[]) => Promise<Record<string, string>>, label: string): Promise<Seen> {
    const runs = await apply(plan);
    console.log(`      ${label}: ${times(runs)}`);
    return { plan, runs, obs: await observe(runs) };
}

describe("e2e: the MySQL engine and Debian 13 (issue #10)", function () {
    const mySeed: TestHost = { name: "my-one", ip: "10.200.0.171", roles: ["web", "app", "db"], suite: "sid" };
    const myWeb: TestHost = { name: "my-web", ip: "10.200.0.172", roles: ["web", "app"], rootfs: "warm" };
    const myPrimary: TestHost = { name: "my-db1", ip: "10.200.0.173", roles: ["db"], suite: "sid" };
    const myReplica: TestHost = { name: "my-db2", ip: "10.200.0.174", roles: ["db"], suite: "sid" };
    const txOne: TestHost = { name: "tx-one", ip: "10.200.0.181", roles: ["web", "app", "db"], suite: "trixie" };
    const distributed = [myWeb, myPrimary, myReplica];
    const all = [mySeed, ...distributed, txOne];
    const MYSQL = { dbEngine: "mysql" };

    // what a single server shows after each phase
    const single = (h: TestHost) => async (runs: StepRun[]) => {
        const page = await waitForPage(h.ip, "/index.php", WWW, "seed-web:php").catch((e) => ({ status: 0, body: String(e) }));
        return {
            engine: fact(runs, "database", "db_engine") ?? "",
            os: fact(runs, "base", "os") ?? "",
            page: `${page.status} ${/Hello from MySQL/.test(page.body) ? "greeting" : page.body.slice(0, 300)}`,
            mysql3306: String(await portOpen(h.ip, 3306)),
            bind: await sql(h.ip, "SELECT @@bind_address"),
            root: await onHost(h.ip, "mysql -N -B -e \"SELECT CONCAT(CURRENT_USER(), ' ', plugin) FROM mysql.user WHERE User = 'root' AND Host = 'localhost'\"").then((o) => o.trim()),
            accounts: await sql(h.ip, "SELECT CONCAT(User, '@', Host, ' ', plugin, ' ', ssl_type) FROM mysql.user WHERE User IN ('app', 'repl') ORDER BY User, Host"),
            php: (await onHost(h.ip, "ls /run/php/ | grep -o 'php[0-9][0-9.]*-fpm.sock' | head -1")).trim(),
            nginx: (await onHost(h.ip, "nginx -v 2>&1")).trim(),
        };
    };
    let seedMy: Promise<[Seen, Seen]>;
    let seedTx: Promise<[Seen, Seen]>;
    let dist: Promise<Seen>;

    before(async function () {
        this.timeout(25 * 60_000);   // every path of this file at once: about 6 minutes on an idle 2-core runner
        const started = Date.now();
        await bootHosts(all);
        console.log(`      booted ${all.length} hosts in ${((Date.now() - started) / 1000).toFixed(1)}s`);
        // the plans first, one at a time (the capture under mocks is global state), then the three paths at once;
        // each: its phases, then a second apply of the last one
        const plans: Record<string, PlannedCommand[]> = {};
        for (const [key, list, settings] of [
            ["my-seed", [mySeed], MYSQL], ["my-hard", [mySeed], { ...MYSQL, ...HARDENED }],
            ["tx-seed", [txOne], {}], ["tx-hard", [txOne], HARDENED],
            ["dist", distributed, { ...MYSQL, firewall: "true", dbBindAddress: "auto", backups: "true" }],
        ] as [string, TestHost[], Record<string, string>][]) {
            plans[key] = (await planFor(list, settings)).plan;
        }
        const seedThenHardened = async (h: TestHost, key: string): Promise<[Seen, Seen]> => {
            const seed = await phase(plans[`${key}-seed`], single(h), `${h.name} seed design`);
            const hard = await phase(plans[`${key}-hard`], async (runs) => ({ ...(await single(h)(runs)), backup: (await onHost(h.ip, BACKUP_RESTORE)).trim() }), `${h.name} hardened`);
            hard.second = await apply(hard.plan);
            hard.obs.units = (await probeUnits(h)).join("\n");
            return [seed, hard];
        };
        seedMy = seedThenHardened(mySeed, "my");
        seedTx = seedThenHardened(txOne, "tx");
        dist = (async () => {
            const seen = await phase(plans.dist, async (runs) => ({
                engine: fact(runs, "database", "db_engine") ?? "",
                gtid: `${await sql(myPrimary.ip, "SELECT CONCAT(@@gtid_mode, ' ', @@enforce_gtid_consistency)")} / ${await sql(myReplica.ip, "SELECT CONCAT(@@gtid_mode, ' ', @@enforce_gtid_consistency)")}`,
                readOnly: await sql(myReplica.ip, "SELECT CONCAT(@@read_only, ' ', @@super_read_only)"),
                status: (await onHost(myReplica.ip, "mysql -E -e 'SHOW REPLICA STATUS' | grep -E '^ *(Source_Host|Source_User|Replica_IO_Running|Replica_SQL_Running|Source_SSL_Allowed|Source_SSL_CA_File|Source_SSL_Verify_Server_Cert|Auto_Position):'"))
                    .trim().split("\n").map((l) => l.trim()).join("\n"),
                accounts: await sql(myPrimary.ip, "SELECT CONCAT(User, '@', Host, ' ', plugin, ' ', ssl_type) FROM mysql.user WHERE User IN ('app', 'repl') ORDER BY User, Host"),
                replicaAccounts: await sql(myReplica.ip, "SELECT CONCAT(User, '@', Host, ' ', plugin, ' ', ssl_type) FROM mysql.user WHERE User IN ('app', 'repl') ORDER BY User, Host"),
                replPrivileges: await sql(myPrimary.ip, `SELECT GROUP_CONCAT(PRIVILEGE_TYPE ORDER BY PRIVILEGE_TYPE) FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = '''repl''@''${myReplica.ip}'''`),
                replicaWrite: (await onHost(myReplica.ip, "mysql -e \"INSERT INTO app.greetings VALUES (99, 'written on the replica')\" 2>&1 || true")).trim(),
                page: (await waitForPage(myWeb.ip, "/index.php", WWW, "Hello from MySQL").then((p) => p.body, (e) => String(e))).includes("remote, over TLS") ? "remote, over TLS" : "not over TLS",
                cipher: (await onHost(myWeb.ip, `php8.2 -r ${JSON.stringify("require '/etc/seed-web/app-db.php'; echo seed_web_db()->query(\"SHOW SESSION STATUS LIKE 'Ssl_cipher'\")->fetch_row()[1];").replace(/\$/g, "\\$")}`)).trim(),
                backup: (await onHost(myPrimary.ip, BACKUP_RESTORE)).trim(),
            }), "MySQL primary + replica + web host");
            // a row written on the primary reaches the replica (the restore's RENAME TABLE came through too)
            await sql(myPrimary.ip, "INSERT INTO app.greetings VALUES (2, 'replicated')");
            let replicated = "";
            for (let i = 0; i < 40 && replicated !== "Hello from MySQL|replicated"; i++) {
                replicated = (await sql(myReplica.ip, "SELECT GROUP_CONCAT(message ORDER BY id SEPARATOR '|') FROM app.greetings")).trim();
                if (replicated !== "Hello from MySQL|replicated") await new Promise((r) => setTimeout(r, 500));
            }
            seen.obs.replicated = replicated;
            seen.second = await apply(seen.plan);
            // verify on the same stack: the probe (platform.sh + probe.sh) on the MySQL 9 primary and replica
            const t = Date.now();
            seen.verify = await verifyLive(writeStack("engines-dist", distributed, { ...MYSQL, firewall: "true", dbBindAddress: "auto", backups: "true" }));
            console.log(`      verify on the MySQL stack: ${((Date.now() - t) / 1000).toFixed(1)}s`);
            seen.obs.replicaUnits = (await probeUnits(myReplica)).join("\n");
            return seen;
        })();
        // report every failure, not only the first one awaited
        await Promise.allSettled([seedMy, seedTx, dist]);
        console.log(`      all paths done in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    });
    after(() => destroyHosts(all));

    describe("MySQL (Debian unstable's mysql-server): one server, the seed design then hardened", () => {
        it("the seed design: MySQL 9 serves the PHP page's row, root over the socket (auth_socket), the app account on caching_sha2_password, 3306 open", async () => {
            const [seed] = await seedMy;
            assert.match(seed.obs.os, /^debian-unstable$/);
            assert.match(seed.obs.engine, /^mysql-9\.\d+$/);
            assert.deepStrictEqual(
                [seed.obs.page, seed.obs.mysql3306, seed.obs.bind, seed.obs.root, seed.obs.accounts],
                ["200 greeting", "true", "0.0.0.0", "root@localhost auth_socket", "app@localhost caching_sha2_password"],
            );
        });

        it("hardened on the same host: MySQL on loopback behind the firewall, HTTPS, a backup restored over the live database and into a new one; a second apply changes nothing", async () => {
            const [, hard] = await seedMy;
            assert.deepStrictEqual(hard.plan.map((p) => p.facts.step).sort(), ["app", "backup", "base", "database", "firewall", "monitoring", "nginx", "php", "smoke"]);
            assert.deepStrictEqual(
                [hard.obs.mysql3306, hard.obs.bind, hard.obs.root, hard.obs.accounts, hard.obs.backup],
                ["false", "127.0.0.1", "root@localhost auth_socket", "app@localhost caching_sha2_password", "Hello from MySQL\nHello from MySQL\n600"],
            );
            assert.ok(await portOpen(mySeed.ip, 443));
            assert.deepStrictEqual(changed(hard.second!), []);
        });
    });

    describe("MySQL: the distributed database tier (primary + replica with GTIDs, a Debian 12 web host)", () => {
        it("GTIDs on both servers; the replica is read-only to root too (super_read_only) and streams over TLS with the primary verified", async () => {
            const { obs } = await dist;
            assert.match(obs.engine, /^mysql-9\.\d+$/);
            assert.strictEqual(obs.gtid, "ON ON / ON ON"); // enforce_gtid_consistency is an enum (OFF, ON, WARN) on MySQL
            assert.strictEqual(obs.readOnly, "1 1");
            assert.match(obs.replicaWrite, /ERROR 1290 .*--super-read-only/);
            assert.deepStrictEqual(obs.status.split("\n"), [
                `Source_Host: ${myPrimary.ip}`,
                "Source_User: repl",
                "Replica_IO_Running: Yes",
                "Replica_SQL_Running: Yes",
                "Source_SSL_Allowed: Yes",
                "Source_SSL_CA_File: /etc/mysql/seed-web-tls/ca.pem",
                "Source_SSL_Verify_Server_Cert: Yes",
                "Auto_Position: 1",
            ]);
        });

        it("accounts: the app (at the web host) and repl (at the replica) REQUIRE SSL with caching_sha2_password; repl keeps only REPLICATION SLAVE", async () => {
            const { obs } = await dist;
            assert.deepStrictEqual(obs.accounts.split("\n"), [`app@${myWeb.ip} caching_sha2_password ANY`, `repl@${myReplica.ip} caching_sha2_password ANY`]);
            assert.deepStrictEqual(obs.replicaAccounts.split("\n"), [`app@${myWeb.ip} caching_sha2_password ANY`]);
            assert.strictEqual(obs.replPrivileges, "REPLICATION SLAVE");
        });

        it("the web host's PHP reads the row from MySQL over TLS; backup and restore on the primary; its rows reach the replica; a second apply changes nothing", async () => {
            const seen = await dist;
            assert.strictEqual(seen.obs.page, "remote, over TLS");
            assert.match(seen.obs.cipher, /^TLS_|^[A-Z0-9-]+$/);
            assert.strictEqual(seen.obs.backup, "Hello from MySQL\nHello from MySQL\n600");
            assert.strictEqual(seen.obs.replicated, "Hello from MySQL|replicated");
            assert.deepStrictEqual(changed(seen.second!), []);
        });
    });

    describe("verify on MySQL 9.x (Debian unstable) and on Debian 13: the platform data's statements and units", () => {
        it("the MySQL 9 replica's replication and TLS are decided (SHOW REPLICA STATUS, the loaded certificate), not \"cannot decide\"; no drift", async () => {
            const { verify } = await dist;
            const replica = verify!.hosts.find((h) => h.name === myReplica.name)!;
            const primary = verify!.hosts.find((h) => h.name === myPrimary.name)!;
            assert.ok(replica.reachable && primary.reachable, `${replica.error ?? ""} ${primary.error ?? ""}`);
            assert.deepStrictEqual([...replica.undecided, ...primary.undecided].filter((u) => u.step === "database" || u.step === "replication"), []);
            assert.match(replica.notes.replication ?? "", new RegExp(`^replica of ${myPrimary.ip.replace(/\./g, "\\.")}, streaming, \\d+ s behind$`));
            assert.doesNotMatch(`${replica.notes.database} ${primary.notes.database}`, /unreadable/);
            assert.match(replica.notes.database ?? "", /remote accounts: app@10\.200\.0\.172 \(TLS\)/);
            assert.deepStrictEqual(verdicts(verify!.live.violations).filter((v) => v.includes("(undecided)")), []);
            assert.deepStrictEqual(driftLines(verify!), []);
        });

        it("the probe lists each release's PHP-FPM unit and each engine's database unit: php8.4-fpm and mariadb on Debian 13, mysql on the MySQL replica", async () => {
            const [, hard] = await seedTx;
            const { obs } = await dist;
            assert.deepStrictEqual(hard.obs.units.split("\n").filter((u) => /fpm|maria|mysql/.test(u)), ["mariadb.service enabled active", "php8.4-fpm.service enabled active"]);
            assert.deepStrictEqual(obs.replicaUnits.split("\n").filter((u) => /fpm|maria|mysql/.test(u)), ["mysql.service enabled active", "php8.4-fpm.service not-found inactive"]);
        });
    });

    describe("Debian 13 (trixie): one server, the seed design then hardened", () => {
        it("the seed design: PHP 8.4, Nginx 1.26, MariaDB 11.8 serve the page; MariaDB's root over the socket; 3306 open", async () => {
            const [seed] = await seedTx;
            assert.deepStrictEqual(
                [seed.obs.os, seed.obs.engine, seed.obs.php, seed.obs.page, seed.obs.mysql3306, seed.obs.accounts],
                ["debian-13", "mariadb-11.8", "php8.4-fpm.sock", "200 greeting", "true", "app@localhost mysql_native_password"],
            );
            assert.match(seed.obs.nginx, /nginx\/1\.26\./);
            assert.match(seed.obs.root, /^root@localhost (unix_socket|mysql_native_password)$/);
        });

        it("hardened on the same host: loopback database behind the firewall, HTTPS, backup and restore; a second apply changes nothing", async () => {
            const [, hard] = await seedTx;
            assert.deepStrictEqual([hard.obs.mysql3306, hard.obs.bind, hard.obs.backup], ["false", "127.0.0.1", "Hello from MySQL\nHello from MySQL\n600"]);
            assert.ok(await portOpen(txOne.ip, 443));
            const plain = await httpGet(txOne.ip, "/index.php", WWW);
            assert.strictEqual(plain.status, 301);
            assert.deepStrictEqual(changed(hard.second!), []);
        });
    });
});

// Issue 19 on real hosts: a live site's rows through the changes of its `hosts` (applied the way the engine would,
// up(old, next)), with rows written at a steady rate through the application's own database account (its
// connection code, /etc/seed-web/app-db.php, run by PHP on the web host: each write a unique token, acknowledged
// when the INSERT returned). After each change every acknowledged token must be on the primary the application
// uses, and the replica must agree; the counts are logged as "rows: W written, L lost". Then restore's refusals and
// the GRANT escape (dbName "mysq_": the app account must not read mysql.*). Three warm hosts, reused throughout.
import * as assert from "assert";
import { PlannedCommand } from "../../tools/capture";
import { bootHosts, destroyHosts, EngineRun, hosts, onHost, planFor, StepFailed, TestHost, up, waitForPage } from "./lib";

const DB = "mysq_";   // a name that is a pattern in an unescaped GRANT: it would match the mysql schema

describe("e2e: data safety (issue 19): hosts changes, failover, restore, GRANT escape", function () {
    const web: TestHost = { name: "ds-web", ip: "10.200.0.200", roles: ["web", "app", "db"], rootfs: "warm" };
    const webOnly: TestHost = { ...web, roles: ["web", "app"] };
    const db1: TestHost = { name: "ds-db1", ip: "10.200.0.201", roles: ["db"], rootfs: "warm" };
    const db2: TestHost = { name: "ds-db2", ip: "10.200.0.202", roles: ["db"], rootfs: "warm" };
    // destroyData set from the start: "still set from an earlier run" when the database moves
    const base = { dbName: DB, dbBindAddress: "auto", backups: "true", destroyData: "true" };
    const passwords = new Map<string, string>();
    let current: PlannedCommand[] = [];
    const t0 = Date.now();
    const secs = () => `${((Date.now() - t0) / 1000).toFixed(0)}s`;

    const plan = async (list: TestHost[], extra: Record<string, string> = {}) => (await planFor(list, { ...base, ...extra }, passwords)).plan;
    const log = (what: string, runs: EngineRun[]) =>
        console.log(`      [${secs()}] ${what}: ${runs.filter((r) => r.op !== "same").map((r) => `${r.name} ${r.op}`).join(", ")}`);

    // --- the writer: on the web host, through the application's connection (it follows the app's switch) ---
    const WRITER = [
        "rm -f /root/ds-stop; i=$(cat /root/ds-i 2>/dev/null || echo 0)",
        "while [ ! -f /root/ds-stop ]; do",
        "  i=$((i + 1)); echo $i >/root/ds-i",
        `  if php8.2 -r 'require "/etc/seed-web/app-db.php"; $db = seed_web_db(); $db->query("INSERT INTO ds_rows (token) VALUES (\\"w'$i'\\")"); echo "ok";' 2>/dev/null | grep -qx ok; then`,
        "    echo w$i >>/root/ds-acked",
        "  else echo \"w$i $(date +%s.%N)\" >>/root/ds-refused; fi",
        "  sleep 0.1",
        "done; echo stopped >/root/ds-stopped",
    ].join("\n");
    const startWriter = async () => {
        await onHost(web.ip, `rm -f /root/ds-stopped; cat >/root/ds-writer.sh <<'EOF'\n${WRITER}\nEOF\nsetsid nohup bash /root/ds-writer.sh >/dev/null 2>&1 </dev/null &`);
    };
    const stopWriter = async () => {
        await onHost(web.ip, "touch /root/ds-stop; for _ in $(seq 1 100); do [ -f /root/ds-stopped ] && break; sleep 0.1; done; [ -f /root/ds-stopped ]");
    };
    const lines = async (ip: string, cmd: string) => (await onHost(ip, cmd)).split("\n").filter((l) => l !== "");
    /** The primary the application uses: its app-db.ini's host (localhost: the web host itself). */
    const appPrimary = async () => {
        const h = (await onHost(web.ip, "sed -n 's/^host = \"\\(.*\\)\"$/\\1/p' /etc/seed-web/app-db.ini")).trim();
        return h === "localhost" ? web.ip : h;
    };
    const tokens = async (ip: string) => new Set(await lines(ip, `mysql -N -e 'SELECT token FROM ${DB}.ds_rows'`));
    let ackedBefore = 0;
    /** Applies the change with the writer running; then W = acknowledged during it, L = acknowledged but missing. */
    const change = async (what: string, next: PlannedCommand[], replicas: string[]) => {
        await startWriter();
        await new Promise((r) => setTimeout(r, 1500));
        let runs: EngineRun[];
        try {
            runs = await up(current, next);
        } finally {
            await new Promise((r) => setTimeout(r, 1500));
            await stopWriter();
        }
        current = next;
        log(what, runs);
        return check(what);
        async function check(label: string) {
            const acked = await lines(web.ip, "cat /root/ds-acked 2>/dev/null || true");
            const refused = await lines(web.ip, "cat /root/ds-refused 2>/dev/null || true");
            const primary = await appPrimary();
            const have = await tokens(primary);
            const lost = acked.filter((t) => !have.has(t));
            const longest = longestRefusal(refused.map((l) => Number(l.split(" ")[1])));
            console.log(`      rows: ${acked.length - ackedBefore} written, ${lost.length} lost (${label}; ${acked.length} in all on ${primary}; writes refused: ${refused.length} in all, longest run ${longest.toFixed(1)} s)`);
            await onHost(web.ip, "rm -f /root/ds-refused");
            ackedBefore = acked.length;
            for (const r of replicas) {
                const until = Date.now() + 30_000;
                let n = -1;
                while (Date.now() < until && n !== have.size) {
                    n = (await tokens(r)).size;
                    if (n !== have.size) await new Promise((res) => setTimeout(res, 500));
                }
                assert.strictEqual(n, have.size, `the replica ${r} agrees with the primary ${primary}`);
            }
            return { acked, lost, primary };
        }
    };
    const longestRefusal = (times: number[]) => {
        let best = 0;
        let start = times[0];
        for (let i = 1; i <= times.length; i++) {
            if (i === times.length || times[i] - times[i - 1] > 1.0) {
                best = Math.max(best, (times[i - 1] ?? start) - start + 0.1);
                start = times[i];
            }
        }
        return times.length === 0 ? 0 : best;
    };

    before(async function () {
        this.timeout(900_000);
        await bootHosts([web, db1, db2]);
        const s0 = await plan([web]);
        log("up, one host (web, app, db)", await up([], s0));
        current = s0;
        await onHost(web.ip, `mysql ${DB} -e 'CREATE TABLE ds_rows (id BIGINT AUTO_INCREMENT PRIMARY KEY, token VARCHAR(20) NOT NULL UNIQUE) ENGINE=InnoDB'`);
        await onHost(web.ip, "rm -f /root/ds-acked /root/ds-refused /root/ds-i");
    });
    after(() => destroyHosts([web, db1, db2]));

    it("a db host inserted first: the named primary stays, the new host is seeded from it; no row lost", async () => {
        const r = await change("db host inserted first", await plan([db1, web], { dbPrimary: web.name }), [db1.ip]);
        assert.deepStrictEqual(r.lost, []);
        assert.strictEqual(r.primary, web.ip);
    });

    it("the two db hosts swapped in the list: nothing moves; no row lost", async () => {
        const r = await change("db hosts swapped", await plan([web, db1], { dbPrimary: web.name }), [db1.ip]);
        assert.deepStrictEqual(r.lost, []);
        assert.strictEqual(r.primary, web.ip);
    });

    it("the db role moved from the web host to its own host, destroyData set: the rows move with it, none destroyed", async () => {
        const r = await change("db role moved off the web host", await plan([db1, webOnly], { dbPrimary: db1.name }), []);
        assert.strictEqual(r.primary, db1.ip);
        // the old primary's data directory is kept whatever destroyData says: no acknowledged row exists nowhere
        // (its server is stopped by the delete: started for the count, stopped again)
        await onHost(web.ip, "systemctl start mariadb");
        const old = await tokens(web.ip);
        await onHost(web.ip, "systemctl stop mariadb");
        const nowhere = r.lost.filter((t) => !old.has(t));
        console.log(`      (acknowledged rows not on the new primary but kept on the old one's data directory: ${r.lost.length - nowhere.length})`);
        assert.deepStrictEqual(nowhere, [], "acknowledged rows on no server");
        assert.match(await onHost(web.ip, `ls -d /var/lib/mysql/${DB} /var/backups/seed-web`), /mysq_/);
        assert.deepStrictEqual(r.lost, [], "every acknowledged row on the primary the app uses");
    });

    it("the primary swapped to the replica, the old primary kept as a db host: refused without dbReseed, no row lost; done with it", async () => {
        const add = await change("a replica added", await plan([db1, db2, webOnly], { dbPrimary: db1.name }), [db2.ip]);
        assert.deepStrictEqual(add.lost, []);
        const attempt = await plan([db1, db2, webOnly], { dbPrimary: db2.name });
        let failed: StepFailed | undefined;
        try {
            await change("primary swapped, old primary kept as a db host", attempt, []);
        } catch (e) {
            failed = e as StepFailed;
        }
        assert.ok(failed instanceof StepFailed, "the change is refused");
        // refused by whichever of the two runs first: the new primary's database step, or the application's step (it
        // never leaves a server that stays a replica without dbReseed)
        assert.match(failed.message, /ds-db2-database.*exit 4[\s\S]*refusing to become the primary|ds-web-app.*exit 4[\s\S]*refusing to switch the application to the database server 10\.200\.0\.202/);
        // the databases unchanged: every acknowledged row on the old primary, the replica still streams from it; the
        // application still on the old primary (not on the refused, read-only host)
        assert.strictEqual(await appPrimary(), db1.ip, "the application stays on the old primary");
        const acked = await lines(web.ip, "cat /root/ds-acked");
        const have = await tokens(db1.ip);
        assert.deepStrictEqual(acked.filter((t) => !have.has(t)), [], "every acknowledged row on the old primary");
        assert.match(await onHost(db2.ip, "mysql -E -e 'SHOW SLAVE STATUS' | grep -E 'Slave_(IO|SQL)_Running:'"), /IO_Running: Yes[\s\S]*SQL_Running: Yes/);
        assert.strictEqual((await onHost(db2.ip, "mysql -N -e 'SELECT @@read_only'")).trim(), "1");
        const refused = await lines(web.ip, "cat /root/ds-refused 2>/dev/null || true");
        console.log(`      rows: ${acked.length - ackedBefore} written, 0 lost (refused change; app on ${await appPrimary()}; ${refused.length} writes refused)`);
        ackedBefore = acked.length;
        await onHost(web.ip, "rm -f /root/ds-refused");
        // the way forward the error names: the old primary in dbReseed (the engine's state holds the attempt's steps
        // that completed, and the earlier version of the others)
        const state = (failed as StepFailed & { state?: PlannedCommand[] }).state;
        assert.ok(state, "up() records the state a failed update leaves");
        current = state;
        const r = await change("primary swapped, the old one in dbReseed", await plan([db1, db2, webOnly], { dbPrimary: db2.name, dbReseed: `["${db1.name}"]` }), [db1.ip]);
        assert.deepStrictEqual(r.lost, []);
        assert.strictEqual(r.primary, db2.ip);
        assert.strictEqual((await onHost(db2.ip, "mysql -N -e 'SHOW SLAVE STATUS' | wc -l")).trim(), "0", "the promoted replica stopped replicating");
    });

    it("failover: the primary stopped and removed, the replica promoted (stops replicating); failback: the old primary rebuilt and re-added", async () => {
        hosts(["stop", db2.name]);
        // `pulumi state delete` of the dead host's resources (its deletes cannot reach it): dropped from the state
        current = current.filter((p) => p.host !== db2.ip);
        const r = await change("failover: primary gone, replica promoted", await plan([db1, webOnly]), []);
        assert.strictEqual(r.primary, db1.ip);
        assert.deepStrictEqual(r.lost, []);
        assert.strictEqual((await onHost(db1.ip, "mysql -N -e 'SHOW SLAVE STATUS' | wc -l")).trim(), "0", "the promoted replica stopped replicating");
        hosts(["destroy", db2.name]);
        await bootHosts([db2]);
        const back = await change("failback: old primary rebuilt, re-added as a replica", await plan([db1, db2, webOnly], { dbPrimary: db1.name }), [db2.ip]);
        assert.deepStrictEqual(back.lost, []);
    });

    it("restore refuses a dump that names a database, an empty, truncated or table-less one: non-zero, live rows unchanged", async () => {
        const ip = await appPrimary();
        const sum = async () => (await onHost(ip, `mysql -N -e 'CHECKSUM TABLE ${DB}.ds_rows; SELECT COUNT(*) FROM ${DB}.ds_rows'`)).trim();
        const before = await sum();
        await onHost(
            ip,
            [
                `mysqldump --databases ${DB} >/root/use.sql`,
                ": >/root/empty.sql",
                `f=$(seed-web-backup); zcat "$f" | head -c 400 >/root/cut.sql`,
                `mysqldump --no-create-info ${DB} >/root/notables.sql`,
            ].join("; "),
        );
        for (const [file, why] of [["use.sql", /names a database of its own/], ["empty.sql", /is empty/], ["cut.sql", /is cut short/], ["notables.sql", /holds no CREATE TABLE/]] as const) {
            const out = await onHost(ip, `seed-web-restore --force /root/${file} ${DB} 2>&1; echo "exit=$?"`);
            assert.match(out, why, file);
            assert.doesNotMatch(out, /exit=0/, file);
        }
        assert.strictEqual(await sum(), before, "the live table unchanged");
    });

    it("GRANT escape: dbName mysq_ gives the app account its own database only, never mysql.*", async () => {
        const out = await onHost(
            web.ip,
            `php8.2 -r 'require "/etc/seed-web/app-db.php"; $db = seed_web_db(); try { $db->query("SELECT COUNT(*) FROM mysql.user"); echo "READ"; } catch (Throwable $e) { echo "refused: ", $e->getMessage(); }'`,
        );
        assert.match(out, /^refused: SELECT command denied/, out);
        const grants = await onHost(await appPrimary(), `mysql -N -e "SELECT Db FROM mysql.db WHERE User = 'app'"`);
        assert.deepStrictEqual(grants.trim().split("\n").sort(), ["mysq\\\\_"].map((g) => g), grants);
    });

    it("a new db host named dbPrimary in the same up: refused by the application's step (exit 4); no row lost, the site still on the old primary", async function () {
        this.timeout(600_000);
        const db3: TestHost = { name: "ds2-db3", ip: "10.200.0.203", roles: ["db"], rootfs: "warm" };
        await bootHosts([db3]);
        try {
            const old = await appPrimary();
            let failed: StepFailed | undefined;
            try {
                await change("a new db host named dbPrimary at once", await plan([db3, webOnly], { dbPrimary: db3.name }), []);
            } catch (e) {
                failed = e as StepFailed;
            }
            assert.ok(failed instanceof StepFailed, "the change is refused");
            assert.match(failed.message, /ds-web-app.*exit 4[\s\S]*refusing to switch the application to the database server 10\.200\.0\.203: .*current database server 10\.200\.0\.201/);
            assert.match(failed.message, /Move the database in two ups/);
            // every acknowledged row on the old primary, which the application still uses (the removed hosts'
            // deletes never ran: the update stopped at the refusal) and the site serves from
            assert.strictEqual(await appPrimary(), old);
            const acked = await lines(web.ip, "cat /root/ds-acked");
            const have = await tokens(old);
            const lost = acked.filter((t) => !have.has(t));
            const refused = await lines(web.ip, "cat /root/ds-refused 2>/dev/null || true");
            console.log(`      rows: ${acked.length - ackedBefore} written, ${lost.length} lost (refused change; app on ${old}; ${refused.length} writes refused)`);
            assert.deepStrictEqual(lost, []);
            assert.ok(acked.length > ackedBefore, "rows were written during the attempt");
            await waitForPage(web.ip, "/index.php", "www.foobar.com", "Hello from MySQL");
        } finally {
            destroyHosts([db3]);
        }
        console.log(`      [${secs()}] done`);
    });
});

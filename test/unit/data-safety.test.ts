// Issue 19, under test doubles: what keeps a live site's rows. The restore command refuses a dump that would not land
// whole in the fresh database (before it touches the server: a fake `mysql` records any call); the database step's
// decision on a replica's local database (lib/db-accounts.sh lemp_db_copy_plan); the escaped database name of every GRANT; the
// named primary (dbPrimary) and the hosts named for re-seeding (dbReseed), through the real program under mocks.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { loadConfig } from "../../lib/config";
import { SCRIPTS_DIR } from "../../lib/steps";
import { buildTopology, serverIdOf } from "../../lib/topology";
import { captureProgram, plannedCommands } from "../../tools/capture";

const LIB = path.join(SCRIPTS_DIR, "lib.sh");
const bash = (script: string, env: Record<string, string> = {}) => {
    const r = spawnSync("bash", ["-c", script], { env: { PATH: process.env.PATH, ...env }, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

const GOOD = [
    "-- MariaDB dump 10.19  Distrib 10.11.6-MariaDB",
    "/*!40101 SET NAMES utf8mb4 */;",
    "DROP TABLE IF EXISTS `greetings`;",
    "CREATE TABLE `greetings` (`id` int(11) NOT NULL, `message` varchar(255) NOT NULL, PRIMARY KEY (`id`));",
    "INSERT INTO `greetings` VALUES (1,'Hello\\nUSE mysql; CREATE DATABASE x');",
    "-- Dump completed on 2026-12-06 12:00:00",
    "",
].join("\n");

describe("data safety (under test doubles)", function () {
    this.timeout(30000);
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-data-"));
        // the restore command as backup.sh writes it: the script run with lib.sh's functions stubbed
        fs.mkdirSync(path.join(dir, "bin"));
        fs.mkdirSync(path.join(dir, "out"));
        for (const tool of ["mysql", "mysqldump"]) {
            fs.writeFileSync(path.join(dir, "bin", tool), `#!/bin/sh\necho "${tool} $*" >>"${dir}/calls"\ncat >/dev/null\nexit 1\n`, { mode: 0o755 });
        }
        const stubs = [
            "lemp_init() { :; }; lemp_os() { LEMP_DB_SERVICE=mariadb; LEMP_DB_BACKUP_OPTS=''; }; lemp_require() { :; }",
            "lemp_inputs_checked() { :; }; lemp_install_step_packages() { :; }; lemp_mkdir() { :; }; install() { :; }",
            `lemp_write_file() { cat >"${dir}/out/$(basename "$1")"; chmod 0755 "${dir}/out/$(basename "$1")"; }`,
            "lemp_has_systemd() { return 1; }; lemp_apt_install() { :; }; lemp_service_enable_start() { :; }",
            "lemp_fact() { :; }; lemp_finish() { :; }; lemp_changed() { :; }; lemp_die() { echo \"$*\" >&2; exit 1; }",
        ].join("\n");
        const r = bash(`${stubs}\n. ${JSON.stringify(path.join(SCRIPTS_DIR, "backup.sh"))}`, {
            PATH: `${dir}/bin:${process.env.PATH}`,
            LEMP_DB_NAME: "app",
            LEMP_BACKUP_DIR: dir,
        });
        assert.strictEqual(r.code, 0, r.stderr);
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    describe("seed-web-restore --force refuses, before any SQL, a dump that would not land whole in the fresh database", () => {
        const restore = (name: string, content: string | Buffer) => {
            const file = path.join(dir, name);
            fs.writeFileSync(file, name.endsWith(".gz") ? zlib.gzipSync(content) : content);
            fs.rmSync(path.join(dir, "calls"), { force: true });
            const r = bash(`${JSON.stringify(path.join(dir, "out", "seed-web-restore"))} --force ${JSON.stringify(file)} app`, { PATH: `${dir}/bin:${process.env.PATH}` });
            const calls = fs.existsSync(path.join(dir, "calls")) ? fs.readFileSync(path.join(dir, "calls"), "utf8") : "";
            return { ...r, calls };
        };
        const cases: [string, string, string | Buffer, RegExp][] = [
            ["USE (mysqldump --databases)", "use.sql", GOOD.replace("/*!40101", "USE `app`;\n/*!40101"), /names a database of its own \(line 2: USE `app`;\)/],
            ["CREATE DATABASE in a versioned comment", "create.sql.gz", GOOD.replace("/*!40101", "CREATE DATABASE /*!32312 IF NOT EXISTS*/ `app`;\n/*!40101"), /names a database of its own/],
            ["CREATE DATABASE wrapped whole in a versioned comment", "create2.sql", GOOD.replace("/*!40101", "/*!40000 create schema other */;\n/*!40101"), /names a database of its own/],
            ["DROP DATABASE", "drop.sql", GOOD.replace("/*!40101", "DROP DATABASE app;\n/*!40101"), /names a database of its own/],
            ["an empty file", "empty.sql", "", /is empty/],
            ["an empty gzip", "empty.sql.gz", "", /is empty/],
            ["blank lines only", "blank.sql", "\n\n  \n", /is empty/],
            ["a truncated dump (no '-- Dump completed')", "cut.sql.gz", GOOD.slice(0, GOOD.indexOf("INSERT") + 20), /is cut short/],
            ["a dump without tables", "notables.sql", "-- MariaDB dump\n/*!40101 SET NAMES utf8mb4 */;\n-- Dump completed on 2026-12-06\n", /holds no CREATE TABLE/],
        ];
        for (const [what, name, content, message] of cases) {
            it(`${what}: non-zero exit, the reason named, the server never asked`, () => {
                const r = restore(name, content);
                assert.notStrictEqual(r.code, 0, r.stderr);
                assert.match(r.stderr, message);
                assert.match(r.stderr, /Nothing changed/);
                assert.strictEqual(r.calls, "", "no mysql/mysqldump call");
            });
        }
        it("a whole dump (a USE and CREATE DATABASE only inside a row's text) passes the check and goes on to the server", () => {
            for (const name of ["good.sql", "good.sql.gz"]) {
                const r = restore(name, GOOD);
                assert.match(r.stderr, /cannot reach the database server/, "the fake server refuses: the check let it through");
                assert.match(r.calls, /^mysql /);
            }
        });
    });

    describe("destroyData: a delete removes a replica's data directory, never the primary's rows nor the dumps", () => {
        const undo = (step: string, env: Record<string, string>) => {
            const stubs = [
                "lemp_init() { :; }; lemp_undo_begin() { :; }; lemp_os() { LEMP_DB_SERVICE=mariadb; LEMP_DB_CONF_DIR=/x; LEMP_DB_PACKAGE=mariadb-server; }",
                "lemp_require() { :; }; lemp_inputs_checked() { :; }; lemp_undo_live() { return 0; }; lemp_undo_end() { :; }",
                "lemp_service_disable_stop() { :; }; lemp_has_systemd() { return 1; }; lemp_purge_packages() { :; }; lemp_log() { echo \"$*\" >&2; }",
                'lemp_remove() { echo "remove $1"; }; lemp_remove_tree() { echo "remove-tree $1"; }; LEMP_STATE_DIR=/var/lib/seed-web',
            ].join("\n");
            return bash(`${stubs}\n. ${JSON.stringify(path.join(SCRIPTS_DIR, "undo", `${step}.sh`))}`, { LEMP_DB_NAME: "app", ...env });
        };
        for (const role of ["standalone", "primary"]) {
            it(`${role}: /var/lib/mysql stays with destroyData`, () => {
                const r = undo("database", { LEMP_DESTROY_DATA: "1", LEMP_DB_ROLE: role });
                assert.strictEqual(r.code, 0, r.stderr);
                assert.doesNotMatch(r.stdout, /remove-tree \/var\/lib\/mysql/);
            });
        }
        it("replica: /var/lib/mysql goes with destroyData, stays without", () => {
            assert.match(undo("database", { LEMP_DESTROY_DATA: "1", LEMP_DB_ROLE: "replica" }).stdout, /remove-tree \/var\/lib\/mysql/);
            assert.doesNotMatch(undo("database", { LEMP_DESTROY_DATA: "0", LEMP_DB_ROLE: "replica" }).stdout, /remove-tree \/var\/lib\/mysql/);
        });
        // lemp_app_remove (lib/releases.sh), the undo of the stage and release steps, on a real tree: the releases and
        // the links go; the shared paths (the owner's uploads) only with destroyData; what else the directory holds,
        // and anything beside it, never
        it("the application's undo: releases and current removed; shared only with destroyData; nothing else in or beside the base", () => {
            for (const destroy of ["0", "1"]) {
                const root = fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-app-"));
                try {
                    const base = path.join(root, "foobar.com-app");
                    const id = "0123456789abcdef0123";
                    fs.mkdirSync(path.join(base, "releases", id), { recursive: true });
                    fs.writeFileSync(path.join(base, "releases", id, "index.php"), "<?php");
                    fs.mkdirSync(path.join(base, "shared", "storage"), { recursive: true });
                    fs.writeFileSync(path.join(base, "shared", "storage", "upload.jpg"), "the owner's");
                    fs.symlinkSync(`releases/${id}`, path.join(base, "current"));
                    fs.writeFileSync(path.join(base, ".previous"), id);
                    fs.writeFileSync(path.join(base, "notes.txt"), "the administrator's own");
                    fs.mkdirSync(path.join(root, "releases"));
                    fs.mkdirSync(path.join(root, "shared"));
                    const r = bash(`. ${JSON.stringify(LIB)}\nLEMP_STEP=t LEMP_CHANGED=0\nlemp_app_remove ${JSON.stringify(base)}`, { LEMP_DESTROY_DATA: destroy });
                    assert.strictEqual(r.code, 0, r.stderr);
                    const left = fs.readdirSync(base).sort();
                    assert.deepStrictEqual(left, destroy === "1" ? ["notes.txt"] : ["notes.txt", "shared"], `destroyData ${destroy}`);
                    if (destroy === "0") {
                        assert.strictEqual(fs.readFileSync(path.join(base, "shared", "storage", "upload.jpg"), "utf8"), "the owner's");
                        assert.match(r.stderr, /kept: .*\/shared/);
                    }
                    assert.deepStrictEqual(fs.readdirSync(root).sort(), ["foobar.com-app", "releases", "shared"], "beside the base: untouched");
                } finally {
                    fs.rmSync(root, { recursive: true, force: true });
                }
            }
        });

        it("backup: the dumps stay with destroyData", () => {
            const r = undo("backup", { LEMP_DESTROY_DATA: "1", LEMP_BACKUP_DIR: "/var/backups/seed-web" });
            assert.strictEqual(r.code, 0, r.stderr);
            assert.doesNotMatch(r.stdout, /remove-tree \/var\/backups/);
            assert.match(r.stderr, /kept the dumps/);
        });
    });

    describe("lemp_db_copy_plan: a replica's local database is dropped only for a copy cut short or a host named for re-seeding", () => {
        const plan = (hasDb: number, done: string, started: number, reseed: number) =>
            bash(`. ${JSON.stringify(LIB)}\nlemp_db_copy_plan ${hasDb} '${done}' '10.0.0.1:3306/app' ${started} ${reseed}`).stdout.trim();
        it("keeps a done copy from this primary (even when named for re-seeding: once is enough)", () => {
            assert.strictEqual(plan(1, "10.0.0.1:3306/app", 0, 0), "keep");
            assert.strictEqual(plan(1, "10.0.0.1:3306/app", 0, 1), "keep");
        });
        it("copies into an empty server", () => assert.strictEqual(plan(0, "", 0, 0), "copy"));
        it("redoes a copy cut short (started, never done)", () => assert.strictEqual(plan(1, "", 1, 0), "redo"));
        it("re-seeds a host named in dbReseed", () => assert.strictEqual(plan(1, "", 0, 1), "reseed"));
        it("refuses a database it did not copy: a former primary or standalone, a copy from another primary", () => {
            assert.strictEqual(plan(1, "", 0, 0), "refuse");
            assert.strictEqual(plan(1, "10.0.0.9:3306/app", 0, 0), "refuse");
        });
    });

    describe("GRANTs name the database with '_' and '%' escaped", () => {
        const grant = (name: string) => bash(`. ${JSON.stringify(LIB)}\nlemp_sql_grant_db '${name}'; echo; lemp_sql_db_pattern '${name}'`).stdout.split("\n");
        it("mysq_ and my_app are not patterns any more; app is unchanged", () => {
            assert.deepStrictEqual(grant("mysq_").slice(0, 2), ["`mysq\\_`", "mysq\\_"]);
            assert.deepStrictEqual(grant("my_app").slice(0, 2), ["`my\\_app`", "my\\_app"]);
            assert.deepStrictEqual(grant("app").slice(0, 2), ["`app`", "app"]);
        });
        it("every GRANT ... ON <db>.* in the scripts goes through lemp_sql_grant_db", () => {
            const library = fs.readdirSync(path.join(SCRIPTS_DIR, "lib")).filter((f) => f.endsWith(".sh")).map((f) => `lib/${f}`);
            assert.ok(library.includes("lib/db-accounts.sh"), library.join(" "));
            for (const file of ["database.sh", ...library, "replication.sh"]) {
                const text = fs.readFileSync(path.join(SCRIPTS_DIR, file), "utf8");
                for (const line of text.split("\n").filter((l) => /GRANT [^"]* ON \$/.test(l) && !/^\s*#/.test(l))) {
                    assert.match(line, /ON \$(grant_db|\(lemp_sql_grant_db )/, `${file}: ${line.trim()}`);
                }
            }
        });
    });

    describe("the primary is named (dbPrimary), never implied by the list's order", () => {
        const host = (name: string, roles: string[], ip: string) => ({ name, roles, connection: { type: "ssh", address: ip } });
        const web = host("web-01", ["web", "app"], "10.0.0.2");
        const a = host("db-a", ["db"], "10.0.0.3");
        const b = host("db-b", ["db"], "10.0.0.4");
        const cfg = (list: unknown[], extra: Record<string, string> = {}) => loadConfig({ hosts: JSON.stringify(list), sshPrivateKey: "K", ...extra });
        it("is required with two or more db hosts, and must name a db host; errors name the key", () => {
            assert.throws(() => cfg([web, a, b]), /seed-web:dbPrimary = "": required with two or more db hosts \(db-a, db-b\)/);
            assert.throws(() => cfg([web, a, b], { dbPrimary: "web-01" }), /seed-web:dbPrimary = "web-01": expected the name of a host with the db role/);
            assert.strictEqual(cfg([web, a]).db.primary, "db-a");
        });
        it("a db host inserted first, or the list reordered, leaves the primary and every server id as they were", () => {
            const roles = (list: unknown[]) =>
                buildTopology(cfg(list, { dbPrimary: "db-a" }))
                    .hosts.filter((h) => h.database)
                    .map((h) => [h.name, h.database!.role, h.database!.serverId])
                    .sort();
            const want = [["db-a", "primary", serverIdOf("db-a")], ["db-b", "replica", serverIdOf("db-b")]];
            assert.deepStrictEqual(roles([web, a, b]), want);
            assert.deepStrictEqual(roles([web, b, a]), want);
            assert.notStrictEqual(serverIdOf("db-a"), serverIdOf("db-b"));
        });
        it("dbReseed: db hosts other than the primary; reaches only that host's database step (LEMP_DB_RESEED=1)", async () => {
            assert.throws(() => cfg([web, a, b], { dbPrimary: "db-a", dbReseed: '["db-a"]' }), /seed-web:dbReseed\[0\] = "db-a": the primary holds the live data/);
            assert.throws(() => cfg([web, a, b], { dbPrimary: "db-a", dbReseed: '["web-01"]' }), /seed-web:dbReseed\[0\] = "web-01": expected the name of a db host/);
            assert.throws(() => cfg([web, a, b], { dbPrimary: "db-a", dbReseed: '"db-b"' }), /seed-web:dbReseed = "db-b": expected a list/);
            const capture = await captureProgram({ raw: { hosts: JSON.stringify([web, b, a]), dbPrimary: "db-a", dbReseed: '["db-b"]' }, secrets: { sshPrivateKey: "K" } });
            const plans = plannedCommands(capture);
            const step = (n: string) => plans.find((p) => p.name === n)!;
            assert.match(step("db-b-database").create, /LEMP_DB_RESEED='1'/);
            assert.doesNotMatch(step("db-a-database").create, /LEMP_DB_RESEED='/);
            assert.match(step("db-a-database").create, /LEMP_DB_ROLE='primary'/);
            // the primary's step first, though listed last: the replica copies from it
            assert.ok(step("db-b-database").after.includes("db-a-database"), step("db-b-database").after.join(", "));
        });
    });
    describe("the application never switches to a database server lacking the current one's data, nor away from one that stays a replica", () => {
        // lemp_db_switch_report's lines (what PHP reads with the application's account) for a current server on
        // 10.0.0.3 that holds the site's rows
        const OLD = ["old host 10.0.0.3", "old read_only 0", "old table 1 ds_rows", "old table 1 greetings"];
        const EMPTY_NEW = ["new read_only 0", "new table 1 greetings"];   // a new primary made in the same up
        const REPLICA = ["new read_only 1", "new table 1 ds_rows", "new table 1 greetings"];   // a copy, replicating
        const refusal = (report: string[], kept = "", to = "10.0.0.5") =>
            bash(`. ${JSON.stringify(LIB)}\nprintf '%s\\n' "$REPORT" | lemp_db_switch_refusal ${to} '${kept}'`, { REPORT: report.join("\n") }).stdout.trim();
        it("refuses a new primary that lacks a table, or the rows of a table, the current server holds, and names the two-up move", () => {
            const r = refusal([...OLD, ...EMPTY_NEW]);
            assert.match(r, /^10\.0\.0\.5 lacks the table ds_rows that the current database server 10\.0\.0\.3 holds/);
            assert.match(r, /Move the database in two ups .*then name it dbPrimary/);
            assert.match(refusal([...OLD, "new read_only 0", "new table 0 ds_rows", "new table 1 greetings"]), /holds no row of the table ds_rows/);
            assert.match(refusal([...OLD, "new nodb"]), /10\.0\.0\.5 has no database while the current database server 10\.0\.0\.3 holds 2 table\(s\)/);
            assert.match(refusal([...OLD, "new unreachable"]), /10\.0\.0\.5 does not answer .* while the current database server 10\.0\.0\.3 does/);
        });
        it("lets the switch go to a copy of the current server (the move's second up), after a failover, at the first up, to the same host", () => {
            assert.strictEqual(refusal([...OLD, ...REPLICA]), "");
            assert.strictEqual(refusal(["old host 10.0.0.3", "old unreachable", ...EMPTY_NEW]), "", "the old primary is gone: nothing to compare");
            assert.strictEqual(refusal(["old host localhost", "old read_only 0", "old table 1 ds_rows", "new denied"]), "", "a replica without the account yet");
            assert.strictEqual(refusal(["old none"]), "");
            assert.strictEqual(refusal(["old host 10.0.0.5"]), "");
            assert.strictEqual(refusal(["old host localhost", "old read_only 0", "old table 1 greetings", ...REPLICA]), "");
        });
        it("refuses to leave a current server that stays a replica (not in dbReseed), even for a full copy; localhost is this host", () => {
            assert.match(refusal([...OLD, ...REPLICA], "10.0.0.4 10.0.0.3"), /the current database server 10\.0\.0\.3 stays a db host as a replica of 10\.0\.0\.5, .*Name it in dbReseed/);
            assert.match(refusal(["old host localhost", "old read_only 0", ...REPLICA], "localhost"), /current database server localhost stays a db host/);
            assert.strictEqual(refusal([...OLD, ...REPLICA], "10.0.0.4"), "");
        });

        // app.sh itself, with lib.sh's file and service helpers stubbed and a fake `php` that prints the report
        const app = (report: string[], env: Record<string, string> = {}) => {
            const bin = path.join(dir, "appbin");
            fs.mkdirSync(bin, { recursive: true });
            fs.writeFileSync(path.join(dir, "report"), report.join("\n") + "\n");
            fs.writeFileSync(path.join(bin, "php"), `#!/bin/sh\necho "$*" >"${dir}/php-args"\ncat >"${dir}/php-stdin"\ncat "${dir}/report"\n`, { mode: 0o755 });
            for (const f of ["writes", "php-args", "php-stdin"]) fs.rmSync(path.join(dir, f), { force: true });
            const stubs = [
                `. ${JSON.stringify(LIB)}`,
                "lemp_init() { :; }; lemp_os() { LEMP_DB_SOCKET=/run/mysqld/mysqld.sock; LEMP_PHP_VERSION=x; }; getent() { :; }",
                `lemp_write_file() { echo "$1" >>"${dir}/writes"; cat >/dev/null; }; lemp_mkdir() { :; }; lemp_remove() { :; }; lemp_finish() { :; }`,
            ].join("\n");
            const r = spawnSync("bash", ["-c", `${stubs}\n. ${JSON.stringify(path.join(SCRIPTS_DIR, "app.sh"))}`], {
                env: { PATH: `${bin}:${process.env.PATH}`, LEMP_DOC_ROOT: "/var/www/x", LEMP_DB_HOST: "10.0.0.5", LEMP_DB_NAME: "app", LEMP_DB_USER: "app", ...env },
                input: "s3cret-pw\n",
                encoding: "utf8",
            });
            const writes = fs.existsSync(path.join(dir, "writes")) ? fs.readFileSync(path.join(dir, "writes"), "utf8") : "";
            const read = (f: string) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), "utf8") : "");
            return { code: r.status, stderr: r.stderr, writes, args: read("php-args"), stdin: read("php-stdin") };
        };
        it("app.sh: a new primary that lacks the rows: exit 4 (as the database steps' refusals), the host named, nothing written", () => {
            const r = app([...OLD, ...EMPTY_NEW]);
            assert.strictEqual(r.code, 4, r.stderr);
            assert.match(r.stderr, /refusing to switch the application to the database server 10\.0\.0\.5: 10\.0\.0\.5 lacks the table ds_rows/);
            assert.match(r.stderr, /Nothing changed: the site stays on its current database server/);
            assert.strictEqual(r.writes, "", "no file written (app-db.ini still names the current server)");
            assert.doesNotMatch(r.args, /s3cret/, "the password is not on the command line");
            assert.strictEqual(r.stdin, "s3cret-pw\n", "the password goes to the check on stdin");
        });
        it("app.sh: the current server stays a replica (LEMP_DB_REPLICAS_KEPT): exit 4, nothing written; a copy of a server that goes: switched", () => {
            const kept = app([...OLD, ...REPLICA], { LEMP_DB_REPLICAS_KEPT: "10.0.0.3" });
            assert.strictEqual(kept.code, 4, kept.stderr);
            assert.strictEqual(kept.writes, "");
            const ok = app([...OLD, ...REPLICA]);
            assert.strictEqual(ok.code, 0, ok.stderr);
            assert.match(ok.writes, /\/etc\/seed-web\/app-db\.ini/);
        });
        it("the program tells each application step which db hosts stay replicas without dbReseed ('localhost': its own)", async () => {
            const host = (name: string, roles: string[], ip: string) => ({ name, roles, connection: { type: "ssh", address: ip } });
            const env = async (list: unknown[], extra: Record<string, string>) => {
                const plans = plannedCommands(await captureProgram({ raw: { hosts: JSON.stringify(list), ...extra }, secrets: { sshPrivateKey: "K" } }));
                return Object.fromEntries(plans.filter((p) => p.name.endsWith("-app")).map((p) => [p.name, /LEMP_DB_REPLICAS_KEPT='([^']*)'/.exec(p.create)?.[1]]));
            };
            const web = host("web-01", ["web", "app", "db"], "10.0.0.2");
            const a = host("db-a", ["db"], "10.0.0.3");
            assert.deepStrictEqual(await env([web, a], { dbPrimary: "db-a" }), { "web-01-app": "localhost" });
            assert.deepStrictEqual(await env([web, a], { dbPrimary: "web-01" }), { "web-01-app": "10.0.0.3" });
            assert.deepStrictEqual(await env([web, a], { dbPrimary: "db-a", dbReseed: '["web-01"]' }), { "web-01-app": undefined });
            assert.deepStrictEqual(await env([web], {}), { "web-01-app": undefined });
        });
    });
    describe("promotion (failover, the move's second up): the statements each engine is sent (database.sh under test doubles)", () => {
        // database.sh as a primary whose server still has a replication channel, with a fake `mysql` that records the
        // SQL and answers the status query; the step is stopped right after the promotion (at the serving profile)
        const promote = (engine: "mysql" | "mariadb", io: "Yes" | "No") => {
            const [src, rep] = engine === "mysql" ? ["Source", "Replica"] : ["Master", "Slave"];
            const bin = path.join(dir, "promobin");
            fs.mkdirSync(bin, { recursive: true });
            fs.mkdirSync(path.join(dir, "state"), { recursive: true });
            fs.writeFileSync(path.join(dir, "state", "replica-copy.done"), "10.0.0.3:3306/app\n");
            const status = [
                "*************************** 1. row ***************************",
                `${src}_Host: 10.0.0.3`, `${src}_Port: 3306`, `${src}_User: repl`,
                `${rep}_IO_Running: ${io}`, `${rep}_SQL_Running: Yes`,
                `${src}_Log_File: mysql-bin.000002`, `Read_${src}_Log_Pos: 900`,
                `Relay_${src}_Log_File: mysql-bin.000002`, `Exec_${src}_Log_Pos: 900`, "Last_SQL_Error: ",
            ].map((l, i) => (i === 0 ? l : `  ${l}`)).join("\n");
            fs.writeFileSync(path.join(dir, "status"), status + "\n");
            fs.writeFileSync(
                path.join(bin, "mysql"),
                `#!/bin/sh\nsql=$(cat)\necho "$sql" >>"${dir}/sql"\ncase "$sql" in *"SHOW ${rep.toUpperCase()} STATUS"*) [ -f "${dir}/reset" ] || cat "${dir}/status" ;; *"RESET ${rep.toUpperCase()} ALL"*) touch "${dir}/reset" ;; "SELECT 1"*) echo 1 ;; esac\n`,
                { mode: 0o755 },
            );
            for (const f of ["sql", "reset"]) fs.rmSync(path.join(dir, f), { force: true });
            const stubs = [
                `. ${JSON.stringify(LIB)}`,
                `lemp_init() { :; }; lemp_os() { lemp_db_engine ${engine}; }; LEMP_STATE_DIR=${JSON.stringify(path.join(dir, "state"))}`,
                "lemp_before_first() { return 1; }; lemp_install_step_packages() { :; }; lemp_mkdir() { :; }",
                "lemp_tune() { echo 'stopped after the promotion' >&2; exit 0; }",
            ].join("\n");
            const r = spawnSync("bash", ["-c", `${stubs}\n. ${JSON.stringify(path.join(SCRIPTS_DIR, "database.sh"))}`], {
                env: { PATH: `${bin}:${process.env.PATH}`, LEMP_DB_NAME: "app", LEMP_DB_USER: "app", LEMP_DB_ROLE: "standalone", LEMP_DB_ENGINE: engine },
                input: "app-pw\n",
                encoding: "utf8",
            });
            const sql = fs.existsSync(path.join(dir, "sql")) ? fs.readFileSync(path.join(dir, "sql"), "utf8") : "";
            return { code: r.status, stderr: r.stderr, sql, marker: fs.existsSync(path.join(dir, "state", "replica-copy.done")) };
        };
        for (const [engine, stop, reset] of [["mysql", "STOP REPLICA", "RESET REPLICA ALL"], ["mariadb", "STOP SLAVE", "RESET SLAVE ALL"]] as const) {
            it(`${engine}: the primary gone (I/O thread down): ${stop} IO_THREAD, everything received applied, then ${stop}; ${reset}; the copy markers removed`, () => {
                const r = promote(engine, "No");
                assert.match(r.stderr, /stopped after the promotion/, r.stderr);
                assert.strictEqual(r.code, 0, r.stderr);
                assert.match(r.stderr, /promoted to standalone: stopped replicating from 10\.0\.0\.3:3306 \(everything received applied\) and removed the channel/);
                const stmts = r.sql.split("\n").filter((l) => /STOP|RESET|START/.test(l));
                assert.deepStrictEqual(stmts, [`${stop} IO_THREAD`, `${stop}; ${reset}`]);
                assert.strictEqual(r.marker, false, "replica-copy.done removed: this server is a primary now");
            });
        }
        it("mysql: the old primary still answering (a planned switch): waits until it is quiet (3 s), then the same statements", () => {
            const r = promote("mysql", "Yes");
            assert.strictEqual(r.code, 0, r.stderr);
            assert.deepStrictEqual(r.sql.split("\n").filter((l) => /STOP|RESET|START/.test(l)), ["STOP REPLICA IO_THREAD", "STOP REPLICA; RESET REPLICA ALL"]);
            assert.ok(r.sql.split("\n").filter((l) => l === "SHOW REPLICA STATUS;").length >= 7, "the status read until 6 quiet reads in a row");
        });
    });
});

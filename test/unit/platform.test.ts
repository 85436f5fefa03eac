// scripts/platform.sh, the release data the steps, the undo scripts and verify's probe read, run by bash on the
// os-release files and package versions of every supported release (test/fixtures/releases/: Ubuntu's copied from the
// public sources cited there, which cannot be booted here; Debian's read on the test hosts).

import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR } from "../../lib/root";
import { SCRIPTS_DIR } from "../../lib/steps";

const FIXTURES = path.join(PROJECT_DIR, "test", "fixtures", "releases");
interface Release {
    booted: boolean;
    osRelease: string;
    packages: Record<string, string>;
    sources: { what: string; where: string; seen: string }[];
}
const RELEASES: Record<string, Release> = Object.fromEntries(
    Object.entries(JSON.parse(fs.readFileSync(path.join(FIXTURES, "releases.json"), "utf8")) as Record<string, unknown>).filter(([k]) => !k.startsWith("$")),
) as Record<string, Release>;
const STEPS_WITH_PACKAGES = ["base", "firewall", "php", "nginx", "database", "lb", "certbot", "monitoring", "backup"];

interface Run {
    code: number;
    out: string;
    err: string;
}

/**
 * Runs each body (bash, after platform.sh and lib.sh, as a step gets them) in a subshell of ONE bash (process start-up
 * is most of the time), with LEMP_OS_RELEASE = the release's fixture and LEMP_DB_ENGINE as given (undefined: unset).
 */
function runAll(cases: { release: string; engine?: string; body: string }[]): Run[] {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-platform-"));
    try {
        const script = cases
            .map(({ release, engine, body }, i) => {
                const file = RELEASES[release] ? path.join(FIXTURES, RELEASES[release].osRelease) : path.join(dir, `${release}.os-release`);
                return `( ${engine === undefined ? "unset LEMP_DB_ENGINE" : `export LEMP_DB_ENGINE=${engine}`}; export LEMP_OS_RELEASE=${JSON.stringify(file)}; ` +
                    `. ${JSON.stringify(path.join(SCRIPTS_DIR, "platform.sh"))}; . ${JSON.stringify(path.join(SCRIPTS_DIR, "lib.sh"))}; ${body}` +
                    ` ) >${dir}/${i}.out 2>${dir}/${i}.err; echo $? >${dir}/${i}.rc`;
            })
            .join("\n");
        fs.writeFileSync(path.join(dir, "debian-11.os-release"), 'PRETTY_NAME="Debian GNU/Linux 11 (bullseye)"\nVERSION_ID="11"\nID=debian\n');
        fs.writeFileSync(path.join(dir, "ubuntu-25.10.os-release"), 'PRETTY_NAME="Ubuntu 25.10"\nVERSION_ID="25.10"\nID=ubuntu\n');
        const r = spawnSync("bash", ["-c", script], { env: { PATH: process.env.PATH ?? "" }, encoding: "utf8" });
        assert.strictEqual(r.status, 0, r.stderr);
        return cases.map((_, i) => {
            const read = (ext: string) => fs.readFileSync(path.join(dir, `${i}.${ext}`), "utf8").trim();
            return { code: Number(read("rc")), out: read("out"), err: read("err") };
        });
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** What a step reads after lemp_os: KEY=value lines. */
const SHOW = 'lemp_os; for s in ' + STEPS_WITH_PACKAGES.join(" ") + '; do echo "pkg_$s=$(lemp_step_packages $s)"; done; ' +
    'for v in LEMP_OS_ID LEMP_OS_VERSION LEMP_DB_ENGINE LEMP_DB_ENGINES LEMP_DB_SERVICE LEMP_DB_PACKAGE LEMP_PHP_VERSION LEMP_PHP_FPM_SERVICE LEMP_PHP_SOCKET LEMP_NGINX_VERSION LEMP_DB_VERSIONS LEMP_DB_AUTH_PLUGIN LEMP_DB_REPLICA_STATUS LEMP_DB_REPLICA_PREPARE; do echo "$v=${!v}"; done';
const kv = (out: string) => Object.fromEntries(out.split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
/** "1:10.11.14-0ubuntu0.24.04.1" → "10.11"; "9" → "9". */
const majorMinor = (v: string) => /^(?:\d+:)?(\d+(?:\.\d+)?)/.exec(v)![1];

describe("the release data (scripts/platform.sh) on every supported release", function () {
    this.timeout(60000);
    const releases = Object.keys(RELEASES);
    const engines = ["auto", "mysql", "mariadb"];
    let seen: Map<string, Run>;
    let misc: Run[];
    before(() => {
        const cases = releases.flatMap((release) => engines.map((engine) => ({ release, engine, body: SHOW })));
        const runs = runAll(cases);
        seen = new Map(cases.map((c, i) => [`${c.release} ${c.engine}`, runs[i]]));
        misc = runAll([
            { release: "debian-11", engine: "auto", body: "lemp_os" },
            { release: "ubuntu-25.10", engine: "auto", body: "lemp_os" },
            { release: "ubuntu-24.04", engine: "postgres", body: "lemp_os" },
            { release: "ubuntu-24.04", engine: undefined, body: 'lemp_os; echo "$LEMP_DB_ENGINE"' },
            { release: "debian-13", engine: "auto", body: "lemp_db_engine postgres" },
            { release: "debian-13", engine: "auto", body: "lemp_os; lemp_step_packages mail" },
        ]);
    });

    it("has a fixture for every release platform.sh accepts, and cites a source and a date for each", () => {
        const accepted = runAll([{ release: "debian-12", body: 'echo "$LEMP_OS_RELEASES"' }])[0].out.split(" ").sort();
        assert.deepStrictEqual(releases.sort(), accepted);
        for (const [name, r] of Object.entries(RELEASES)) {
            assert.ok(r.sources.length > 0, name);
            for (const s of r.sources) assert.match(s.seen, /^\d{4}-\d{2}-\d{2}$/, `${name}: ${s.what}`);
            if (!r.booted) assert.ok(r.sources.some((s) => /os-release/.test(s.what)), `${name}: the os-release file's source`);
        }
    });

    for (const release of ["ubuntu-22.04", "ubuntu-24.04", "ubuntu-26.04", "debian-12", "debian-13", "debian-unstable"]) {
        it(`${release}: each engine its archive has gives that release's packages and services; the others are refused naming what it has`, () => {
            const fixture = RELEASES[release];
            const pkgs = Object.keys(fixture.packages);
            const auto = kv(seen.get(`${release} auto`)!.out);
            assert.strictEqual(`${auto.LEMP_OS_ID}-${auto.LEMP_OS_VERSION}`, release);
            // PHP: the release's own php<V>-fpm package, its unit and socket
            const php = pkgs.find((p) => /^php\d+\.\d+-fpm$/.test(p))!;
            assert.strictEqual(auto.LEMP_PHP_VERSION, majorMinor(fixture.packages[php]));
            assert.strictEqual(`${auto.LEMP_PHP_VERSION}-fpm`, php.slice(3));
            assert.strictEqual(auto.pkg_php, `php${auto.LEMP_PHP_VERSION}-fpm php${auto.LEMP_PHP_VERSION}-mysql`);
            assert.strictEqual(auto.LEMP_PHP_FPM_SERVICE, `php${auto.LEMP_PHP_VERSION}-fpm`);
            assert.strictEqual(auto.LEMP_PHP_SOCKET, `/run/php/php${auto.LEMP_PHP_VERSION}-fpm.sock`);
            assert.strictEqual(auto.LEMP_NGINX_VERSION, majorMinor(fixture.packages.nginx));
            assert.strictEqual(auto.pkg_nginx, "nginx");
            // the engines: those with a server package in the fixture, each with its package, unit and version
            const has = ["mysql", "mariadb"].filter((e) => pkgs.some((p) => p.startsWith(`${e}-server`)));
            assert.deepStrictEqual(auto.LEMP_DB_ENGINES.split(" ").sort(), [...has].sort());
            const versions = Object.fromEntries(auto.LEMP_DB_VERSIONS.split(" ").map((p) => p.split("=")));
            for (const engine of ["mysql", "mariadb"]) {
                const run = seen.get(`${release} ${engine}`)!;
                if (!has.includes(engine)) {
                    assert.strictEqual(run.code, 3, run.err);
                    assert.match(run.err, new RegExp(`LEMP_DB_ENGINE=${engine}: .*'s archive has no ${engine} server \\(it has: ${auto.LEMP_DB_ENGINES}\\)`));
                    continue;
                }
                assert.strictEqual(run.code, 0, run.err);
                const got = kv(run.out);
                const server = pkgs.find((p) => p.startsWith(`${engine}-server`))!;
                assert.strictEqual(versions[engine], majorMinor(fixture.packages[server]), `${release} ${engine} version`);
                assert.deepStrictEqual(
                    [got.LEMP_DB_ENGINE, got.pkg_database, got.LEMP_DB_SERVICE, got.LEMP_DB_AUTH_PLUGIN],
                    engine === "mysql" ? ["mysql", "mysql-server", "mysql", "caching_sha2_password"] : ["mariadb", "mariadb-server", "mariadb", "mysql_native_password"],
                );
                assert.strictEqual(got.LEMP_PHP_VERSION, auto.LEMP_PHP_VERSION);
            }
            for (const step of STEPS_WITH_PACKAGES) assert.notStrictEqual(auto[`pkg_${step}`], "", `${release}: no packages for ${step}`);
        });
    }

    it("auto is the release's default engine: MySQL on Ubuntu (8.0 on 22.04 and 24.04, 8.4 LTS on 26.04), MariaDB on Debian 12 and 13", () => {
        const auto = (r: string) => kv(seen.get(`${r} auto`)!.out).LEMP_DB_ENGINE;
        assert.deepStrictEqual(releases.map((r) => `${r} ${auto(r)}`).sort(), [
            "debian-12 mariadb", "debian-13 mariadb", "debian-unstable mariadb", "ubuntu-22.04 mysql", "ubuntu-24.04 mysql", "ubuntu-26.04 mysql",
        ]);
        assert.strictEqual(misc[3].out, "mysql", "LEMP_DB_ENGINE unset = auto");
        assert.match(kv(seen.get("ubuntu-26.04 auto")!.out).LEMP_DB_VERSIONS, /mysql=8\.4/);
    });

    it("an unknown release, engine or step gets a clear error listing the supported ones", () => {
        for (const r of [misc[0], misc[1]]) {
            assert.strictEqual(r.code, 3);
            assert.match(r.err, /unsupported OS: (Debian GNU\/Linux 11 \(bullseye\)|Ubuntu 25\.10); expected Ubuntu 22\.04, 24\.04 or 26\.04, or Debian 12 or 13/);
        }
        assert.strictEqual(misc[2].code, 1);
        assert.match(misc[2].err, /LEMP_DB_ENGINE must be auto, mysql or mariadb \(got 'postgres'\)/);
        assert.strictEqual(misc[4].code, 1);
        assert.match(misc[4].err, /unknown database engine 'postgres': expected one of: mysql mariadb/);
        assert.match(misc[5].err, /no packages known for step 'mail'/);
    });
});

describe("statements chosen by the server's version (lemp_db_version_sql)", () => {
    const versions = ["8.0.45-0ubuntu0.24.04.1", "8.0.22", "8.1.0", "8.4.11-0ubuntu0.26.04.1", "9.7.0-1", "nonsense"];
    let mysql: Run[];
    let mariadb: Run[];
    before(function () {
        this.timeout(60000);
        const body = (v: string) => `lemp_os; lemp_db_version_sql ${JSON.stringify(v)}; echo "$LEMP_DB_REPLICA_PREPARE|$LEMP_DB_REPLICA_STATUS|$LEMP_DB_START_REPLICA|$LEMP_DB_SERVER_VERSION"`;
        mysql = runAll(versions.map((v) => ({ release: "ubuntu-24.04", engine: "mysql", body: body(v) })));
        mariadb = runAll(["10.6.22-MariaDB-0ubuntu0.22.04.1", "11.8.6-MariaDB-0+deb13u1"].map((v) => ({ release: "ubuntu-26.04", engine: "mariadb", body: body(v) })));
    });

    it("MySQL: RESET MASTER on 8.0 and 8.1, RESET BINARY LOGS AND GTIDS from 8.2 (8.4 LTS, 9.x); the replica statements of 8.0.23+ everywhere", () => {
        assert.deepStrictEqual(mysql.map((r) => r.out), [
            "RESET MASTER|SHOW REPLICA STATUS|START REPLICA|8.0.45",
            "",
            "RESET MASTER|SHOW REPLICA STATUS|START REPLICA|8.1.0",
            "RESET BINARY LOGS AND GTIDS|SHOW REPLICA STATUS|START REPLICA|8.4.11",
            "RESET BINARY LOGS AND GTIDS|SHOW REPLICA STATUS|START REPLICA|9.7.0",
            "",
        ]);
        assert.match(mysql[1].err, /MySQL 8\.0\.22 is older than 8\.0\.23/);
        assert.match(mysql[5].err, /cannot read the server version 'nonsense'/);
    });

    it("MariaDB: its master/slave statements on every version", () => {
        assert.deepStrictEqual(mariadb.map((r) => r.out), ["RESET SLAVE ALL|SHOW SLAVE STATUS|START SLAVE|10.6.22", "RESET SLAVE ALL|SHOW SLAVE STATUS|START SLAVE|11.8.6"]);
    });
});

describe("firewall.sh and sshd started by socket activation (ssh.socket, Ubuntu 24.04+)", () => {
    /** firewall.sh run by hand with LEMP_CHECK_ONLY=1 over an SSH connection to `port`, `ss` and `systemctl` stubbed. */
    const check = (port: number, ss: string, socketListen: string | undefined) => {
        const stubs = `
            ss() { printf '%s\\n' ${JSON.stringify(ss)}; }
            systemctl() {
                case "$*" in
                    "is-active ssh.socket") ${socketListen === undefined ? "echo inactive; return 3" : "echo active"} ;;
                    "show -p Listen ssh.socket") printf 'Listen=%s\\n' ${JSON.stringify(socketListen ?? "")} ;;
                    "show -p Listen --value ssh.socket") printf '%s\\n' ${JSON.stringify(socketListen ?? "")} ;;
                    *) return 1 ;;
                esac
            }
            export -f ss systemctl
            bash ${JSON.stringify(path.join(SCRIPTS_DIR, "firewall.sh"))}`;
        return spawnSync("bash", ["-c", stubs], {
            env: { PATH: process.env.PATH ?? "", LEMP_CHECK_ONLY: "1", LEMP_FW_RULES: "80/tcp:any 443/tcp:any", SSH_CONNECTION: `192.0.2.9 50000 192.0.2.10 ${port}`, LEMP_OS_RELEASE: path.join(FIXTURES, "ubuntu-24.04.os-release") },
            encoding: "utf8",
        });
    };

    it("allows the port ssh.socket listens on, though ss names systemd and sshd_config another port", () => {
        const r = check(2222, 'LISTEN 0 4096 *:2222 *:* users:(("systemd",pid=1,fd=50))', "[::]:2222 (Stream)");
        assert.strictEqual(r.status, 0, r.stderr);
        assert.match(r.stdout, /inputs_checked=1/);
        assert.match(r.stderr, /sshd is started by ssh\.socket \(socket activation\), listening on: \[::\]:2222 \(Stream\)/);
        assert.match(r.stderr, /allowing 2222\/tcp: sshd listens on it/);
    });

    it("finds sshd among a socket's processes when systemd is listed first", () => {
        const r = check(2200, 'LISTEN 0 4096 0.0.0.0:2200 0.0.0.0:* users:(("systemd",pid=1,fd=3),("sshd",pid=900,fd=3))', undefined);
        assert.strictEqual(r.status, 0, r.stderr);
        assert.match(r.stderr, /allowing 2200\/tcp: sshd listens on it/);
    });

    it("still refuses (exit 4, nothing changed) when nothing of sshd listens on the connection's port", () => {
        const r = check(2222, 'LISTEN 0 4096 *:2222 *:* users:(("systemd",pid=1,fd=50))', undefined);
        assert.strictEqual(r.status, 4, r.stderr);
        assert.match(r.stderr, /would not survive the firewall/);
    });
});

import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigError, DEFAULT_HOSTS, loadConfig, RawConfig } from "../../lib/config";
import { SCRIPTS_DIR } from "../../lib/steps";
import { captureProgram, plannedCommands } from "../../tools/capture";

const sshHost = (extra: Record<string, unknown> = {}) => ({
    name: "web-01",
    roles: ["web", "app", "db"],
    connection: { type: "ssh", address: "203.0.113.10", ...extra },
});
const hosts = (list: unknown) => JSON.stringify(list);

/** Asserts that loading fails with a ConfigError naming `key` and showing `value`. */
function refuses(raw: RawConfig, key: string, value: string, env = { hasSshAgent: false }) {
    assert.throws(
        () => loadConfig(raw, env),
        (e: unknown) => {
            assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${e}`);
            assert.strictEqual(e.key, key);
            assert.ok(e.message.includes(`seed-web:${key} `), e.message);
            assert.ok(e.message.includes(value), `message ${JSON.stringify(e.message)} should show ${value}`);
            return true;
        },
    );
}

describe("config", () => {
    it("defaults to the seed design: foobar.com, 8.8.8.8, one docker host with web, app and db, nothing hardened", () => {
        const c = loadConfig({});
        assert.strictEqual(c.domain, "foobar.com");
        assert.strictEqual(c.publicIp, "8.8.8.8");
        assert.strictEqual(c.www, true);
        assert.deepStrictEqual(c.hosts.map((h) => [h.name, h.roles, h.connection.type]), [["web-01", ["web", "app", "db"], "docker"]]);
        assert.deepStrictEqual([c.firewall, c.tls, c.db.bindAddress, c.db.port, c.monitoring, c.backups], [false, "none", "0.0.0.0", 3306, false, false]);
        assert.deepStrictEqual(JSON.parse(JSON.stringify(DEFAULT_HOSTS))[0].roles, ["web", "app", "db"]);
    });

    it("reads an ssh host with its key from a secret and fills in port, user and private address", () => {
        const c = loadConfig({ hosts: hosts([sshHost()]), sshPrivateKey: "KEY" });
        assert.deepStrictEqual(c.hosts[0].connection, {
            type: "ssh",
            address: "203.0.113.10",
            port: 22,
            user: "root",
            privateKeyConfig: "sshPrivateKey",
            privateAddress: "203.0.113.10",
        });
    });

    it("accepts an ssh host without a key when an SSH agent runs", () => {
        const c = loadConfig({ hosts: hosts([sshHost()]) }, { hasSshAgent: true });
        assert.strictEqual((c.hosts[0].connection as { privateKeyConfig?: string }).privateKeyConfig, undefined);
    });

    it("reads a topology with a separate database host and a non-root user", () => {
        const list = [
            { name: "web-01", roles: ["web", "app"], connection: { type: "ssh", address: "10.0.0.3" } },
            { name: "db-01", roles: ["db"], connection: { type: "ssh", address: "db.example.net", user: "ubuntu", port: 2200, privateAddress: "10.0.0.5" } },
        ];
        const c = loadConfig({ hosts: hosts(list), sshPrivateKey: "KEY", dbBindAddress: "10.0.0.5", firewallAllowPorts: "[22,443]" });
        assert.deepStrictEqual(c.hosts.map((h) => h.name), ["web-01", "db-01"]);
        assert.deepStrictEqual(c.hosts[1].connection, {
            type: "ssh", address: "db.example.net", port: 2200, user: "ubuntu", privateKeyConfig: "sshPrivateKey", privateAddress: "10.0.0.5",
        });
        assert.deepStrictEqual(c.firewallAllowPorts, [22, 443]);
    });

    it("reads the improvements: firewall, TLS, monitoring, backups, a load balancer and a replica", () => {
        const list = [
            { name: "lb-01", roles: ["lb"], connection: { type: "ssh", address: "10.0.0.2" } },
            { name: "web-01", roles: ["web", "app"], connection: { type: "ssh", address: "10.0.0.3" } },
            { name: "web-02", roles: ["web", "app"], connection: { type: "ssh", address: "10.0.0.4" } },
            { name: "db-01", roles: ["db"], connection: { type: "ssh", address: "10.0.0.5" } },
            { name: "db-02", roles: ["db"], connection: { type: "ssh", address: "10.0.0.6" } },
        ];
        const c = loadConfig({
            hosts: hosts(list),
            sshPrivateKey: "K",
            firewall: "true",
            tls: "letsencrypt",
            acmeEmail: "ops@foobar.com",
            monitoring: "true",
            monitoringAllowFrom: '["10.0.0.0/24", "192.0.2.7"]',
            backups: "true",
            backupTime: "04:30",
            backupRetention: "14",
            dbBindAddress: "auto",
            dbPrimary: "db-01",
        });
        assert.deepStrictEqual([c.firewall, c.tls, c.acmeEmail, c.monitoring, c.backups], [true, "letsencrypt", "ops@foobar.com", true, true]);
        assert.deepStrictEqual(c.monitoringAllowFrom, ["10.0.0.0/24", "192.0.2.7"]);
        assert.deepStrictEqual([c.backupTime, c.backupRetention, c.db.bindAddress], ["04:30", 14, "auto"]);
        assert.deepStrictEqual(c.hosts.map((h) => h.name), ["lb-01", "web-01", "web-02", "db-01", "db-02"]);
    });

    it("publishes HTTP and HTTPS only for the entry point of a Docker topology", () => {
        const list = [
            { name: "lb-01", roles: ["lb"], connection: { type: "docker", sshPort: 2220 } },
            { name: "web-01", roles: ["web", "app", "db"], connection: { type: "docker", sshPort: 2221 } },
        ];
        const [lb, web] = loadConfig({ hosts: hosts(list) }).hosts.map((h) => h.connection);
        assert.deepStrictEqual([lb.type === "docker" && lb.httpPort, lb.type === "docker" && lb.httpsPort], [8080, 8443]);
        assert.deepStrictEqual([web.type === "docker" && web.httpPort, web.type === "docker" && web.httpsPort], [undefined, undefined]);
    });

    describe("refuses bad input, naming the key and the value", () => {
        const cases: [string, RawConfig, string, string][] = [
            ["an invalid domain", { domain: "foo_bar..com" }, "domain", '"foo_bar..com"'],
            ["a domain without a dot", { domain: "localhost" }, "domain", '"localhost"'],
            ["a www domain as apex", { domain: "www.foobar.com" }, "domain", "www.foobar.com"],
            ["an invalid public IP", { publicIp: "8.8.8.256" }, "publicIp", "8.8.8.256"],
            ["an IPv6 public IP for the A record", { publicIp: "::1" }, "publicIp", "::1"],
            ["an unknown TLS mode", { tls: "letsencrypt-staging" }, "tls", "letsencrypt-staging"],
            ["letsencrypt without an e-mail", { tls: "letsencrypt" }, "acmeEmail", '""'],
            ["an invalid e-mail", { acmeEmail: "admin" }, "acmeEmail", "admin"],
            ["a port out of range", { dbPort: "70000" }, "dbPort", "70000"],
            ["a port that is not a number", { dbPort: "mysql" }, "dbPort", "mysql"],
            ["an invalid bind address", { dbBindAddress: "everywhere" }, "dbBindAddress", "everywhere"],
            ["a database name with a quote", { dbName: "app'; DROP" }, "dbName", "app'; DROP"],
            ["a boolean that is not one", { firewall: "yes" }, "firewall", "yes"],
            ["hosts that are not a list", { hosts: '{"name":"web-01"}' }, "hosts", "web-01"],
            ["an empty host list", { hosts: "[]" }, "hosts", "[]"],
            ["an unknown role", { hosts: hosts([{ ...sshHost(), roles: ["web", "app", "db", "cache"] }]), sshPrivateKey: "K" }, "hosts[0].roles[3]", "cache"],
            ["no roles", { hosts: hosts([{ ...sshHost(), roles: [] }]) }, "hosts[0].roles", "[]"],
            ["an invalid host name", { hosts: hosts([{ ...sshHost(), name: "Web_01" }]) }, "hosts[0].name", "Web_01"],
            ["an unknown key in a host", { hosts: hosts([{ ...sshHost(), role: ["web"] }]) }, "hosts[0].role", "web"],
            [
                "duplicate host names",
                { hosts: hosts([{ ...sshHost(), roles: ["lb"] }, sshHost()]), sshPrivateKey: "K" },
                "hosts[1].name",
                "web-01",
            ],
            ["no host with the web role", { hosts: hosts([{ ...sshHost(), roles: ["db"] }]), sshPrivateKey: "K" }, "hosts", "web-01"],
            ["no host with the db role", { hosts: hosts([{ ...sshHost(), roles: ["web", "app"] }]), sshPrivateKey: "K" }, "hosts", "web-01"],
            ["web without app", { hosts: hosts([{ ...sshHost(), roles: ["web", "db"] }]), sshPrivateKey: "K" }, "hosts[0].roles", "db"],
            [
                "two web hosts and no load balancer",
                { hosts: hosts([sshHost(), { ...sshHost(), name: "web-02", roles: ["web", "app"] }]), sshPrivateKey: "K" },
                "hosts",
                "web-02",
            ],
            ["an ssh host without address", { hosts: hosts([{ ...sshHost(), connection: { type: "ssh" } }]) }, "hosts[0].connection.address", "(unset)"],
            ["an ssh host with a bad address", { hosts: hosts([sshHost({ address: "bad address" })]) }, "hosts[0].connection.address", "bad address"],
            ["an ssh host with a bad port", { hosts: hosts([sshHost({ port: 0 })]), sshPrivateKey: "K" }, "hosts[0].connection.port", "0"],
            ["an ssh host with a bad user", { hosts: hosts([sshHost({ user: "root; rm" })]), sshPrivateKey: "K" }, "hosts[0].connection.user", "root; rm"],
            ["an ssh host without key or agent", { hosts: hosts([sshHost()]) }, "hosts[0].connection", "web-01@203.0.113.10"],
            ["a key config that is not set", { hosts: hosts([sshHost({ privateKeyConfig: "webKey" })]) }, "hosts[0].connection.privateKeyConfig", "webKey"],
            ["an unknown connection type", { hosts: hosts([{ ...sshHost(), connection: { type: "lxd" } }]) }, "hosts[0].connection.type", "lxd"],
            [
                "two docker hosts publishing the same port",
                {
                    hosts: hosts([
                        { name: "lb-01", roles: ["lb"], connection: { type: "docker", sshPort: 2222, httpPort: 8080, httpsPort: 8443 } },
                        { name: "web-01", roles: ["web", "app", "db"], connection: { type: "docker", sshPort: 2223, httpPort: 8080, httpsPort: 8444 } },
                    ]),
                },
                "hosts[1].connection.httpPort",
                "8080",
            ],
            ["a bad docker bind address", { hosts: hosts([{ ...sshHost(), connection: { type: "docker", bindAddress: "lo" } }]) }, "hosts[0].connection.bindAddress", "lo"],
            ["a bad firewall port list", { firewallAllowPorts: "[22, 80, 99999]" }, "firewallAllowPorts[2]", "99999"],
            ["a loopback database that other hosts must reach",
                { hosts: hosts([{ ...sshHost(), roles: ["web", "app"] }, { ...sshHost(), name: "db-01", roles: ["db"] }]), sshPrivateKey: "K", dbBindAddress: "127.0.0.1" },
                "dbBindAddress", "127.0.0.1"],
            ["a backup time that is not HH:MM", { backupTime: "3am" }, "backupTime", "3am"],
            ["a backup retention of zero", { backupRetention: "0" }, "backupRetention", "0"],
            ["a monitoring source that is not an address", { monitoringAllowFrom: '["10.0.0.0/33"]' }, "monitoringAllowFrom[0]", "10.0.0.0/33"],
            ["a negative HSTS max-age", { hstsMaxAge: "-1" }, "hstsMaxAge", "-1"],
            ["a plain-HTTP ACME server", { acmeServer: "http://acme.example/dir" }, "acmeServer", "http://acme.example/dir"],
            ["two load balancers", { hosts: hosts([{ ...sshHost(), name: "lb-01", roles: ["lb"] }, { ...sshHost(), name: "lb-02", roles: ["lb"] }, sshHost()]), sshPrivateKey: "K" }, "hosts", "lb-02"],
            ["a load balancer that is also a web host", { hosts: hosts([{ ...sshHost(), roles: ["lb", "web", "app", "db"] }]), sshPrivateKey: "K" }, "hosts[0].roles", "lb"],
        ];
        for (const [what, raw, key, value] of cases) {
            it(what, () => refuses(raw, key, value));
        }
        it(`covers at least 15 cases (${cases.length})`, () => assert.ok(cases.length >= 15));
    });

    it("names an unknown key, a host's unknown field and unparsable hosts without showing their values", () => {
        const hidden: [RawConfig, string, string][] = [
            [{ firwall: "hunter2-typo" }, "firwall", "hunter2-typo"],
            [{ hosts: hosts([{ ...sshHost(), role: ["hunter2-role"] }]) }, "hosts[0].role", "hunter2-role"],
            [{ hosts: "web-01 hunter2-text" }, "hosts", "hunter2-text"],
        ];
        for (const [raw, key, value] of hidden) {
            assert.throws(
                () => loadConfig(raw),
                (e: unknown) => e instanceof ConfigError && e.key === key && e.message.includes(`seed-web:${key} (value not shown)`) && !e.message.includes(value),
                key,
            );
        }
    });

    it("never shows the value of a secret key in an error", () => {
        // Secret-looking keys are accepted (hosts may name them), so they never reach an error message.
        assert.doesNotThrow(() => loadConfig({ webPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----" }));
    });
});

describe("dbEngine: the database server (issue #10.2)", () => {
    it("defaults to auto, takes mysql and mariadb, refuses anything else naming the key", () => {
        assert.strictEqual(loadConfig({}).db.engine, "auto");
        assert.strictEqual(loadConfig({ dbEngine: "mysql" }).db.engine, "mysql");
        assert.strictEqual(loadConfig({ dbEngine: "mariadb" }).db.engine, "mariadb");
        for (const bad of ["MySQL", "postgres", "", "mysql8"]) refuses({ dbEngine: bad }, "dbEngine", `"${bad}"`);
    });

    it("is handed to every step that installs or drives the server (LEMP_DB_ENGINE) and recorded in the database facts", async () => {
        const list = [
            { name: "web-01", roles: ["web", "app"], connection: { type: "ssh", address: "10.0.0.3" } },
            { name: "db-01", roles: ["db"], connection: { type: "ssh", address: "10.0.0.5" } },
            { name: "db-02", roles: ["db"], connection: { type: "ssh", address: "10.0.0.6" } },
        ];
        const capture = await captureProgram({ raw: { hosts: hosts(list), dbEngine: "mysql", dbBindAddress: "auto", backups: "true", dbPrimary: "db-01" }, secrets: { sshPrivateKey: "K" } });
        const withEngine = plannedCommands(capture)
            .filter((p) => /LEMP_DB_ENGINE='mysql'/.test(p.create))
            .map((p) => p.name)
            .sort();
        assert.deepStrictEqual(withEngine, ["db-01-backup", "db-01-base", "db-01-database", "db-01-replication", "db-02-base", "db-02-database"]);
        const db = plannedCommands(capture).filter((p) => p.facts.step === "database");
        assert.deepStrictEqual(db.map((p) => (p.facts as { engine: string }).engine), ["mysql", "mysql"]);
    });
});

describe("lemp_os: the releases and the engines as data (scripts/lib.sh)", () => {
    const releases: Record<string, string> = {
        "ubuntu-22.04": 'ID=ubuntu\nVERSION_ID="22.04"\nPRETTY_NAME="Ubuntu 22.04.4 LTS"\n',
        "debian-12": 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n',
        "debian-13": 'ID=debian\nVERSION_ID="13"\nPRETTY_NAME="Debian GNU/Linux 13 (trixie)"\n',
        "debian-unstable": 'ID=debian\nPRETTY_NAME="Debian GNU/Linux forky/sid"\n',
        "debian-11": 'ID=debian\nVERSION_ID="11"\nPRETTY_NAME="Debian GNU/Linux 11 (bullseye)"\n',
    };
    /** [release, LEMP_DB_ENGINE (undefined: unset), server VERSION for lemp_db_version_sql] of every case below. */
    const cases: [string, string | undefined, string?][] = [
        ["ubuntu-22.04", "auto"], ["ubuntu-22.04", undefined], ["debian-12", "auto"], ["debian-13", "auto"],
        ["debian-unstable", "mysql"], ["ubuntu-22.04", "mariadb"], ["debian-12", "mysql"], ["debian-13", "postgres"], ["debian-11", "auto"],
        ["ubuntu-22.04", "mysql", "8.0.39-0ubuntu0.22.04.1"], ["ubuntu-22.04", "mysql", "8.1.0"], ["ubuntu-22.04", "mysql", "8.4.3"],
        ["ubuntu-22.04", "mysql", "9.7.0"], ["debian-12", "auto", "10.11.6-MariaDB-0+deb12u1"],
    ];
    const results = new Map<string, { code: number; out: string; err: string }>();
    const key = (release: string, engine: string | undefined, version?: string) => `${release} ${engine ?? "(unset)"} ${version ?? ""}`;
    before(function () {
        // one bash for every case (each in a subshell, as a step runs it): process start-up is most of the time
        this.timeout(60000);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-os-"));
        try {
            for (const [name, text] of Object.entries(releases)) fs.writeFileSync(path.join(dir, name), text);
            const script = cases
                .map(([release, engine, version], i) =>
                    `( ${engine === undefined ? "unset LEMP_DB_ENGINE" : `export LEMP_DB_ENGINE=${engine}`}; export LEMP_OS_RELEASE=${dir}/${release}; ` +
                    `. ${JSON.stringify(path.join(SCRIPTS_DIR, "lib.sh"))}; lemp_os; ${version ? `lemp_db_version_sql ${version}; ` : ""}` +
                    'printf "%s|%s|%s|%s|%s|%s\\n" "$LEMP_DB_ENGINE" "$LEMP_DB_PACKAGE" "$LEMP_DB_SERVICE" "$LEMP_PHP_VERSION" "$LEMP_DB_AUTH_PLUGIN" "$LEMP_DB_REPLICA_PREPARE"' +
                    ` ) >${dir}/${i}.out 2>${dir}/${i}.err; echo $? >${dir}/${i}.rc`,
                )
                .join("\n");
            const r = spawnSync("bash", ["-c", script], { env: { PATH: process.env.PATH ?? "" }, encoding: "utf8" });
            assert.strictEqual(r.status, 0, r.stderr);
            cases.forEach(([release, engine, version], i) => {
                const read = (ext: string) => fs.readFileSync(path.join(dir, `${i}.${ext}`), "utf8").trim();
                results.set(key(release, engine, version), { code: Number(read("rc")), out: read("out"), err: read("err") });
            });
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
    /** lemp_os (and lemp_db_version_sql VERSION) as a step runs them: the variables the steps use, or the error. */
    const lempOs = (release: string, engine: string | undefined, version?: string) => results.get(key(release, engine, version))!;

    it("auto is the distribution's engine: MySQL on Ubuntu 22.04, MariaDB on Debian 12 and 13", () => {
        assert.strictEqual(lempOs("ubuntu-22.04", "auto").out, "mysql|mysql-server|mysql|8.1|caching_sha2_password|RESET MASTER");
        assert.strictEqual(lempOs("ubuntu-22.04", undefined).out, "mysql|mysql-server|mysql|8.1|caching_sha2_password|RESET MASTER");
        assert.strictEqual(lempOs("debian-12", "auto").out, "mariadb|mariadb-server|mariadb|8.2|mysql_native_password|RESET SLAVE ALL");
        assert.strictEqual(lempOs("debian-13", "auto").out, "mariadb|mariadb-server|mariadb|8.4|mysql_native_password|RESET SLAVE ALL");
    });

    it("an engine named explicitly is used where the release's archive has it", () => {
        assert.strictEqual(lempOs("debian-unstable", "mysql").out, "mysql|mysql-server|mysql|8.4|caching_sha2_password|RESET MASTER");
        assert.strictEqual(lempOs("ubuntu-22.04", "mariadb").out, "mariadb|mariadb-server|mariadb|8.1|mysql_native_password|RESET SLAVE ALL");
    });

    it("an engine the release's archive lacks, an unknown engine and an unsupported release stop with a clear error", () => {
        const noMysql = lempOs("debian-12", "mysql");
        assert.strictEqual(noMysql.code, 3);
        assert.match(noMysql.err, /LEMP_DB_ENGINE=mysql: Debian GNU\/Linux 12 \(bookworm\)'s archive has no mysql server/);
        const bad = lempOs("debian-13", "postgres");
        assert.strictEqual(bad.code, 1);
        assert.match(bad.err, /LEMP_DB_ENGINE must be auto, mysql or mariadb \(got 'postgres'\)/);
        const old = lempOs("debian-11", "auto");
        assert.strictEqual(old.code, 3);
        assert.match(old.err, /unsupported OS: Debian GNU\/Linux 11 \(bullseye\); expected Ubuntu 22\.04 or Debian 12 or 13/);
    });

    it("MySQL's replica reset follows the server version: RESET MASTER up to 8.1, RESET BINARY LOGS AND GTIDS from 8.2 (8.4, 9.x)", () => {
        const prepare = (v: string) => lempOs("ubuntu-22.04", "mysql", v).out.split("|")[5];
        assert.strictEqual(prepare("8.0.39-0ubuntu0.22.04.1"), "RESET MASTER");
        assert.strictEqual(prepare("8.1.0"), "RESET MASTER");
        assert.strictEqual(prepare("8.4.3"), "RESET BINARY LOGS AND GTIDS");
        assert.strictEqual(prepare("9.7.0"), "RESET BINARY LOGS AND GTIDS");
        assert.strictEqual(lempOs("debian-12", "auto", "10.11.6-MariaDB-0+deb12u1").out.split("|")[5], "RESET SLAVE ALL");
    });
});

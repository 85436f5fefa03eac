import * as assert from "assert";
import { ConfigError, DEFAULT_HOSTS, loadConfig, RawConfig } from "../../lib/config";
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
            ["a public address left as the private one, with other hosts to reach it",
                { hosts: hosts([{ ...sshHost({ privateAddress: "10.0.0.10" }), name: "lb-01", roles: ["lb"] }, sshHost()]), sshPrivateKey: "K" },
                "hosts[1].connection.privateAddress", "203.0.113.10"],
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

describe("dbEngine: the database server", () => {
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

// Hostile input (issues #8.1, #8.5, #9.2, #9.6): reserved names, secrets never echoed, values the scripts would
// refuse, and inputs that used to crash or hang the program and the audit.

import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigError, loadConfig, MAX_HOSTS, MAX_LIST_LENGTH, RawConfig, REPLICATION_USER, StackConfig } from "../../lib/config";
import { buildTopology } from "../../lib/topology";
import { MAX_STACK_FILE_BYTES, readStackFile, StackFileError } from "../../tools/stack-config";
import { PROJECT_DIR } from "../../lib/root";

const SECRET = "hunter2-Planted-Secret";
const KEY_MATERIAL = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----";

const ssh = (name: string, roles: string[], connection: Record<string, unknown>) => ({ name, roles, connection: { type: "ssh", ...connection } });
const hosts = (list: unknown) => JSON.stringify(list);

/** loadConfig fails with a ConfigError for `key` whose message passes `check`. */
function refuses(raw: RawConfig, key: string, check: (message: string) => void = () => {}, env: Parameters<typeof loadConfig>[1] = { hasSshAgent: true }) {
    assert.throws(
        () => loadConfig(raw, env),
        (e: unknown) => {
            assert.ok(e instanceof ConfigError, `expected a ConfigError for ${key}, got ${e}`);
            assert.strictEqual(e.key, key, e.message);
            assert.ok(e.message.includes(`seed-web:${key}`), e.message);
            check(e.message);
            return true;
        },
        key,
    );
}

function tmpDir(): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-input-"));
}

describe("hostile input", () => {
    describe("#8.1 reserved database and account names", () => {
        const databases = ["mysql", "MySQL", "sys", "information_schema", "performance_schema", "test", "TEST", "test_app", "Test_x", "test_"];
        for (const name of databases) {
            it(`dbName ${name} is refused, naming the key`, () => refuses({ dbName: name }, "dbName", (m) => assert.match(m, /reserved/)));
        }
        const users = ["root", "ROOT", REPLICATION_USER, "Repl", "mysql", "PUBLIC", "public"];
        for (const name of users) {
            it(`dbUser ${name} is refused, naming the key`, () => refuses({ dbUser: name }, "dbUser", (m) => assert.match(m, /reserved/)));
        }
        it("names close to the reserved ones stay allowed (app, tester, testing, mysqlapp, replica)", () => {
            for (const name of ["app", "tester", "testing", "mysqlapp"]) assert.strictEqual(loadConfig({ dbName: name }).db.name, name);
            for (const name of ["app", "replica", "rooted", "tester"]) assert.strictEqual(loadConfig({ dbUser: name }).db.user, name);
        });
        it("the replication user is one exported constant (scripts/database.sh uses the same name)", () => {
            assert.strictEqual(REPLICATION_USER, "repl");
            const script = fs.readFileSync(path.join(PROJECT_DIR, "scripts", "database.sh"), "utf8");
            assert.match(script, new RegExp(`REPL_USER=${REPLICATION_USER}\\b`));
        });
    });

    describe("#8.5 errors never echo a secret, secret-looking or unknown value", () => {
        const cases: [string, RawConfig, string, Parameters<typeof loadConfig>[1]?][] = [
            ["an unknown key (acmeApiKey)", { acmeApiKey: SECRET }, "acmeApiKey"],
            ["an unknown secret-looking key the engine does not hold as secret (apiKey)", { apiKey: SECRET }, "apiKey", { hasSshAgent: true, secretKeys: [] }],
            ["sshKey", { sshKey: SECRET }, "sshKey"],
            ["dbPasswd", { dbPasswd: SECRET }, "dbPasswd"],
            ["passphrase", { passphrase: SECRET }, "passphrase"],
            ["credential", { credential: SECRET }, "credential"],
            ["a plain-text sshPrivateKey (not set with --secret)", { sshPrivateKey: KEY_MATERIAL }, "sshPrivateKey", { hasSshAgent: true, secretKeys: [] }],
            ["a connection's password", { hosts: hosts([ssh("web-01", ["web", "app", "db"], { address: "10.0.0.1", password: SECRET })]) }, "hosts[0].connection.password"],
            ["a connection's privateKey", { hosts: hosts([ssh("web-01", ["web", "app", "db"], { address: "10.0.0.1", privateKey: KEY_MATERIAL })]) }, "hosts[0].connection.privateKey"],
            ["an unknown field of a host", { hosts: hosts([{ ...ssh("web-01", ["web", "app", "db"], { address: "10.0.0.1" }), token: SECRET }]) }, "hosts[0].token"],
            ["key material in a known key (domain)", { domain: KEY_MATERIAL }, "domain"],
            ["an SSH key line in acmeEmail", { acmeEmail: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${SECRET}` }, "acmeEmail"],
            ["key material as privateKeyConfig", { hosts: hosts([ssh("web-01", ["web", "app", "db"], { address: "10.0.0.1", privateKeyConfig: KEY_MATERIAL })]) }, "hosts[0].connection.privateKeyConfig"],
            ["key material as a host", { hosts: hosts([KEY_MATERIAL]) }, "hosts[0]"],
            ["a host list that is not JSON", { hosts: `[{"name": "web-01", "connection": {"password": "${SECRET}"` }, "hosts"],
            [
                "the hosts list holding a password (no web role)",
                { hosts: hosts([{ name: "db-01", roles: ["db"], connection: { type: "ssh", address: "10.0.0.1", password: SECRET } }]) },
                "hosts[0].connection.password",
            ],
        ];
        for (const [what, raw, key, env] of cases) {
            it(what, () =>
                refuses(raw, key, (m) => {
                    assert.ok(!m.includes(SECRET), m);
                    assert.ok(!m.includes("BEGIN"), m);
                    assert.ok(!m.includes("b3BlbnNzaC1rZXkt"), m);
                }, env ?? { hasSshAgent: true }),
            );
        }
        it("control characters in an echoed value or key are escaped (#9.6)", () => {
            refuses({ domain: "evil\u001b[31m.com\r\n" }, "domain", (m) => {
                assert.ok(!/[\u0000-\u001f\u007f]/.test(m), JSON.stringify(m));
                assert.ok(m.includes("\\u001b"), m);
            });
            assert.throws(
                () => loadConfig({ "fire\u001bwall": "x" }),
                (e: unknown) => e instanceof ConfigError && !/[\u0000-\u001f]/.test(e.message) && e.message.includes("fire\\u001bwall"),
            );
        });
        it("a YAML syntax error names file:line:column and the reason, never the line's text", () => {
            const dir = tmpDir();
            const file = path.join(dir, "Pulumi.bad.yaml");
            fs.writeFileSync(file, `config:\n  seed-web:domain: foobar.com\n  seed-web:acmeApiKey: [${SECRET}\n  seed-web:tls: none\n`);
            assert.throws(
                () => readStackFile(file),
                (e: unknown) => e instanceof StackFileError && new RegExp(`^${file.replace(/[.]/g, "\\.")}:\\d+:\\d+: invalid YAML: `).test(e.message) && !e.message.includes(SECRET),
            );
        });
    });

    describe("#9.2 the config refuses what the scripts refuse", () => {
        it("an IPv6 monitoringAllowFrom (the firewall is IPv4 only)", () =>
            refuses({ monitoringAllowFrom: '["2001:db8::/64"]' }, "monitoringAllowFrom[0]", (m) => assert.match(m, /IPv4/)));
        it("a CIDR prefix with a leading zero (ufw and the script's pattern take 8, not 08)", () => refuses({ monitoringAllowFrom: '["10.0.0.0/08"]' }, "monitoringAllowFrom[0]"));
        it("a DNS-name privateAddress when other hosts must reach the host (MySQL bind, ufw, set_real_ip_from)", () => {
            const list = [ssh("web-01", ["web", "app"], { address: "10.0.0.3" }), ssh("db-01", ["db"], { address: "db.example.net" })];
            refuses({ hosts: hosts(list) }, "hosts[1].connection.privateAddress", (m) => assert.match(m, /IPv4/));
            const named = [ssh("web-01", ["web", "app"], { address: "10.0.0.3" }), ssh("db-01", ["db"], { address: "10.0.0.5", privateAddress: "db.internal" })];
            refuses({ hosts: hosts(named) }, "hosts[1].connection.privateAddress");
        });
        it("an IPv6 privateAddress (HAProxy backends and ufw rules are IPv4)", () => {
            const list = [ssh("web-01", ["web", "app"], { address: "10.0.0.3" }), ssh("db-01", ["db"], { address: "10.0.0.5", privateAddress: "fd00::5" })];
            refuses({ hosts: hosts(list) }, "hosts[1].connection.privateAddress");
        });
        it("one host may still be reached by a DNS name (no other host uses its private address)", () => {
            const c = loadConfig({ hosts: hosts([ssh("web-01", ["web", "app", "db"], { address: "web.example.net" })]) }, { hasSshAgent: true });
            assert.strictEqual(c.hosts[0].connection.type === "ssh" && c.hosts[0].connection.address, "web.example.net");
        });
        for (const url of ["https://acme.example/dir?x=1", "https://acme.example/dir#frag", "https://user@acme.example/dir", "https://[::1]/dir", "https://acme_example/dir"]) {
            it(`an acmeServer certbot.sh refuses: ${url}`, () => refuses({ acmeServer: url }, "acmeServer"));
        }
        for (const email of ["ops@foo_bar.com", "ops@bücher.de", "o ps@foobar.com", "ops@foobar"]) {
            it(`an acmeEmail certbot.sh refuses: ${email}`, () => refuses({ acmeEmail: email }, "acmeEmail"));
        }
        it("an IPv6 zone in an address (fe80::1%eth0): the scripts take plain addresses", () => refuses({ dbBindAddress: "fe80::1%eth0" }, "dbBindAddress"));
    });

    describe("#9.6 every input ends fast in a result or an error naming the key or the file", () => {
        const fast = (what: string, f: () => void) => {
            const t0 = process.hrtime.bigint();
            f();
            const ms = Number(process.hrtime.bigint() - t0) / 1e6;
            assert.ok(ms < 1000, `${what}: ${ms.toFixed(0)} ms`);
        };
        it("a deeply nested hosts value: a ConfigError, not a RangeError", () =>
            fast("deep", () => refuses({ hosts: "[".repeat(30000) + "]".repeat(30000) }, "hosts[0][0][0][0][0][0][0][0]")));
        it("a deeply nested value under an unknown host field: hidden, no RangeError", () => {
            const deep = "[".repeat(30000) + "]".repeat(30000);
            fast("deep field", () => refuses({ hosts: `[{"name": "web-01", "x": ${deep}}]` }, "hosts[0].x[0][0][0][0][0][0]"));
        });
        it("a long acmeEmail: no quadratic backtracking (the old pattern took seconds on these)", () => {
            fast("email dots", () => refuses({ acmeEmail: "a@" + "a.".repeat(20000) + "@" }, "acmeEmail"));
            fast("email dots and a space", () => refuses({ acmeEmail: "a@" + ".".repeat(40000) + " " }, "acmeEmail"));
        });
        it("buildTopology is linear in firewall rules (30,000 ports on one host: the old scan took seconds)", () => {
            const c: StackConfig = { ...loadConfig({ firewall: "true" }), firewallAllowPorts: Array.from({ length: 30000 }, (_, i) => i + 1) };
            fast("30000 ports", () => assert.strictEqual(buildTopology(c).hosts[0].firewall?.rules.length, 30000));
        });
        it(`lists are capped (${MAX_LIST_LENGTH} entries) and hosts too (${MAX_HOSTS}): no Docker address past the /24`, () => {
            refuses({ firewallAllowPorts: JSON.stringify(Array.from({ length: MAX_LIST_LENGTH + 1 }, (_, i) => i + 1)) }, "firewallAllowPorts");
            const many = Array.from({ length: 246 }, (_, i) => ({ name: `h${i}`, roles: i === 0 ? ["lb"] : ["web", "app", "db"], connection: { type: "docker", sshPort: 3000 + i } }));
            refuses({ hosts: hosts(many) }, "hosts");
        });
        it("a null or NaN (.nan) port is an error naming the key, not the default", () => {
            for (const port of ["null", "NaN"]) {
                const text = `[{"name": "web-01", "roles": ["web", "app", "db"], "connection": {"type": "ssh", "address": "10.0.0.1", "port": ${port === "NaN" ? "null" : port}}}]`;
                refuses({ hosts: text }, "hosts[0].connection.port");
            }
            refuses({ hosts: '[{"name": "web-01", "roles": ["web", "app", "db"], "connection": {"type": "docker", "sshPort": null}}]' }, "hosts[0].connection.sshPort");
            refuses({ dbPort: "null" }, "dbPort");
        });
        it("privateKeyConfig naming a config key that is not a secret", () => {
            const list = [ssh("web-01", ["web", "app", "db"], { address: "10.0.0.1", privateKeyConfig: "domain" })];
            refuses({ hosts: hosts(list), domain: "foobar.com" }, "hosts[0].connection.privateKeyConfig", (m) => assert.match(m, /not a secret/), {
                hasSshAgent: false,
                secretKeys: [],
            });
            assert.doesNotThrow(() => loadConfig({ hosts: hosts([ssh("web-01", ["web", "app", "db"], { address: "10.0.0.1", privateKeyConfig: "webKey" })]), webKey: "K" }, { hasSshAgent: false, secretKeys: ["webKey"] }));
        });

        describe("stack files", () => {
            let dir: string;
            before(() => (dir = tmpDir()));
            after(() => fs.rmSync(dir, { recursive: true, force: true }));
            const refusesFile = (file: string, re: RegExp) =>
                fast(file, () => assert.throws(() => readStackFile(file), (e: unknown) => e instanceof StackFileError && re.test(e.message) && e.message.includes(file)));

            it("a FIFO is refused without blocking", () => {
                const fifo = path.join(dir, "Pulumi.fifo.yaml");
                execFileSync("mkfifo", [fifo]);
                refusesFile(fifo, /not a regular file/);
            });
            it("a link to /dev/zero is refused without reading it", () => {
                const link = path.join(dir, "Pulumi.zero.yaml");
                fs.symlinkSync("/dev/zero", link);
                refusesFile(link, /not a regular file/);
            });
            it(`a file over ${MAX_STACK_FILE_BYTES} bytes is refused without reading it all`, () => {
                const big = path.join(dir, "Pulumi.big.yaml");
                fs.writeFileSync(big, "config:\n  seed-web:monitoringAllowFrom:\n" + "    - 10.0.0.1\n".repeat(Math.ceil(MAX_STACK_FILE_BYTES / 14) + 10));
                refusesFile(big, /more than the limit/);
            });
            it("a directory is refused", () => refusesFile(dir, /not a regular file/));
            it("many keys: no quadratic duplicate-key check; a duplicate key is named with its line", () => {
                const many = path.join(dir, "Pulumi.many.yaml");
                let text = "config:\n";
                for (let i = 0; i < 600; i++) text += `  k${i}: v\n`;
                fs.writeFileSync(many, text);
                refusesFile(many, /:2:3: more than 500 keys in one mapping/);
                fs.writeFileSync(many, `config: {${Array.from({ length: 30000 }, (_, i) => `k${i}: 1`).join(", ")}}\n`.slice(0, MAX_STACK_FILE_BYTES));
                refusesFile(many, /more than 1000 lines and list items/);
                const dup = path.join(dir, "Pulumi.dup.yaml");
                fs.writeFileSync(dup, "config:\n  seed-web:tls: none\n  seed-web:tls: self-signed\n");
                refusesFile(dup, /:3:3: duplicate key "seed-web:tls"/);
            });
            it("deep YAML nesting is refused before parsing", () => {
                const deep = path.join(dir, "Pulumi.deep.yaml");
                fs.writeFileSync(deep, "config:\n  seed-web:hosts: " + "[".repeat(30000) + "]".repeat(30000) + "\n");
                refusesFile(deep, /:2:\d+: nested deeper than/);
                fs.writeFileSync(deep, "config:\n  seed-web:hosts:\n" + "- ".repeat(10000) + "x\n");
                refusesFile(deep, /nested deeper than/);
            });
            it("UTF-16 files (with their BOM) are decoded like the Pulumi CLI does, not audited as defaults", () => {
                const yaml = "config:\n  seed-web:firewall: true\n  seed-web:domain: example.org\n";
                const le = path.join(dir, "Pulumi.le.yaml");
                fs.writeFileSync(le, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(yaml, "utf16le")]));
                const be = path.join(dir, "Pulumi.be.yaml");
                fs.writeFileSync(be, Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(yaml, "utf16le").swap16()]));
                const u8 = path.join(dir, "Pulumi.bom.yaml");
                fs.writeFileSync(u8, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(yaml)]));
                for (const f of [le, be, u8]) assert.deepStrictEqual({ ...readStackFile(f).raw }, { firewall: "true", domain: "example.org" }, f);
                const bad = path.join(dir, "Pulumi.latin1.yaml");
                fs.writeFileSync(bad, Buffer.from("config:\n  seed-web:domain: caf\xe9.com\n", "latin1"));
                refusesFile(bad, /not valid UTF-8/);
            });
            it("a document that is not a mapping is an error, not the defaults", () => {
                const list = path.join(dir, "Pulumi.list.yaml");
                fs.writeFileSync(list, "- config\n- seed-web:firewall\n");
                refusesFile(list, /expected a mapping/);
            });
        });
    });
});

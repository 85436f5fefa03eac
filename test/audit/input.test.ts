// `npm run audit` on hostile stack files (issues #8.1, #8.5, #9.6): exit 2, the key or the file named, no secret or
// unknown value echoed.

import * as assert from "assert";
import { RESERVED_DATABASES, RESERVED_USERS } from "../../lib/config";
import { runCli, runInProcess, tmpFile } from "./helpers";

const SECRET = "Hunter2AuditPlanted";

/** main() in this process (a child process per case would take seconds each): exit code and stderr. */
const audit = runInProcess;

const stack = (name: string, lines: string[]) => tmpFile(`Pulumi.${name}.yaml`, ["config:", ...lines.map((l) => `  ${l}`), ""].join("\n"));

describe("audit: hostile stack files", function () {
    this.timeout(60000);

    it("refuses every reserved database and account name with exit 2, naming the key", async () => {
        const cases: [string, string][] = [
            ...[...RESERVED_DATABASES.map((p) => p.replace("*", "x")), "TEST", "test_shop"].map((n): [string, string] => ["dbName", n]),
            ...[...RESERVED_USERS.filter((u) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(u)), "ROOT", "Admin"].map((n): [string, string] => ["dbUser", n]),
        ];
        for (const [key, name] of cases) {
            const r = await audit(["--config", stack("reserved", [`seed-web:${key}: ${name}`])]);
            assert.strictEqual(r.code, 2, `${key}=${name}: ${r.stderr}`);
            assert.match(r.stderr, new RegExp(`^error: .*Pulumi\\.reserved\\.yaml: invalid config seed-web:${key} = "${name}": reserved name`), r.stderr);
            assert.strictEqual(r.stdout, "");
        }
    });

    it("never echoes an unknown or secret-looking key's value, a connection's password or key material", async () => {
        const cases: [string[], RegExp][] = [
            [[`seed-web:acmeApiKey: ${SECRET}`], /seed-web:acmeApiKey \(value not shown\): unknown key/],
            [[`seed-web:dbPasswd: ${SECRET}`], /seed-web:dbPasswd \(value not shown\): unknown key/],
            [["seed-web:hosts:", "  - name: web-01", "    roles: [web, app, db]", `    connection: { type: ssh, address: 10.0.0.1, password: ${SECRET} }`], /seed-web:hosts\[0\]\.connection\.password \(value not shown\)/],
            [[`seed-web:domain: "-----BEGIN OPENSSH PRIVATE KEY-----${SECRET}"`], /seed-web:domain \(value not shown\)/],
            [[`seed-web:sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----${SECRET}"`], /seed-web:sshPrivateKey \(value not shown\): must be a secret/],
            [[`seed-web:tls: [${SECRET}`, "seed-web:www: true"], /Pulumi\.hostile\.yaml:\d+:\d+: invalid YAML: /],
            [[`seed-web:tls: |${SECRET}`], /Pulumi\.hostile\.yaml:\d+:\d+: invalid YAML: /],
            // a URL's credentials (user information, a token in the query) are redacted, the rest of the URL shown
            [[`seed-web:acmeServer: "https://acct:${SECRET}@acme.example.com/directory"`], /seed-web:acmeServer = "https:\/\/\*\*\*@acme\.example\.com\/directory": expected the https:\/\/ URL/],
            [[`seed-web:acmeServer: "https://acme.example.com/directory?token=${SECRET}"`], /seed-web:acmeServer = "https:\/\/acme\.example\.com\/directory\?\*\*\*"/],
            [[`seed-web:acmeServer: "https://${SECRET}@acme.example.com/"`], /seed-web:acmeServer = "https:\/\/\*\*\*@acme\.example\.com\/"/],
        ];
        for (const [lines, re] of cases) {
            const r = await audit(["--config", stack("hostile", lines)]);
            assert.strictEqual(r.code, 2, r.stderr);
            assert.match(r.stderr, re);
            assert.ok(!r.stderr.includes(SECRET), r.stderr);
        }
    });

    it("the CLI itself (a child process): exit 2, the key named, the secret not echoed", async () => {
        const r = await runCli(["--config", stack("cli", [`seed-web:apiToken: ${SECRET}`, "seed-web:dbName: mysql"])]);
        assert.strictEqual(r.code, 2, r.stderr);
        assert.match(r.stderr, /^error: .*invalid config seed-web:apiToken \(value not shown\): unknown key/);
        assert.ok(!r.stderr.includes(SECRET));
    });
});

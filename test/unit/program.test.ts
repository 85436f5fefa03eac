// The real program under Pulumi mocks: what it registers, in which order, with which connection and triggers,
// and that no secret leaks into a plain value anywhere.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import Ajv2020 from "ajv/dist/2020";
import { parse } from "yaml";
import { factsOf, REMOTE_COMMAND_TYPE, StepFacts } from "@seed-web/facts";
import { Capture, captureProgram, CapturedResource, isSecretValue, plannedCommands, reveal } from "../../tools/capture";
import { PROJECT_DIR, readStackFile, stackFilePath } from "../../tools/stack-config";

/** The resource of that name; the custom one when a component shares the name (a step and its command do). */
const byName = (c: Capture, name: string) => {
    const r = c.resources.find((x) => x.name === name && x.custom) ?? c.resources.find((x) => x.name === name);
    assert.ok(r, `no resource named ${name}; have ${c.resources.map((x) => x.name).join(", ")}`);
    return r;
};
const commands = (c: Capture) => c.resources.filter((r) => r.type === REMOTE_COMMAND_TYPE);
const facts = (r: CapturedResource) => factsOf(reveal(r.inputs) as Record<string, unknown>) as StepFacts;

/** Outputs the providers' schemas mark secret. */
const PROVIDER_SECRET_OUTPUTS: Record<string, string[]> = {
    "random:index/randomPassword:RandomPassword": ["result", "bcryptHash"],
};

const SSH_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbC1mb3ItdGVzdHM=\n-----END OPENSSH PRIVATE KEY-----\n";
const sshTopology = JSON.stringify([
    { name: "web-01", roles: ["web", "app"], connection: { type: "ssh", address: "198.51.100.10", user: "ubuntu", privateAddress: "10.0.0.10" } },
    { name: "db-01", roles: ["db"], connection: { type: "ssh", address: "198.51.100.11", port: 2222, privateAddress: "10.0.0.11" } },
]);

describe("program (under mocks)", function () {
    let dev: Capture;
    let ssh: Capture;
    before(async () => {
        dev = await captureProgram({ raw: readStackFile(stackFilePath("dev")).raw, stack: "dev" });
        ssh = await captureProgram({ raw: { hosts: sshTopology, dbBindAddress: "10.0.0.11" }, secrets: { sshPrivateKey: SSH_KEY } });
    });

    describe("the dev stack (the seed design on a local Docker host)", () => {
        it("registers the Docker platform, one container, the password and the six LEMP steps", () => {
            const names = dev.resources.map((r) => `${r.type} ${r.name}`);
            for (const expected of [
                "seed-web:index:WebStack seed-web",
                "seed-web:infra:DockerPlatform seed-web-docker",
                "docker:index/image:Image seed-web-docker-image",
                "docker:index/network:Network seed-web-docker-network",
                "tls:index/privateKey:PrivateKey seed-web-docker-ssh-key",
                "tls:index/privateKey:PrivateKey web-01-host-key",
                "seed-web:infra:Host web-01",
                "docker:index/container:Container web-01",
                "random:index/randomPassword:RandomPassword seed-web-db-app-password",
                "seed-web:lemp:BaseSystem web-01-base",
                "seed-web:lemp:PhpFpm web-01-php",
                "seed-web:lemp:WebServer web-01-nginx",
                "seed-web:lemp:Database web-01-database",
                "seed-web:lemp:Site web-01-app",
                "seed-web:lemp:SmokeCheck web-01-smoke",
            ]) {
                assert.ok(names.includes(expected), `missing ${expected}`);
            }
            assert.deepStrictEqual(commands(dev).map((c) => c.name).sort(), [
                "web-01-app", "web-01-base", "web-01-database", "web-01-nginx", "web-01-php", "web-01-smoke",
            ]);
        });

        it("every resource of the WebStack outside its hosts is named after the component (two stacks' components in one program never collide)", async () => {
            const dist = await captureProgram({ raw: readStackFile(stackFilePath("distributed")).raw, stack: "distributed", sshAgentSocket: "/nonexistent/ssh-agent.sock" });
            for (const c of [dev, dist]) {
                const stack = c.resources.find((r) => r.type === "seed-web:index:WebStack")!;
                const hosts = new Set(c.resources.filter((r) => r.type === "seed-web:infra:Host").map((r) => r.urn));
                const under = (r: CapturedResource): boolean => r.parent !== undefined && (hosts.has(r.parent) || under(c.resources.find((x) => x.urn === r.parent) ?? ({} as CapturedResource)));
                const own = c.resources.filter((r) => r.urn !== stack.urn && r.type !== "pulumi:pulumi:Stack" && !hosts.has(r.urn) && !under(r));
                assert.ok(own.length >= 2, own.map((r) => r.name).join(", "));
                assert.deepStrictEqual(own.filter((r) => !r.name.startsWith(`${stack.name}-`)).map((r) => `${r.type} ${r.name}`), []);
            }
        });

        it("the container: Ubuntu image from docker/, SSH/HTTP/HTTPS and MySQL published on localhost, fixed address", () => {
            const image = reveal(byName(dev, "seed-web-docker-image").inputs) as { build: { context: string }; imageName: string; skipPush: boolean };
            assert.strictEqual(path.resolve(image.build.context), path.join(PROJECT_DIR, "docker"));
            assert.ok(fs.existsSync(path.join(image.build.context, "Dockerfile")));
            // the base is a build argument (the e2e suite builds on Debian 12) whose default is Ubuntu 22.04
            assert.match(fs.readFileSync(path.join(image.build.context, "Dockerfile"), "utf8"), /^ARG BASE_IMAGE=ubuntu:jammy-\d{8}(\.\d+)?\nFROM \$\{BASE_IMAGE\}$/m);
            // built for the machine Docker runs on: no platform forced (an arm64 Mac gets an arm64 image)
            assert.strictEqual((image.build as { platform?: string }).platform, undefined);
            assert.strictEqual(image.skipPush, true);
            const c = reveal(byName(dev, "web-01").inputs) as { ports: unknown[]; networksAdvanced: { ipv4Address: string }[]; envs: string[] };
            assert.deepStrictEqual(c.ports, [
                { internal: 22, external: 2222, ip: "127.0.0.1", protocol: "tcp" },
                { internal: 80, external: 8080, ip: "127.0.0.1", protocol: "tcp" },
                { internal: 443, external: 8443, ip: "127.0.0.1", protocol: "tcp" },
                { internal: 3306, external: 3306, ip: "127.0.0.1", protocol: "tcp" },
            ]);
            assert.strictEqual(c.networksAdvanced[0].ipv4Address, "172.30.88.10");
            assert.match(c.envs[0], /^SSH_AUTHORIZED_KEY=ssh-ed25519 /);
        });

        it("every command connects to the container's published SSH port as root with the generated key (secret)", () => {
            for (const cmd of commands(dev)) {
                const conn = cmd.inputs.connection as Record<string, unknown>;
                const plain = reveal(conn) as Record<string, unknown>;
                assert.strictEqual(plain.host, "127.0.0.1");
                assert.strictEqual(plain.port, 2222);
                assert.strictEqual(plain.user, "root");
                assert.match(String(plain.privateKey), /BEGIN OPENSSH PRIVATE KEY/);
                assert.ok(isSecretValue(conn) || isSecretValue(conn.privateKey), `${cmd.name}: key not secret`);
            }
        });

        it("orders the steps: base → php → nginx → app → smoke, base → database → smoke (the app never waits for the database: issue 19)", () => {
            const order = plannedCommands(dev).map((p) => p.name);
            const before = (a: string, b: string) => assert.ok(order.indexOf(a) < order.indexOf(b), `${a} before ${b} in ${order}`);
            before("web-01-base", "web-01-php");
            before("web-01-php", "web-01-nginx");
            before("web-01-nginx", "web-01-app");
            before("web-01-base", "web-01-database");
            before("web-01-database", "web-01-smoke");
            before("web-01-app", "web-01-smoke");
            const after = Object.fromEntries(plannedCommands(dev).map((p) => [p.name, p.after.sort()]));
            assert.deepStrictEqual(after["web-01-app"], ["web-01-nginx"]);
            assert.deepStrictEqual(after["web-01-php"], ["web-01-base"]);
            assert.deepStrictEqual(after["web-01-smoke"], ["web-01-app", "web-01-database"]);
            assert.deepStrictEqual(after["web-01-base"], []);
            // Every step also waits for its host (the container).
            for (const cmd of commands(dev)) assert.ok(cmd.dependsOn.some((u) => u.endsWith("docker:index/container:Container::web-01")), cmd.name);
        });

        it("each step carries its facts and script hash as triggers: the seed's MySQL listens on 0.0.0.0:3306", () => {
            for (const cmd of commands(dev)) {
                const f = facts(cmd);
                assert.strictEqual(f.host, "web-01");
                assert.strictEqual(cmd.name, `web-01-${f.step}`);
                assert.match(String((reveal(cmd.inputs) as { triggers: unknown[] }).triggers[1]), /^[0-9a-f]{64}$/);
            }
            const db = facts(byName(dev, "web-01-database"));
            assert.deepStrictEqual(db, {
                schema: "seed-web.facts/v1", step: "database", host: "web-01", roles: ["web", "app", "db"],
                engine: "auto", bindAddress: "0.0.0.0", port: 3306, name: "app", user: "app", clientHosts: ["localhost"],
                replication: { role: "standalone", serverId: 1 }, tls: false, memoryMb: "auto", bufferPoolMb: "auto",
            });
            // base installs the packages of the host's other steps in one apt transaction
            assert.deepStrictEqual((facts(byName(dev, "web-01-base")) as { preinstall: string[] }).preinstall, ["php", "nginx", "database"]);
            assert.match(String(byName(dev, "web-01-base").inputs.create), /LEMP_PREINSTALL='php nginx database'/);
            const nginx = facts(byName(dev, "web-01-nginx"));
            assert.deepStrictEqual([nginx.step, (nginx as { tls: string }).tls], ["nginx", "none"]);
            assert.match(String(byName(dev, "web-01-database").inputs.create), /LEMP_DB_BIND='0\.0\.0\.0'.*LEMP_DB_PORT='3306'/s);
        });

        it("outputs: DNS records, zone file, site URL, hosts with roles", () => {
            assert.deepStrictEqual(dev.outputs.dnsRecords, [
                { name: "foobar.com.", type: "A", value: "8.8.8.8", ttl: 3600 },
                { name: "www.foobar.com.", type: "CNAME", value: "foobar.com.", ttl: 3600 },
            ]);
            assert.match(String(dev.outputs.zoneFile), /www\.foobar\.com\.\s+3600\s+IN CNAME\s+foobar\.com\./);
            assert.strictEqual(dev.outputs.siteUrl, "http://www.foobar.com/");
            assert.deepStrictEqual((dev.outputs.hosts as { name: string; roles: string[] }[]).map((h) => [h.name, h.roles]), [
                ["web-01", ["web", "app", "db"]],
            ]);
        });
    });

    describe("ssh hosts", () => {
        it("registers no Docker resource and connects to each server's address, port and user", () => {
            assert.ok(!ssh.resources.some((r) => r.type.startsWith("docker:")));
            // the only tls resources: the database CA and the certificate of the database on its own host (TLS between hosts)
            assert.deepStrictEqual(ssh.resources.filter((r) => r.type.startsWith("tls:")).map((r) => r.name).sort(), [
                "db-01-db-tls-cert", "db-01-db-tls-csr", "db-01-db-tls-key", "seed-web-db-ca", "seed-web-db-ca-key",
            ]);
            // the only local commands: each host's key scan (trust on first use, see hostkeys.test.ts)
            assert.deepStrictEqual(ssh.resources.filter((r) => r.type === "command:local:Command").map((r) => r.name), ["web-01-host-key", "db-01-host-key"]);
            const conn = (name: string) => reveal(byName(ssh, name).inputs.connection) as Record<string, unknown>;
            assert.deepStrictEqual([conn("web-01-nginx").host, conn("web-01-nginx").port, conn("web-01-nginx").user], ["198.51.100.10", 22, "ubuntu"]);
            assert.deepStrictEqual([conn("db-01-database").host, conn("db-01-database").port, conn("db-01-database").user], ["198.51.100.11", 2222, "root"]);
            assert.strictEqual(conn("db-01-base").privateKey, SSH_KEY);
        });

        it("runs commands through sudo -n for a non-root user", () => {
            assert.match(String(byName(ssh, "web-01-nginx").inputs.create), /^sudo -n env LEMP_/);
            assert.match(String(byName(ssh, "db-01-database").inputs.create), /^LEMP_DB_BIND=/);
        });

        it("places each step on the host whose roles need it; the smoke check waits for the database on the other host", () => {
            const on = (host: string) => commands(ssh).filter((c) => facts(c).host === host).map((c) => facts(c).step).sort();
            assert.deepStrictEqual(on("web-01"), ["app", "base", "nginx", "php", "smoke"]);
            assert.deepStrictEqual(on("db-01"), ["base", "database"]);
            const app = plannedCommands(ssh).find((p) => p.name === "web-01-app")!;
            assert.deepStrictEqual(app.after.sort(), ["web-01-nginx"]);
            assert.deepStrictEqual(plannedCommands(ssh).find((p) => p.name === "web-01-smoke")!.after.sort(), ["db-01-database", "web-01-app"]);
            assert.deepStrictEqual((facts(byName(ssh, "db-01-database")) as { clientHosts: string[] }).clientHosts, ["10.0.0.10"]);
            assert.match(String(byName(ssh, "web-01-app").inputs.create), /LEMP_DB_HOST='10\.0\.0\.11'/);
        });

        it("uses the SSH agent when no key is configured", async () => {
            const c = await captureProgram({ raw: { hosts: sshTopology }, sshAgentSocket: "/run/user/1000/agent.sock" });
            const conn = reveal(byName(c, "web-01-base").inputs.connection) as Record<string, unknown>;
            assert.strictEqual(conn.agentSocketPath, "/run/user/1000/agent.sock");
            assert.strictEqual(conn.privateKey, undefined);
        });
    });

    describe("bad config", () => {
        it("fails before any resource is registered", async () => {
            let registered = -1;
            await assert.rejects(
                captureProgram({ raw: { publicIp: "999.1.1.1" } }).then((c) => (registered = c.resources.length)),
                /seed-web:publicIp = "999\.1\.1\.1"/,
            );
            assert.strictEqual(registered, -1);
        });
    });

    describe("triggers: a changed setting re-runs the steps it affects, and only those", () => {
        const changedSteps = async (raw: Record<string, string>) => {
            const base = readStackFile(stackFilePath("dev")).raw;
            const other = await captureProgram({ raw: { ...base, ...raw }, stack: "dev" });
            const key = (r: CapturedResource) => JSON.stringify([r.inputs.create, (reveal(r.inputs) as { triggers: unknown }).triggers]);
            return commands(other)
                .filter((c) => key(c) !== key(byName(dev, c.name)))
                .map((c) => c.name)
                .sort();
        };
        it("dbBindAddress: database, and the smoke check after it", async () => {
            assert.deepStrictEqual(await changedSteps({ dbBindAddress: "127.0.0.1" }), ["web-01-database", "web-01-smoke"]);
        });
        it("dbName: database, app and smoke check", async () => {
            assert.deepStrictEqual(await changedSteps({ dbName: "shop" }), ["web-01-app", "web-01-database", "web-01-smoke"]);
        });
        it("domain: nginx, app (document root) and smoke check", async () => {
            assert.deepStrictEqual(await changedSteps({ domain: "example.org" }), ["web-01-app", "web-01-nginx", "web-01-smoke"]);
        });
        it("nothing changed: nothing re-runs", async () => {
            assert.deepStrictEqual(await changedSteps({}), []);
        });
    });

    describe("secrets", () => {
        // Walk every value; a secret may only appear inside a secret wrapper.
        const leaks = (value: unknown, secrets: string[], at: string, found: string[]) => {
            if (isSecretValue(value)) return;
            if (typeof value === "string") {
                for (const s of secrets) if (s && value.includes(s)) found.push(at);
            } else if (Array.isArray(value)) {
                value.forEach((v, i) => leaks(v, secrets, `${at}[${i}]`, found));
            } else if (typeof value === "object" && value !== null) {
                for (const [k, v] of Object.entries(value)) leaks(v, secrets, `${at}.${k}`, found);
            }
        };
        for (const [label, get] of [["dev", () => dev], ["ssh", () => ssh]] as const) {
            it(`${label}: no generated or configured secret appears in plaintext in any resource input or output, or stack output`, () => {
                const c = get();
                assert.ok(c.generatedSecrets.length >= 1);
                const found: string[] = [];
                for (const r of c.resources) {
                    leaks(r.inputs, c.generatedSecrets, `${r.name}.inputs`, found);
                    // Outputs: the provider's own secret outputs (its schema) and the program's additionalSecretOutputs
                    // are stored encrypted; any other output must be free of secrets.
                    const secretOutputs = [...(PROVIDER_SECRET_OUTPUTS[r.type] ?? []), ...r.additionalSecretOutputs];
                    for (const [k, v] of Object.entries(r.state)) {
                        if (!(k in r.inputs) && !secretOutputs.includes(k)) leaks(v, c.generatedSecrets, `${r.name}.state.${k}`, found);
                    }
                }
                for (const [k, v] of Object.entries(c.outputs)) if (!c.secretOutputs.includes(k)) leaks(v, c.generatedSecrets, `output ${k}`, found);
                assert.deepStrictEqual(found, []);
            });
        }
        it("the database password reaches the database and app steps on stdin, as a secret, never in the command text", () => {
            const password = dev.generatedSecrets[0];
            for (const name of ["web-01-database", "web-01-app"]) {
                const cmd = byName(dev, name);
                assert.ok(isSecretValue(cmd.inputs.stdin), `${name}: stdin not secret`);
                assert.strictEqual(reveal(cmd.inputs.stdin), `${password}\n`);
                assert.ok(!String(reveal(cmd.inputs.create)).includes(password));
                assert.strictEqual(cmd.inputs.logging, "none");
            }
            for (const name of ["web-01-base", "web-01-php", "web-01-nginx", "web-01-smoke"]) {
                assert.strictEqual(byName(dev, name).inputs.stdin, undefined, name);
            }
        });
    });

    describe("project files", () => {
        const project = parse(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), "utf8"));
        it("Pulumi.yaml is valid for the Pulumi CLI (its published JSON schema)", () => {
            const schema = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "test", "fixtures", "pulumi-project.schema.json"), "utf8"));
            const validate = new Ajv2020({ strict: false }).compile(schema);
            assert.ok(validate(project), JSON.stringify(validate.errors));
        });
    });
});

// The SSH path (issues #8.2, #8.3, #9.3): host keys verified (configured, trusted on first use, or generated for
// the Docker host), and what a step enables on a host without systemd recorded for the entrypoint.
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigError, loadConfig } from "../../lib/config";
import { REMOTE_COMMAND_TYPE } from "@seed-web/facts";
import { DOCKER_HOST_KEY_PATH, hostKeyScanCommand } from "../../components/host";
import { Capture, captureProgram, isSecretValue, mockPublicKey, reveal } from "../../tools/capture";
import { readStackFile, stackFilePath } from "../../tools/stack-config";
import { PROJECT_DIR } from "../../lib/root";

const ROOT = PROJECT_DIR;
const SSH_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbC1mb3ItdGVzdHM=\n-----END OPENSSH PRIVATE KEY-----\n";

const ED25519 = mockPublicKey("ssh-ed25519");

const sshHosts = (extra: Record<string, unknown> = {}) =>
    JSON.stringify([
        { name: "web-01", roles: ["web", "app", "db"], connection: { type: "ssh", address: "198.51.100.10", port: 2200, ...extra } },
    ]);
const commands = (c: Capture) => c.resources.filter((r) => r.type === REMOTE_COMMAND_TYPE);
const conn = (r: { inputs: Record<string, unknown> }) => reveal(r.inputs.connection) as Record<string, unknown>;

describe("ssh: host keys", () => {
    describe("config: hostKey", () => {
        it("accepts an OpenSSH public key line (comment dropped) for each key type", () => {
            for (const type of ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"]) {
                const line = mockPublicKey(type, 64);
                const c = loadConfig({ hosts: sshHosts({ hostKey: `${line} root@web-01` }), sshPrivateKey: "K" });
                assert.strictEqual((c.hosts[0].connection as { hostKey?: string }).hostKey, line);
            }
            const none = loadConfig({ hosts: sshHosts(), sshPrivateKey: "K" });
            assert.strictEqual((none.hosts[0].connection as { hostKey?: string }).hostKey, undefined);
        });

        it("refuses a pinned ssh-rsa key at config time, naming the key and the way forward (Ed25519 or ECDSA)", () => {
            const rsa = mockPublicKey("ssh-rsa", 260);
            assert.throws(
                () => loadConfig({ hosts: sshHosts({ hostKey: `${rsa} root@web-01` }), sshPrivateKey: "K" }),
                (e: unknown) =>
                    e instanceof ConfigError && e.key === "hosts[0].connection.hostKey" &&
                    /ssh-rsa host key cannot work: .*SHA-1 "ssh-rsa" signatures, which OpenSSH 8\.8 and later refuse\. Pin the server's Ed25519 or ECDSA key instead \(ssh-keyscan -t ed25519,ecdsa HOST\)/.test(e.message),
            );
        });

        it("refuses what is not a host key, naming the key", () => {
            for (const bad of [
                "not a key",
                "ssh-ed25519",
                "ssh-ed25519 !!!notbase64",
                "ssh-dss " + mockPublicKey("ssh-dss").split(" ")[1],
                "ssh-ed25519 " + mockPublicKey("ssh-rsa").split(" ")[1], // blob of another type
                "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5", // truncated
                "-----BEGIN OPENSSH PRIVATE KEY-----",
                42,
            ]) {
                assert.throws(
                    () => loadConfig({ hosts: sshHosts({ hostKey: bad }), sshPrivateKey: "K" }),
                    (e: unknown) => e instanceof ConfigError && e.key === "hosts[0].connection.hostKey" && /OpenSSH public key line/.test(e.message),
                    `accepted ${JSON.stringify(bad)}`,
                );
            }
        });
    });

    describe("ssh hosts", () => {
        it("with hostKey configured: every command pins it, nothing is scanned", async () => {
            const c = await captureProgram({ raw: { hosts: sshHosts({ hostKey: `${ED25519} comment` }) }, secrets: { sshPrivateKey: SSH_KEY } });
            assert.ok(commands(c).length >= 5);
            for (const cmd of commands(c)) assert.strictEqual(conn(cmd).hostKey, ED25519, cmd.name);
            assert.ok(!c.resources.some((r) => r.type === "command:local:Command"));
        });

        it("without: trust on first use, the key scanned once (triggered by address and port) pins every command", async () => {
            const scans: string[] = [];
            const seen = mockPublicKey("ecdsa-sha2-nistp256", 65);
            const c = await captureProgram({
                raw: { hosts: sshHosts() },
                secrets: { sshPrivateKey: SSH_KEY },
                localCommand: (create) => (scans.push(create), `${seen}\n`),
            });
            const scan = c.resources.find((r) => r.type === "command:local:Command");
            assert.ok(scan, "no host key scan");
            assert.strictEqual(scan.name, "web-01-host-key");
            assert.ok(scan.parent?.endsWith("seed-web:infra:Host::web-01"), scan.parent);
            assert.deepStrictEqual(reveal(scan.inputs.triggers), ["198.51.100.10", 2200]);
            assert.strictEqual(scans.length, 1);
            assert.match(scans[0], /ssh-keyscan .*-p 2200 .*'198\.51\.100\.10'/);
            for (const cmd of commands(c)) assert.strictEqual(conn(cmd).hostKey, seen, cmd.name);
        });

        it("the scan pins the key type the provider's SSH client negotiates, and names the host when none answers", () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-keyscan-"));
            try {
                const ecdsa = mockPublicKey("ecdsa-sha2-nistp256", 65);
                const fake = (lines: string[]) =>
                    fs.writeFileSync(path.join(dir, "ssh-keyscan"), `#!/bin/sh\ncat <<'EOF'\n${lines.join("\n")}\nEOF\n`, { mode: 0o755 });
                const run = () =>
                    execFileSync("sh", ["-c", hostKeyScanCommand("web-01", "198.51.100.10", 2200)], {
                        encoding: "utf8",
                        env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
                        stdio: ["ignore", "pipe", "pipe"],
                    });
                fake(["# a comment", `[198.51.100.10]:2200 ${ED25519}`, `[198.51.100.10]:2200 ${ecdsa}`]);
                assert.strictEqual(run(), `${ecdsa}\n`);
                fake([`[198.51.100.10]:2200 ${ED25519}`]);
                assert.strictEqual(run(), `${ED25519}\n`);
                // an RSA key is never pinned (SHA-1 "ssh-rsa" only): the Ed25519 one, and an RSA-only server is an error
                const rsa = mockPublicKey("ssh-rsa", 260);
                fake([`[198.51.100.10]:2200 ${rsa}`, `[198.51.100.10]:2200 ${ED25519}`]);
                assert.strictEqual(run(), `${ED25519}\n`);
                fake([`[198.51.100.10]:2200 ${rsa}`]);
                assert.throws(run, (e: unknown) => /no SSH host key from .* an RSA key alone is not enough/.test(String((e as { stderr: string }).stderr)));
                fake([]);
                assert.throws(run, (e: unknown) => /host web-01: no SSH host key from 198\.51\.100\.10 port 2200/.test(String((e as { stderr: string }).stderr)));
            } finally {
                fs.rmSync(dir, { recursive: true });
            }
        });
    });

    describe("the Docker host", () => {
        let dev: Capture;
        before(async () => {
            dev = await captureProgram({ raw: readStackFile(stackFilePath("dev")).raw, stack: "dev" });
        });

        it("its host key is generated (tls, Ed25519), uploaded as a secret, and pinned by every command", () => {
            const key = dev.resources.find((r) => r.name === "web-01-host-key")!;
            assert.strictEqual(key.type, "tls:index/privateKey:PrivateKey");
            assert.strictEqual(reveal(key.inputs.algorithm), "ED25519");
            const container = dev.resources.find((r) => r.type === "docker:index/container:Container")!;
            const wrapped = container.inputs.uploads as { value: unknown } | Record<string, unknown>[];
            assert.ok(isSecretValue(wrapped) || isSecretValue((wrapped as Record<string, unknown>[])[0].content), "the uploaded host key is not secret");
            const uploads = reveal(wrapped) as Record<string, unknown>[];
            assert.strictEqual(uploads.length, 1);
            assert.deepStrictEqual([uploads[0].file, uploads[0].permissions], [DOCKER_HOST_KEY_PATH, "0600"]);
            assert.strictEqual(uploads[0].content, key.state.privateKeyOpenssh);
            const pub = String(key.state.publicKeyOpenssh).trim();
            for (const cmd of commands(dev)) assert.strictEqual(conn(cmd).hostKey, pub, cmd.name);
            assert.ok(!dev.resources.some((r) => r.type === "command:local:Command"), "a Docker host needs no scan");
        });

        it("the client key pair comes from tls too: its public half authorised in the container, the private one secret", () => {
            const key = dev.resources.find((r) => r.name === "seed-web-docker-ssh-key")!;
            assert.strictEqual(key.type, "tls:index/privateKey:PrivateKey");
            const container = reveal(dev.resources.find((r) => r.type === "docker:index/container:Container")!.inputs) as { envs: string[] };
            assert.deepStrictEqual(container.envs, [`SSH_AUTHORIZED_KEY=${String(key.state.publicKeyOpenssh).trim()}`]);
            for (const cmd of commands(dev)) {
                assert.strictEqual(conn(cmd).privateKey, key.state.privateKeyOpenssh);
                const c = cmd.inputs.connection as Record<string, unknown>;
                assert.ok(isSecretValue(c) || isSecretValue(c.privateKey), `${cmd.name}: key not secret`);
            }
        });

        it("the entrypoint makes the uploaded key sshd's only host key", () => {
            const entry = fs.readFileSync(path.join(ROOT, "docker", "entrypoint.sh"), "utf8");
            assert.ok(entry.includes(`HOST_KEY=${DOCKER_HOST_KEY_PATH}`));
            assert.match(entry, /printf 'HostKey %s\\n' "\$HOST_KEY" >\/etc\/ssh\/sshd_config\.d\//);
        });
    });
});

describe("services without systemd: recorded for the entrypoint", () => {
    it("lemp_service_enable_start records each service once, in the order first enabled, leaving the state directory's mode", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-boot-"));
        try {
            // a stub \`service\`: "status" says stopped, "start" succeeds
            const script = `
                set -euo pipefail
                . "$1/scripts/lib.sh"
                D=$2 LEMP_STATE_DIR=$2/state LEMP_BOOT_SERVICES=$2/state/boot-services
                install -d -m 0700 "$LEMP_STATE_DIR"   # as base.sh and database.sh leave it
                lemp_has_systemd() { return 1; }
                service() { echo "$*" >>"$D/calls"; [ "$2" != status ]; }
                lemp_service_enable_start mariadb
                lemp_service_enable_start cron
                lemp_service_enable_start mariadb
                lemp_service_enable_start prometheus-node-exporter
                echo "changed=$LEMP_CHANGED"
            `;
            const out = execFileSync("bash", ["-c", script, "x", ROOT, dir], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
            assert.strictEqual(fs.readFileSync(path.join(dir, "state", "boot-services"), "utf8"), "mariadb\ncron\nprometheus-node-exporter\n");
            assert.match(out, /changed=\d+/);
            // the state directory keeps its mode: a second apply must change nothing (database.sh checks it)
            assert.strictEqual(fs.statSync(path.join(dir, "state")).mode & 0o777, 0o700);
        } finally {
            fs.rmSync(dir, { recursive: true });
        }
    });
});

describe("firewall.sh: the SSH session it runs over must survive (its settings checks only, LEMP_CHECK_ONLY=1)", () => {
    // Run as sshd + `sudo -n env …` would: SSH_CONNECTION only in an ancestor's environment (the login shell), not in
    // the step's own. The step reads it from /proc, as it must on a host reached by a non-root user.
    const release = path.join(os.tmpdir(), `seed-web-fw-os-release-${process.pid}`);
    before(() => fs.writeFileSync(release, 'ID=ubuntu\nVERSION_ID="22.04"\n'));
    after(() => fs.rmSync(release, { force: true }));
    const check = (rules: string, connection: string) =>
        execFileSync("bash", ["-c", 'env -u SSH_CONNECTION bash "$1/scripts/firewall.sh"; echo "rc=$?"', "x", ROOT], {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
            env: { PATH: process.env.PATH, SSH_CONNECTION: connection, LEMP_CHECK_ONLY: "1", LEMP_OS_RELEASE: release, LEMP_FW_RULES: rules },
        });

    it("refuses (exit 4, nothing changed) a session on a port the rules would close, found in an ancestor's environment", () => {
        const out = check("22/tcp:any 80/tcp:any", "10.200.0.1 40000 10.200.0.141 2999");
        assert.match(out, /rc=4$/m);
        assert.doesNotMatch(out, /inputs_checked=1/);
    });

    it("accepts a session the rules keep: the port from anywhere, or from a network holding the client (CIDR)", () => {
        assert.match(check("22/tcp:any", "10.200.0.1 40000 10.200.0.141 22"), /inputs_checked=1\nrc=0\n$/);
        assert.match(check("2999/tcp:10.200.0.7/24", "10.200.0.1 40000 10.200.0.141 2999"), /inputs_checked=1\nrc=0\n$/);
        assert.match(check("2999/tcp:10.200.0.7/24 22/tcp:any", "10.201.0.1 40000 10.200.0.141 2999"), /rc=4$/m);
        assert.match(check("2999/tcp:10.200.0.1", "10.200.0.1 40000 10.200.0.141 2999"), /inputs_checked=1\nrc=0\n$/);
    });
});

// The Docker host's build and the capture's SSH keys, as the end-to-end suite's real Docker engine needs them
// (issue #10.1): the image's base is a build argument that defaults to the target OS, the entrypoint keeps a system
// log, and the mocked Ed25519 keys are real key pairs OpenSSH accepts (the container's sshd loads the host key, the
// suite logs in with the client key).
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DOCKER_STOP_TIMEOUT_SECONDS } from "../../components/host";
import { PROJECT_DIR } from "../../lib/root";
import { captureProgram, mockEd25519, plannedCommands, reveal } from "../../tools/capture";
import { readStackFile, stackFilePath } from "../../tools/stack-config";

const ROOT = PROJECT_DIR; // the source tree, also when this runs compiled from bin/

describe("docker: the Docker host's image and keys", () => {
    it("docker/Dockerfile takes its base image as a build argument whose default stays Ubuntu 22.04, pinned to a dated snapshot; no platform forced", () => {
        const text = fs.readFileSync(path.join(ROOT, "docker", "Dockerfile"), "utf8");
        const lines = text.split("\n").filter((l) => /^\s*(ARG|FROM)\b/.test(l));
        assert.match(lines[0], /^ARG BASE_IMAGE=ubuntu:jammy-20\d{6}(\.\d+)?$/);   // jammy = 22.04
        assert.strictEqual(lines[1], "FROM ${BASE_IMAGE}");
        assert.doesNotMatch(text, /^FROM --platform|linux\/amd64/m);
        assert.strictEqual(lines.filter((l) => l.startsWith("FROM")).length, 1);
        assert.match(text, /apt-get install[^\n]*\brsyslog\b/, "the image has a system log");
    });

    it("the entrypoint starts the system log before the firewall and the services, and stops it after them", () => {
        const text = fs.readFileSync(path.join(ROOT, "docker", "entrypoint.sh"), "utf8");
        const start = text.indexOf("if /usr/sbin/rsyslogd");
        assert.ok(start > 0, "the entrypoint starts rsyslogd");
        assert.ok(start < text.indexOf("ufw --force enable") && start < text.indexOf('service "$s" start'), "rsyslogd starts first");
        const stop = text.slice(text.indexOf("stop_all() {"));
        assert.ok(stop.indexOf('kill -TERM "$syslog_pid"') > stop.indexOf('service "${services[i]}" stop'), "rsyslogd stops last");
    });

    it("the mocked Ed25519 keys are real: OpenSSH derives the public key line from the private key", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-ed25519-"));
        try {
            const seen = new Set<string>();
            for (let i = 0; i < 3; i++) {
                const key = mockEd25519();
                const file = path.join(dir, `k${i}`);
                fs.writeFileSync(file, key.privateKeyOpenssh, { mode: 0o600 });
                const pub = execFileSync("ssh-keygen", ["-y", "-f", file], { encoding: "utf8" }).trim();
                assert.strictEqual(pub, key.publicKeyOpenssh);
                assert.match(key.privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);
                seen.add(key.publicKeyOpenssh);
            }
            assert.strictEqual(seen.size, 3, "a new key each time");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("the dev stack's commands carry the client key whose public half the container authorises, and pin its host key", async () => {
        const dev = await captureProgram({ raw: readStackFile(stackFilePath("dev")).raw, stack: "dev" });
        const container = reveal(dev.resources.find((r) => r.type === "docker:index/container:Container")!.inputs) as {
            envs: string[];
            uploads: { content: string }[];
        };
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-ed25519-"));
        try {
            for (const p of plannedCommands(dev)) {
                assert.ok(p.privateKey, `${p.name}: the plan carries the connection's key`);
                fs.writeFileSync(path.join(dir, "client"), p.privateKey!, { mode: 0o600 });
                const client = execFileSync("ssh-keygen", ["-y", "-f", path.join(dir, "client")], { encoding: "utf8" }).trim();
                assert.deepStrictEqual(container.envs, [`SSH_AUTHORIZED_KEY=${client}`]);
                fs.writeFileSync(path.join(dir, "host"), container.uploads[0].content, { mode: 0o600 });
                const host = execFileSync("ssh-keygen", ["-y", "-f", path.join(dir, "host")], { encoding: "utf8" }).trim();
                assert.strictEqual(p.hostKey, host);
            }
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("docker stop waits long enough for the entrypoint to shut the database down (not Docker's 10 s default)", async () => {
        const dev = await captureProgram({ raw: readStackFile(stackFilePath("dev")).raw, stack: "dev" });
        const container = reveal(dev.resources.find((r) => r.type === "docker:index/container:Container")!.inputs) as { stopTimeout?: number };
        assert.strictEqual(container.stopTimeout, DOCKER_STOP_TIMEOUT_SECONDS);
        assert.ok(DOCKER_STOP_TIMEOUT_SECONDS >= 30);
    });
});

// `verify --stack dev` (issue #23): the dev stack's Docker host has a generated host key and client key that only the
// state holds. The program exports them (the host key public, the client key secret), verify reads them from
// `pulumi stack output --json --show-secrets` (--stack-outputs FILE|-), and reaches the container as the program
// does: its sshd on the published port, the host key pinned; from the runner only the ports it publishes.

import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as path from "path";
import { PROJECT_DIR } from "../../lib/root";
import { captureProgram } from "../../tools/capture";
import { readStackFile, stackFilePath } from "../../tools/stack-config";
import type { HostTarget, RunnerProbe } from "../../tools/verify/observe";
import { runnerProbe, sshArgs } from "../../tools/verify/probe";
import { runVerify, verifyExitCode } from "../../tools/verify/run";
import { parseStackOutputs, StackOutputsError } from "../../tools/verify/stack-outputs";
import { plainHttp } from "./verify-fixtures";

const ROOT = PROJECT_DIR;
const DEV = stackFilePath("dev");

/** The dev stack's outputs as `pulumi stack output --json --show-secrets` prints them (secrets in clear). */
async function devOutputs(): Promise<{ json: string; hostKey: string; privateKey: string; secretOutputs: string[] }> {
    const c = await captureProgram({ raw: readStackFile(DEV).raw, stack: "dev" });
    const hosts = c.outputs.hosts as { name: string; hostKey: string }[];
    return { json: JSON.stringify(c.outputs), hostKey: hosts[0].hostKey, privateKey: c.outputs.sshPrivateKey as string, secretOutputs: c.secretOutputs };
}

describe("verify --stack dev: the Docker host's keys from the stack's outputs", function () {
    this.timeout(60_000);

    it("the program exports each host's SSH host key (public) and the Docker hosts' client key (secret only)", async () => {
        const o = await devOutputs();
        assert.match(o.hostKey, /^ssh-ed25519 [A-Za-z0-9+/]+=*$/);
        assert.match(o.privateKey, /^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
        assert.ok(o.secretOutputs.includes("sshPrivateKey"), "the client key is a secret output");
        assert.ok(!o.secretOutputs.includes("hosts"), "the host keys are public");
        // an SSH-only stack has no client key to export
        const hardened = await captureProgram({ raw: readStackFile(stackFilePath("hardened")).raw, stack: "hardened", secrets: { sshPrivateKey: "K" } });
        assert.strictEqual(hardened.outputs.sshPrivateKey, undefined);
        assert.ok((hardened.outputs.hosts as { hostKey?: string }[]).every((h) => typeof h.hostKey === "string" && h.hostKey.length > 0));
    });

    it("runVerify with the outputs: the container reached on 127.0.0.1:2222 with its host key pinned and the client key in a private file, removed afterwards; the runner only on the published ports", async () => {
        const o = await devOutputs();
        const seen: { target?: HostTarget; keyText?: string; keyMode?: number; published?: Record<number, number> } = {};
        const r = await runVerify({
            configFile: DEV,
            stack: "dev",
            stackOutputs: { text: o.json, where: "--stack-outputs (stdin)" },
            probes: {
                ssh: async (h) => {
                    seen.target = { ...h };
                    seen.keyText = fs.readFileSync(h.identity!, "utf8");
                    seen.keyMode = fs.statSync(h.identity!).mode & 0o777;
                    throw new (await import("../../tools/verify/probe")).HostUnreachable("recorded: not dialed");
                },
                runner: async (_address: string, _servername: string, opts: { published?: Record<number, number> }): Promise<RunnerProbe> => {
                    seen.published = opts.published;
                    return plainHttp;
                },
            },
        });
        assert.strictEqual(seen.target!.address, "127.0.0.1");
        assert.strictEqual(seen.target!.port, 2222);
        assert.strictEqual(seen.target!.user, "root");
        assert.strictEqual(seen.target!.hostKey, o.hostKey);
        assert.strictEqual(seen.keyText, o.privateKey);
        assert.strictEqual(seen.keyMode, 0o600);
        assert.ok(!fs.existsSync(seen.target!.identity!), "the key file is removed when verify ends");
        assert.ok(!fs.existsSync(path.dirname(seen.target!.identity!)));
        assert.deepStrictEqual(seen.published, { 22: 2222, 80: 8080, 443: 8443, 3306: 3306 });
        assert.strictEqual(verifyExitCode(r), 3);
        // ssh pins the key under the name ssh looks up for a non-22 port, and logs in with that key only
        const args = sshArgs(seen.target!, {});
        assert.ok(args.includes("-i") && args.includes("IdentitiesOnly=yes"));
        const pin = fs.readFileSync(args.find((a) => a.startsWith("UserKnownHostsFile="))!.slice("UserKnownHostsFile=".length), "utf8");
        assert.strictEqual(pin, `[127.0.0.1]:2222 ${o.hostKey}\n`);
    });

    it("without the outputs nothing is pinned or given for the container (ssh's known_hosts and agent only)", async () => {
        let target: HostTarget | undefined;
        await runVerify({
            configFile: DEV,
            stack: "dev",
            identity: __filename,
            probes: { ssh: async (h) => ((target = h), Promise.reject(new (await import("../../tools/verify/probe")).HostUnreachable("x"))), runner: async () => plainHttp },
        });
        assert.strictEqual(target!.hostKey, undefined);
        assert.strictEqual(target!.identity, undefined);
    });

    it("refuses outputs that are not this stack's, hidden secrets and malformed keys, never showing the key", async () => {
        const o = await devOutputs();
        const doc = JSON.parse(o.json);
        const cases: [unknown, RegExp][] = [
            ["not json", /not JSON; give the output of `pulumi stack output --json --show-secrets`/],
            [{ siteUrl: "x" }, /no "hosts" list: not the outputs of a seed-web stack/],
            [{ ...doc, hosts: [{ name: "web-02", hostKey: o.hostKey }] }, /host web-02 is not in the stack file \(its hosts: web-01\): the outputs of another stack\?/],
            [{ ...doc, sshPrivateKey: "[secret]" }, /sshPrivateKey is hidden \("\[secret\]"\): add --show-secrets/],
            [{ ...doc, sshPrivateKey: o.privateKey.replace("OPENSSH", "RSA") }, /sshPrivateKey \(value not shown\): not an OpenSSH private key/],
            [{ ...doc, hosts: [{ name: "web-01", hostKey: "ssh-ed25519 AAAA; rm -rf /" }] }, /hosts\[0\] \(web-01\)\.hostKey: not an SSH public key/],
        ];
        for (const [value, re] of cases) {
            const text = typeof value === "string" ? value : JSON.stringify(value);
            assert.throws(() => parseStackOutputs(text, "--stack-outputs f.json", ["web-01"]), (e: Error) => {
                assert.ok(e instanceof StackOutputsError);
                assert.match(e.message, re);
                assert.ok(!e.message.includes(o.privateKey.split("\n")[1]), "the private key never appears in a message");
                return true;
            });
        }
    });

    it("runnerProbe with a port map: connects to the published port, and a port not published is closed without a connection", async () => {
        const server = http.createServer((_req, res) => res.writeHead(301, { Location: "https://foobar.com/" }).end());
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        const port = (server.address() as net.AddressInfo).port;
        try {
            const r = await runnerProbe("127.0.0.1", "foobar.com", { ports: [3306], published: { 80: port } });
            assert.deepStrictEqual(r.ports, { 22: false, 80: true, 443: false, 3306: false });
            assert.deepStrictEqual(r.http, { status: 301, location: "https://foobar.com/" });
        } finally {
            server.close();
        }
    });

    it("the CLI reads the outputs from stdin (--stack-outputs -) and refuses a hidden secret with exit 2", () => {
        const r = spawnSync(process.execPath, [path.join(ROOT, "tools", "run.js"), "tools/verify.ts", "--stack", "dev", "--stack-outputs", "-"], {
            cwd: ROOT, encoding: "utf8", input: JSON.stringify({ hosts: [{ name: "web-01" }], sshPrivateKey: "[secret]" }),
            env: { ...process.env, NODE_OPTIONS: "", SSH_AUTH_SOCK: "" },
        });
        assert.strictEqual(r.status, 2, r.stderr);
        assert.match(r.stderr, /--stack-outputs \(stdin\): sshPrivateKey is hidden/);
    });
});


// verify tells the truth (issue #23): `passed` is exit code 0; exit codes rank 5 > 3 > 6; no "Drift: none" when a host
// was not reached; --host matches exact host names; what a host answers is shown escaped; a huge answer is capped.
// Offline: runVerify over a stack file with recorded probe answers (the probes replaced), sshProbe with a fake `ssh`.

import * as assert from "assert";
import Ajv from "ajv";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { formatVerifyText, printable, toVerifyJson } from "../../tools/verify/report";
import { runVerify, VerifyResult, verifyExitCode } from "../../tools/verify/run";
import { HostUnreachable, sshProbe } from "../../tools/verify/probe";
import type { HostTarget, RunnerProbe } from "../../tools/verify/observe";
import { HAND_BUILT, HARDENED, plainHttp, selfSignedTls } from "./verify-fixtures";
import { PROJECT_DIR } from "../../lib/root";

const SCHEMA = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "test", "fixtures", "verify-report.schema.json"), "utf8"));
const validate = new Ajv({ allErrors: true, strict: true }).compile(SCHEMA);
/** verify's JSON report, checked against its schema (test/fixtures/verify-report.schema.json). */
function json(r: VerifyResult): { passed: boolean; verify: { exitCode: number } } {
    const out = JSON.parse(JSON.stringify(toVerifyJson(r)));
    assert.ok(validate(out), JSON.stringify(validate.errors, null, 2));
    return out as { passed: boolean; verify: { exitCode: number } };
}

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
let dir: string;
before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-verify-truth-"))));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A stack file listing only hosts (a server built by hand), or with the hardened settings. */
function stackFile(name: string, hosts: { name: string; ip: string; roles: string[] }[], settings: string[] = []): string {
    const lines = ["config:", ...settings.map((s) => `  seed-web:${s}`), "  seed-web:hosts:"];
    for (const h of hosts) lines.push(`    - ${JSON.stringify({ name: h.name, roles: h.roles, connection: { type: "ssh", address: h.ip, user: "root", hostKey: KEY } })}`);
    const file = path.join(dir, `Pulumi.${name}.yaml`);
    fs.writeFileSync(file, lines.join("\n") + "\n");
    return file;
}

/** runVerify with recorded answers: per address the probe's text (undefined = unreachable) and the runner's view. */
function recorded(answers: Record<string, { text?: string; runner: RunnerProbe }>) {
    return {
        ssh: async (h: HostTarget) => {
            const a = answers[h.address];
            if (!a?.text) throw new HostUnreachable(`root@${h.address}:22: ssh: connect to host ${h.address} port 22: No route to host`);
            return a.text;
        },
        runner: async (address: string) => answers[address]?.runner ?? { ports: {} },
    };
}

const HARDENED_SETTINGS = ["firewall: true", "tls: self-signed", "dbBindAddress: 127.0.0.1", "monitoring: true", "backups: true"];

describe("verify tells the truth: exit codes, passed, drift text", function () {
    this.timeout(60_000);

    it("the only host unreachable: exit 3, `passed` false, and the drift 'not checked', never 'none'", async () => {
        const file = stackFile("gone", [{ name: "web-01", ip: "10.200.0.238", roles: ["web", "app", "db"] }], HARDENED_SETTINGS);
        const r = await runVerify({ configFile: file, identity: __filename, probes: recorded({}) });
        assert.strictEqual(verifyExitCode(r), 3);
        const report = json(r) as { passed: boolean; counts: { mandatory: number }; verify: { exitCode: number; driftChecked: boolean } };
        assert.strictEqual(report.counts.mandatory, 0);
        assert.strictEqual(report.passed, false, "passed must mean exit code 0");
        assert.strictEqual(report.verify.driftChecked, false);
        const text = formatVerifyText(r);
        assert.doesNotMatch(text, /Drift: none/);
        assert.match(text, /^Drift: not checked \(1 host unreachable: web-01\)\.$/m);
    });

    it("a mandatory violation on a host reached outranks another host unreachable (5 > 3), which outranks drift (3 > 6)", async () => {
        const file = stackFile("mixed", [
            { name: "hand", ip: "10.200.0.237", roles: ["web", "app"] },
            { name: "gone", ip: "10.200.0.238", roles: ["db"] },
        ]);
        const r = await runVerify({ configFile: file, identity: __filename, probes: recorded({ "10.200.0.237": { text: HAND_BUILT, runner: plainHttp } }) });
        assert.ok(r.live.violations.some((v) => v.level === "mandatory" && v.resourceName.startsWith("hand-")));
        assert.strictEqual(verifyExitCode(r), 5, "an unreachable host must not hide the mandatory violations of the one reached");
        const drift = { host: "hard", step: "firewall" as const, fact: "firewall", declared: "x", observed: "y", urn: "" };
        const base: VerifyResult = { ...r, live: { ...r.live, violations: [] } };
        assert.strictEqual(verifyExitCode({ ...base, drift: [drift] }), 3);
        assert.strictEqual((json({ ...base, drift: [drift] }) as { passed: boolean }).passed, false);
        // drift on a host reached and another unreachable: both said
        assert.match(formatVerifyText({ ...base, handBuilt: false, drift: [drift] }), /^Drift: 1 declared fact contradicted by the hosts; not checked on 1 host \(unreachable: gone\):\n    - hard firewall: declared: x; observed: y$/m);
        const reached: VerifyResult = { ...base, hosts: base.hosts.filter((h) => h.reachable), drift: [drift] };
        assert.strictEqual(verifyExitCode(reached), 6);
        assert.strictEqual((json(reached) as { passed: boolean }).passed, false, "drift: not passed");
        const clean: VerifyResult = { ...reached, drift: [] };
        assert.strictEqual(verifyExitCode(clean), 0);
        assert.strictEqual((json(clean) as { passed: boolean }).passed, true);
    });

    it("--host web-2 keeps web-2's own violations when another host is named web (exact names, not prefixes)", async () => {
        const file = stackFile("prefix", [
            { name: "web", ip: "10.200.0.236", roles: ["db"] },
            { name: "web-2", ip: "10.200.0.237", roles: ["web", "app"] },
        ]);
        const probes = recorded({ "10.200.0.236": { text: HARDENED, runner: selfSignedTls() }, "10.200.0.237": { text: HAND_BUILT, runner: plainHttp } });
        const r = await runVerify({ configFile: file, identity: __filename, hosts: ["web-2"], probes });
        assert.deepStrictEqual(r.hosts.map((h) => h.name), ["web-2"]);
        assert.strictEqual(json(r).verify.exitCode, 5);
        const mandatory = r.live.violations.filter((v) => v.level === "mandatory").map((v) => `${v.policy} ${v.resourceName}`).sort();
        assert.deepStrictEqual(mandatory, ["database-not-exposed web-2-database", "firewall-required web-2-base", "https-required web-2-nginx"]);
        assert.strictEqual(verifyExitCode(r), 5);
        // and --host web drops web-2's verdicts, keeps web's
        const w = await runVerify({ configFile: file, identity: __filename, hosts: ["web"], probes });
        assert.ok(w.live.violations.every((v) => !v.resourceName.startsWith("web-2-")), w.live.violations.map((v) => v.resourceName).join(", "));
    });
});

describe("verify tells the truth: a host's text shown escaped, its answer bounded", function () {
    this.timeout(60_000);

    it("escape sequences in ssh's stderr, the probe's output and a certificate's names never reach the terminal", async () => {
        const ESC = "\x1b[2K\x1b[1A\r";
        const file = stackFile("hostile", [
            { name: "evil", ip: "10.200.0.235", roles: ["web", "app"] },
            { name: "down", ip: "10.200.0.234", roles: ["db"] },
        ], ["firewall: true", "tls: self-signed", "monitoring: true", "backups: true"]);
        const tls = selfSignedTls();
        tls.tls!.certificate!.names = [`foobar.com${ESC}\u202e`];
        const text = HARDENED.replace("Status: active", `Status: inactive${ESC}`).replace("127.0.0.1 250", `127.0.0.1${ESC} 0`);
        const probes = recorded({ "10.200.0.235": { text, runner: tls } });
        const ssh = probes.ssh;
        probes.ssh = async (h: HostTarget) => {
            if (h.name === "down") throw new HostUnreachable(`root@${h.address}:22: Permission denied${ESC}\x9b2J`);
            return ssh(h);
        };
        const r = await runVerify({ configFile: file, identity: __filename, probes });
        json(r); // the schema holds with the host's text in it
        const out = formatVerifyText(r);
        // eslint-disable-next-line no-control-regex
        assert.doesNotMatch(out, /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]/, "a control character reached the text");
        assert.match(out, /Permission denied\\x1b\[2K\\x1b\[1A\\x0d\\x9b2J/);
        assert.match(out, /foobar\.com\\x1b\[2K\\x1b\[1A\\x0d\\u\{202e\}/);
        assert.strictEqual(printable("a\tb\nc é ✅"), "a\tb\nc é ✅", "tabs, newlines and plain Unicode stay");
    });

    it("a huge answer is cut at the cap and the host reported as not checked (no crash)", async () => {
        const bin = fs.mkdtempSync(path.join(dir, "bin-"));
        // a fake ssh answering with 600 MB (more than a JavaScript string holds: the old reader died of it)
        fs.writeFileSync(path.join(bin, "ssh"), "#!/bin/sh\ncat >/dev/null\nexec head -c 600000000 /dev/zero\n", { mode: 0o755 });
        const saved = process.env.PATH;
        process.env.PATH = `${bin}:${saved}`;
        try {
            const h: HostTarget = { name: "big", roles: ["web"], address: "10.200.0.233", port: 22, user: "root", privateAddress: "10.200.0.233", hostKey: KEY };
            const t = Date.now();
            await assert.rejects(sshProbe(h, { identity: __filename, maxBytes: 1024 * 1024 }), (e: Error) => e instanceof HostUnreachable && /exceeds 1048576 bytes/.test(e.message));
            assert.ok(Date.now() - t < 10_000, `took ${Date.now() - t} ms`);
            // the default cap too (16 MiB)
            await assert.rejects(sshProbe(h, { identity: __filename }), (e: Error) => /exceeds 16777216 bytes/.test(e.message));
        } finally {
            process.env.PATH = saved;
        }
    });
});

describe("verify's JSON report has a schema (test/fixtures/verify-report.schema.json)", () => {
    it("the schema refuses what verify never writes: an unknown key, a passed that is not boolean, an exit code it has no", () => {
        const ok = { version: 1, stack: "s", stackFile: "f", preview: false, policyPack: { name: "n", version: "1", path: "p" }, policyConfigFile: null, policies: [], resources: 1, violations: [],
            counts: { mandatory: 0, advisory: 0, total: 0 }, passed: true, verify: { handBuilt: false, exitCode: 0, driftChecked: true, hosts: [], drift: [], unreachable: [] } };
        assert.ok(validate(ok), JSON.stringify(validate.errors));
        assert.ok(!validate({ ...ok, extra: 1 }));
        assert.ok(!validate({ ...ok, verify: { ...ok.verify, exitCode: 4 } }));
        assert.ok(!validate({ ...ok, verify: { ...ok.verify, driftChecked: undefined } }));
    });
});

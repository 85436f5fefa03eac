// verify (issue #12) on the test hosts: stack files that point at them with their host keys pinned, verify run in
// process (tools/verify/run.ts) or as the CLI (tools/verify.ts), and short forms of its verdicts for assertions.

import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Violation } from "../../tools/audit/evaluate";
import { runVerify, VerifyResult, verifyExitCode } from "../../tools/verify/run";
import { defaultPrimary, KEY, TestHost } from "./lib";

const ROOT = path.join(__dirname, "..", "..");
let dir: string | undefined;

/** The host's ed25519 key as a hostKey value ("ssh-ed25519 AAAA…"), scanned once it is up. */
export function keyscan(ip: string, port = 22): string {
    const out = execFileSync("ssh-keyscan", ["-t", "ed25519", "-T", "5", "-p", String(port), ip], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    const line = out.split("\n").find((l) => / ssh-ed25519 /.test(l));
    if (!line) throw new Error(`ssh-keyscan ${ip}: no ed25519 key`);
    return line.split(" ").slice(1, 3).join(" ");
}

/** Pulumi.<stack>.yaml for the hosts (root, pinned host keys) and the settings (as stackFor/planFor take them). */
export function writeStack(stack: string, hosts: (TestHost & { hostKey?: string })[], settings: Record<string, string> = {}): string {
    dir ??= fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-verify-e2e-"));
    const lines = ["config:"];
    for (const [k, v] of Object.entries({ ...defaultPrimary(hosts), ...settings })) lines.push(`  seed-web:${k}: ${v.startsWith("[") ? v : JSON.stringify(v)}`);
    lines.push("  seed-web:hosts:");
    for (const h of hosts) {
        const connection = { type: "ssh", address: h.ip, user: "root", hostKey: h.hostKey ?? keyscan(h.ip) };
        lines.push(`    - ${JSON.stringify({ name: h.name, roles: h.roles, connection })}`);
    }
    const file = path.join(dir, `Pulumi.${stack}.yaml`);
    fs.writeFileSync(file, lines.join("\n") + "\n");
    return file;
}

/** verify in process, with the test key. */
export async function verifyLive(configFile: string, hosts?: string[]): Promise<VerifyResult & { code: number }> {
    const r = await runVerify({ configFile, identity: KEY, ...(hosts ? { hosts } : {}) });
    return { ...r, code: verifyExitCode(r) };
}

/** "level policy resource" of each violation (sorted): what the audit and verify must agree on. */
export function verdicts(vs: readonly Violation[]): string[] {
    return vs.map((v) => `${v.level} ${v.policy} ${v.resourceName}${v.undecided ? " (undecided)" : ""}`).sort();
}

/** The drift as "host fact: declared: …; observed: …" lines. */
export function driftLines(r: VerifyResult): string[] {
    return r.drift.map((d) => `${d.host} ${d.fact}: declared: ${d.declared}; observed: ${d.observed}`);
}

export interface CliRun {
    code: number | null;
    stdout: string;
    stderr: string;
    ms: number;
}

/** `npm run verify -- ARGS` (node + ts-node on tools/verify.ts), from the project root; `input`: its stdin. */
export function verifyCli(args: string[], input?: string): Promise<CliRun> {
    const t = Date.now();
    return new Promise((resolve, reject) => {
        const p = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(ROOT, "tools", "verify.ts"), ...args], {
            cwd: ROOT,
            env: { ...process.env, NODE_OPTIONS: "", SSH_AUTH_SOCK: "" },
            stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
        });
        if (input !== undefined) p.stdin!.end(input);
        let stdout = "";
        let stderr = "";
        p.stdout!.on("data", (d) => (stdout += d));
        p.stderr!.on("data", (d) => (stderr += d));
        p.on("error", reject);
        p.on("close", (code) => resolve({ code, stdout, stderr, ms: Date.now() - t }));
    });
}

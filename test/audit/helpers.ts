// Shared by the audit tests: run the audit CLI as a child process, write temporary stack and policy config files.

import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR } from "../../lib/root";

export const ROOT = PROJECT_DIR;   // also from the compiled tests in bin/
/** What `npm run audit --` runs: the compiled tool (tools/run.js, which builds first when a source changed). */
export const AUDIT = path.join(ROOT, "tools", "run.js");

export interface CliRun {
    code: number | null;
    stdout: string;
    stderr: string;
}

/** `node tools/run.js tools/audit.ts ...args` (what `npm run audit --` runs), from the project root. */
export function runCli(args: string[]): Promise<CliRun> {
    return new Promise((resolve, reject) => {
        const p = spawn(process.execPath, [AUDIT, "tools/audit.ts", ...args], {
            cwd: ROOT,
            env: { ...process.env, NODE_OPTIONS: "" },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        p.stdout.on("data", (d) => (stdout += d));
        p.stderr.on("data", (d) => (stderr += d));
        p.on("error", reject);
        p.on("close", (code) => resolve({ code, stdout, stderr }));
    });
}

/** A tool's main() in this process: its exit code, and stdout and stderr captured. One at a time (it swaps
 * process.stdout/stderr.write). */
export async function runMain(main: (argv: string[]) => Promise<number>, args: string[]): Promise<CliRun & { code: number }> {
    let stderr = "";
    let stdout = "";
    const err = process.stderr.write.bind(process.stderr);
    const out = process.stdout.write.bind(process.stdout);
    process.stderr.write = ((s: string) => ((stderr += s), true)) as typeof process.stderr.write;
    process.stdout.write = ((s: string) => ((stdout += s), true)) as typeof process.stdout.write;
    try {
        return { code: await main(args), stderr, stdout };
    } finally {
        process.stderr.write = err;
        process.stdout.write = out;
    }
}

/** main() of tools/audit.ts in this process (no child process: the SDK and the program are loaded once). */
export async function runInProcess(args: string[]): Promise<CliRun & { code: number }> {
    const { main } = await import("../../tools/audit");
    return runMain(main, args);
}

let tmp: string | undefined;

/** A file in a per-process temporary directory. */
export function tmpFile(name: string, text: string): string {
    tmp ??= fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-audit-"));
    const f = path.join(tmp, name);
    fs.writeFileSync(f, text);
    return f;
}

export function devStackText(): string {
    return fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8");
}

/** Violations as "policy:level", sorted. */
export function summary(vs: readonly { policy: string; level: string }[]): string[] {
    return vs.map((v) => `${v.policy}:${v.level}`).sort();
}

export { DEV_VERDICTS } from "../policy/fixtures";

/** What an AnalyzeRequest and an AnalyzeStackRequest's AnalyzerResource both carry (the analyzer protocol's messages). */
export interface AnalyzerResourceMessage {
    setType(v: string): void;
    setName(v: string): void;
    setUrn(v: string): void;
    setProperties(v: unknown): void;
    setOptions(v: unknown): void;
}

/** `message` filled the way the engine fills it: the resource's type, name and URN, its properties (a Struct: its
 * inputs for Analyze, its outputs for AnalyzeStack) and its options. */
export function describeResource<T extends AnalyzerResourceMessage>(
    message: T,
    r: { type: string; name: string; urn: string },
    properties: unknown,
    options: unknown,
): T {
    message.setType(r.type);
    message.setName(r.name);
    message.setUrn(r.urn);
    message.setProperties(properties);
    message.setOptions(options);
    return message;
}

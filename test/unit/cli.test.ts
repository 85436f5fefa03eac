// The command-line layer of the tools (tools/cli.ts) as a user meets it through npm (issue 23): paths from the
// directory the user typed the command in (npm's INIT_CWD), an --output that cannot be written refused before any
// work (exit 2, a message), `-` for stdout, one option name (--output; diagram's --out kept as its old name), a stack
// name from any file name (verify --config my-server.yaml), --help of the benchmarks, bench:audit's sizes.

import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadConfig, MAX_HOSTS } from "../../lib/config";
import { PROJECT_DIR } from "../../lib/root";
import { benchAuditArgs, DEFAULT_SIZES, topology } from "../../bench/audit";
import { CliInputError, parseCommand, userPath } from "../../tools/cli";
import { readStackFile } from "../../tools/stack-config";
import { runMain } from "../audit/helpers";

interface Run {
    code: number;
    stdout: string;
    stderr: string;
}

/** A tool's main() in this process, run as npm would from `dir` (INIT_CWD); stdout and stderr captured. */
async function inDir(dir: string, main: (argv: string[]) => Promise<number>, args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
    const saved: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries({ INIT_CWD: dir, ...env })) {
        saved[k] = process.env[k];
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
    try {
        return await runMain(main, args);
    } finally {
        for (const [k, v] of Object.entries(saved)) {
            if (v === undefined) delete process.env[k];
            else process.env[k] = v;
        }
    }
}

describe("the tools' command line (tools/cli.ts)", function () {
    this.timeout(60000);
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-cli-"));
        fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), path.join(dir, "my-server.yaml"));
        fs.writeFileSync(path.join(dir, "levels.json"), '{ "all": "advisory" }');
        fs.mkdirSync(path.join(dir, "reports"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    describe("audit", () => {
        const audit = async (args: string[]) => inDir(dir, (await import("../../tools/audit")).main, args);

        it("--config, --policy-pack-config and --output are taken from the user's directory (INIT_CWD), not the package's", async () => {
            const r = await audit(["--config", "my-server.yaml", "--policy-pack-config", "levels.json", "--format", "json", "--output", "reports/audit.json"]);
            assert.strictEqual(r.code, 0, r.stderr);
            const report = JSON.parse(fs.readFileSync(path.join(dir, "reports", "audit.json"), "utf8"));
            assert.strictEqual(report.stack, "my-server");   // from the file's name
            assert.strictEqual(report.counts.mandatory, 0);   // levels.json was read
            assert.match(r.stderr, /json report written to reports\/audit\.json\n$/);
            assert.ok(!fs.existsSync(path.join(PROJECT_DIR, "reports")));
        });

        it("--output in a missing directory, or a directory: exit 2 with a message, before the audit runs", async () => {
            for (const [out, re] of [
                ["nowhere/audit.json", /^error: --output nowhere\/audit\.json: its directory nowhere does not exist/],
                ["reports", /^error: --output reports: is a directory; give a file name/],
                ["my-server.yaml/x", /^error: --output my-server\.yaml\/x: my-server\.yaml is not a directory/],
            ] as const) {
                const r = await audit(["--config", "my-server.yaml", "--output", out]);
                assert.strictEqual(r.code, 2, r.stderr);
                assert.match(r.stderr, re);
                assert.doesNotMatch(r.stderr, /\n\s+at /);   // no stack trace
                assert.strictEqual(r.stdout, "");
            }
        });

        it("--output - is stdout (no file named -)", async () => {
            const r = await audit(["--config", "my-server.yaml", "--format", "json", "--output", "-"]);
            assert.strictEqual(r.code, 5, r.stderr);
            assert.strictEqual(JSON.parse(r.stdout).stack, "my-server");
            assert.ok(!fs.existsSync(path.join(dir, "-")) && !fs.existsSync(path.join(PROJECT_DIR, "-")));
        });

        it("a positional argument or a misspelt option: exit 2, the closest option named", async () => {
            const pos = await audit(["--stack", "dev", "hardened"]);
            assert.strictEqual(pos.code, 2);
            assert.match(pos.stderr, /^error: unexpected argument "hardened"/);
            const typo = await audit(["--stack", "dev", "--ouptut", "x"]);
            assert.strictEqual(typo.code, 2);
            assert.match(typo.stderr, /Unknown option '--ouptut' \(did you mean "--output"\?\)/);
        });
    });

    describe("diagram", () => {
        const diagram = async (args: string[]) => inDir(dir, (await import("../../tools/diagram")).main, args);

        it("--output (and --out, its old name) from the user's directory; - is stdout; a missing directory is exit 2", async () => {
            const r = await diagram(["--config", "my-server.yaml", "--output", "reports/d.md"]);
            assert.strictEqual(r.code, 0, r.stderr);
            assert.match(fs.readFileSync(path.join(dir, "reports", "d.md"), "utf8"), /^# Stack `my-server`/);
            const old = await diagram(["--stack", "dev", "--out", "reports/dev.md"]);
            assert.strictEqual(old.code, 0, old.stderr);
            assert.strictEqual(fs.readFileSync(path.join(dir, "reports", "dev.md"), "utf8"), fs.readFileSync(path.join(PROJECT_DIR, "docs", "dev.md"), "utf8"));
            const stdout = await diagram(["--stack", "dev", "--output", "-"]);
            assert.strictEqual(stdout.stdout, fs.readFileSync(path.join(PROJECT_DIR, "docs", "dev.md"), "utf8"));
            const missing = await diagram(["--stack", "dev", "--output", "nowhere/dev.md"]);
            assert.strictEqual(missing.code, 2);
            assert.match(missing.stderr, /^error: --output nowhere\/dev\.md: its directory nowhere does not exist/);
            const both = await diagram(["--stack", "dev", "--out", "a.md", "--output", "b.md"]);
            assert.strictEqual(both.code, 2);
        });
    });

    describe("verify (argument and output handling)", () => {
        const verify = async (args: string[]) => inDir(dir, (await import("../../tools/verify")).main, args, { SSH_AUTH_SOCK: undefined });
        before(() => {
            fs.writeFileSync(path.join(dir, "id_test"), "not a key\n", { mode: 0o600 });
            // a server built by hand, on a port where nothing listens: unreachable, quickly
            fs.writeFileSync(
                path.join(dir, "hand-built.yaml"),
                "config:\n  seed-web:hosts:\n    - name: web-01\n      roles: [web, app, db]\n      connection: { type: ssh, address: 127.0.0.1, port: 1, user: root, hostKey: \"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDyGsa1nmKeGZHA9zNKnwl7fy4jrxsRvKeAi6oqvoqmb\" }\n",
            );
        });

        it("--config my-server.yaml: a stack name from the file's name (exit 3 for the unreachable host, not 2), report written from the user's directory", async () => {
            const r = await verify(["--config", "hand-built.yaml", "--identity", "id_test", "--format", "json", "--output", "reports/verify.json"]);
            assert.strictEqual(r.code, 3, r.stderr);
            const report = JSON.parse(fs.readFileSync(path.join(dir, "reports", "verify.json"), "utf8"));
            assert.strictEqual(report.stack, "hand-built");
        });

        it("an --output that fails when written (after the run): the report on stdout instead, exit 2 with the reason", async () => {
            const target = path.join(dir, "reports", "full.json");
            // the module object itself (the tools' `import * as fs` reads through to it)
            const nodeFs = require("fs") as typeof fs;
            const write = nodeFs.writeFileSync;
            nodeFs.writeFileSync = ((file: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
                if (file === target) throw Object.assign(new Error("no space left on device"), { code: "ENOSPC" });
                return (write as (...a: unknown[]) => void)(file, ...rest);
            }) as typeof fs.writeFileSync;
            let r: Run;
            try {
                r = await verify(["--config", "hand-built.yaml", "--identity", "id_test", "--format", "json", "--output", "reports/full.json"]);
            } finally {
                nodeFs.writeFileSync = write;
            }
            assert.strictEqual(r.code, 2, r.stderr);
            assert.match(r.stderr, /^error: --output reports\/full\.json: cannot write it \(ENOSPC\); the report is on stdout instead$/m);
            assert.strictEqual(JSON.parse(r.stdout).stack, "hand-built");
        });

        it("--output in a missing directory or a directory: exit 2 before any host is contacted; --identity from the user's directory", async () => {
            for (const out of ["nowhere/v.json", "reports"]) {
                const r = await verify(["--config", "hand-built.yaml", "--identity", "id_test", "--output", out]);
                assert.strictEqual(r.code, 2, r.stderr);
                assert.match(r.stderr, /^error: --output /);
                assert.strictEqual(r.stdout, "");
            }
            const noKey = await verify(["--config", "hand-built.yaml", "--identity", "nosuchkey"]);
            assert.strictEqual(noKey.code, 2);
            assert.match(noKey.stderr, /--identity "nosuchkey": cannot read it \(ENOENT\)/);
        });
    });

    describe("the benchmarks", () => {
        it("bench:* -- --help prints the usage, exit 0, and bench:provision refuses arguments it does not know (nothing booted)", () => {
            for (const bench of ["provision", "audit", "verify"]) {
                const r = spawnSync(process.execPath, [path.join(PROJECT_DIR, "tools", "run.js"), `bench/${bench}.ts`, "--help"], { cwd: PROJECT_DIR, encoding: "utf8", timeout: 60000 });
                assert.strictEqual(r.status, 0, `${bench}: ${r.stderr}`);
                assert.match(r.stdout, new RegExp(`^usage: npm run bench:${bench}`));
            }
            const r = spawnSync(process.execPath, [path.join(PROJECT_DIR, "tools", "run.js"), "bench/provision.ts", "--dry-run"], { cwd: PROJECT_DIR, encoding: "utf8", timeout: 60000 });
            assert.strictEqual(r.status, 2);
            assert.match(r.stderr, /^error: Unknown option '--dry-run'/);
        });

        it("bench:audit: the default sizes are within the config's host limit, and the largest is a valid stack", () => {
            const a = benchAuditArgs([]);
            assert.ok(!a.help);
            if (a.help) return;
            assert.deepStrictEqual(a.sizes, DEFAULT_SIZES.split(",").map(Number));
            assert.ok(a.sizes.every((n) => n <= MAX_HOSTS));
            const file = path.join(dir, "Pulumi.bench.yaml");
            fs.writeFileSync(file, topology(Math.max(...a.sizes)));
            const { raw } = readStackFile(file);
            assert.strictEqual(loadConfig(raw, { hasSshAgent: true, secretKeys: ["sshPrivateKey"] }).hosts.length, Math.max(...a.sizes));
            assert.throws(() => benchAuditArgs(["--sizes", "50,250"]), (e: Error) => e instanceof CliInputError && /"250" is not a host count from 3 to 100/.test(e.message));
        });
    });

    it("userPath: relative to INIT_CWD when it is a directory, else the process's directory; - stays -", () => {
        assert.strictEqual(userPath("a/b", { INIT_CWD: dir }), path.join(dir, "a", "b"));
        assert.strictEqual(userPath("/abs", { INIT_CWD: dir }), "/abs");
        assert.strictEqual(userPath("-", { INIT_CWD: dir }), "-");
        assert.strictEqual(userPath("x", { INIT_CWD: "/nonexistent/dir" }), path.join(process.cwd(), "x"));
        assert.throws(() => parseCommand({ usage: "u", options: {} }, ["x"]), CliInputError);
    });
});

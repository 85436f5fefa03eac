// tools/pulumi-local.sh (npm run preview|up|destroy|pulumi) with a stand-in `pulumi` on PATH that records every call
// (its arguments and the backend it was given): Pulumi flags pass through, only dev is created on demand, the policy
// pack runs for every stack but dev, one backend for every command, nothing hides the CLI's passphrase prompt, and
// without the CLI it points to the offline audit.

import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR } from "../../lib/root";

const SCRIPT = path.join(PROJECT_DIR, "tools", "pulumi-local.sh");
const PACK = path.join(PROJECT_DIR, "policy");

describe("tools/pulumi-local.sh", () => {
    let dir: string;
    let log: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-pulumi-local-"));
        log = path.join(dir, "calls");
        fs.mkdirSync(path.join(dir, "with"));
        fs.mkdirSync(path.join(dir, "without"));
        fs.mkdirSync(path.join(dir, "user"));
        // Records each call as one line: the backend, then the arguments separated by '|'. `stack select NAME`
        // (without --create) fails unless NAME is in $STACKS, as the CLI does for a stack the backend lacks. The CLI
        // asks for the passphrase on stdout when it needs one (a new stack, no PULUMI_CONFIG_PASSPHRASE).
        const fake = [
            "#!/bin/bash",
            'line="$PULUMI_BACKEND_URL"; for a in "$@"; do line+="|$a"; done; echo "$line" >>"$CALLS"',
            'if [ "$1" = stack ] && [ "$2" = select ]; then',
            '  if [ "${4:-}" = --create ]; then printf "Enter your passphrase to protect config/secrets: "; exit 0; fi',
            '  case " $STACKS " in *" $3 "*) exit 0 ;; esac',
            '  echo "error: no stack named \'$3\' found" >&2; exit 255',
            "fi",
            'echo "pulumi $*"',
        ].join("\n");
        fs.writeFileSync(path.join(dir, "with", "pulumi"), fake + "\n", { mode: 0o755 });
        for (const tool of ["bash", "dirname"]) fs.symlinkSync(execPath(tool), path.join(dir, "without", tool));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const run = (args: string[], env: Record<string, string> = {}, bin = [path.join(dir, "with"), "/usr/bin", "/bin"]) => {
        fs.rmSync(log, { force: true });
        const r = spawnSync(execPath("bash"), [SCRIPT, ...args], {
            env: { PATH: bin.join(":"), CALLS: log, STACKS: "dev hardened", INIT_CWD: path.join(dir, "user"), ...env },
            encoding: "utf8",
        });
        const calls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n").map((l) => l.split("|")) : [];
        return { ...r, calls };
    };
    const BACKEND = `file://${PROJECT_DIR}/.pulumi-state`;

    it("npm run up -- --policy-pack policy: a flag, not the stack name; dev by default, created on demand", () => {
        const r = run(["up", "--policy-pack", "policy", "--yes"]);
        assert.strictEqual(r.status, 0, r.stderr);
        assert.deepStrictEqual(r.calls, [
            [BACKEND, "stack", "select", "dev", "--create"],
            [BACKEND, "up", "--stack", "dev", "--policy-pack", path.join(dir, "user", "policy"), "--yes"],
        ]);
        // the passphrase prompt of `stack select --create` is seen
        assert.match(r.stdout, /^Enter your passphrase to protect config\/secrets: pulumi up --stack dev/);
    });

    it("every stack but dev runs the policy pack (preview and up), whichever way the stack is named", () => {
        for (const args of [["preview", "hardened", "--diff"], ["preview", "--stack", "hardened", "--diff"], ["preview", "--diff", "-s", "hardened"], ["preview", "--stack=hardened", "--diff"]]) {
            const r = run(args);
            assert.strictEqual(r.status, 0, `${args.join(" ")}: ${r.stderr}`);
            assert.deepStrictEqual(r.calls[0], [BACKEND, "stack", "select", "hardened"], args.join(" "));
            assert.deepStrictEqual(r.calls[1], [BACKEND, "preview", "--stack", "hardened", "--policy-pack", PACK, "--diff"], args.join(" "));
        }
        const up = run(["up", "hardened"]);
        assert.deepStrictEqual(up.calls[1], [BACKEND, "up", "--stack", "hardened", "--policy-pack", PACK]);
        // the user's own pack replaces the default one; destroy takes none (the CLI's destroy has no --policy-pack)
        const own = run(["up", "hardened", "--policy-pack", "/opt/packs/mine"]);
        assert.deepStrictEqual(own.calls[1], [BACKEND, "up", "--stack", "hardened", "--policy-pack", "/opt/packs/mine"]);
        const destroy = run(["destroy", "hardened", "--yes"]);
        assert.deepStrictEqual(destroy.calls[1], [BACKEND, "destroy", "--stack", "hardened", "--yes"]);
        // dev: the seed design, no pack unless asked for
        assert.deepStrictEqual(run(["preview"]).calls[1], [BACKEND, "preview", "--stack", "dev"]);
    });

    it("npm run up -- hardned: refused (exit 2), no stack created, nothing deployed", () => {
        const r = run(["up", "hardned"]);
        assert.strictEqual(r.status, 2);
        assert.match(r.stderr, /no stack file Pulumi\.hardned\.yaml \(the stacks here: dev distributed hardened\); only dev is created on demand/);
        assert.deepStrictEqual(r.calls, []);
        // a stack file without a stack in the backend: not created either
        const d = run(["up", "distributed"]);
        assert.strictEqual(d.status, 2);
        assert.match(d.stderr, /stack 'distributed' does not exist in the backend .*npm run pulumi -- stack init distributed/);
        assert.deepStrictEqual(d.calls, [[BACKEND, "stack", "select", "distributed"]]);
    });

    it("npm run pulumi -- ...: any command, on the same backend as preview|up|destroy (PULUMI_BACKEND_URL when set)", () => {
        const r = run(["pulumi", "stack", "output", "zoneFile", "--stack", "dev"]);
        assert.strictEqual(r.status, 0, r.stderr);
        assert.deepStrictEqual(r.calls, [[BACKEND, "stack", "output", "zoneFile", "--stack", "dev"]]);
        const own = run(["up", "hardened"], { PULUMI_BACKEND_URL: "s3://bucket/state" });
        assert.ok(own.calls.every((c) => c[0] === "s3://bucket/state"));
        assert.strictEqual(run(["pulumi"]).status, 2);
        assert.strictEqual(run(["apply"]).status, 2);
    });

    it("relative paths of --policy-pack-config and --config-file from the user's directory", () => {
        const r = run(["preview", "hardened", "--policy-pack-config", "levels.json", "--config-file=conf/x.yaml"]);
        assert.deepStrictEqual(r.calls[1], [BACKEND, "preview", "--stack", "hardened", "--policy-pack", PACK, "--policy-pack-config", path.join(dir, "user", "levels.json"), `--config-file=${path.join(dir, "user", "conf/x.yaml")}`]);
    });

    it("without the CLI: exit 2, the install link and `npm run audit`", () => {
        const r = run(["preview", "distributed"], {}, [path.join(dir, "without")]);
        assert.strictEqual(r.status, 2);
        assert.match(r.stderr, /the Pulumi CLI is not installed/);
        assert.match(r.stderr, /npm run audit -- --stack/);
    });
});

function execPath(tool: string): string {
    for (const d of ["/usr/bin", "/bin"]) if (fs.existsSync(path.join(d, tool))) return path.join(d, tool);
    throw new Error(`${tool} not found`);
}

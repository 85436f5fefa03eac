// tools/pulumi-local.sh (npm run preview/up/destroy) with a stand-in `pulumi` on PATH: nothing hides the CLI's
// passphrase prompt, and without the CLI it points to the offline audit.

import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR } from "../../lib/root";

const SCRIPT = path.join(PROJECT_DIR, "tools", "pulumi-local.sh");

describe("tools/pulumi-local.sh", () => {
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-pulumi-local-"));
        fs.mkdirSync(path.join(dir, "with"));
        fs.mkdirSync(path.join(dir, "without"));
        // The CLI asks for the passphrase on stdout when it needs one (a new stack, no PULUMI_CONFIG_PASSPHRASE).
        const fake = '#!/bin/sh\nif [ "$1" = stack ]; then printf "Enter your passphrase to protect config/secrets: "; else echo "pulumi $*"; fi\n';
        fs.writeFileSync(path.join(dir, "with", "pulumi"), fake, { mode: 0o755 });
        for (const tool of ["bash", "dirname"]) fs.symlinkSync(execPath(tool), path.join(dir, "without", tool));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const run = (bin: string[], ...args: string[]) =>
        spawnSync(execPath("bash"), [SCRIPT, ...args], {
            env: { PATH: bin.join(":"), PULUMI_BACKEND_URL: `file://${dir}/state` },
            encoding: "utf8",
        });

    it("shows the passphrase prompt of `pulumi stack select --create`, then runs the action on the stack", () => {
        const r = run([path.join(dir, "with"), "/usr/bin", "/bin"], "preview", "hardened", "--", "--diff");
        assert.strictEqual(r.status, 0, r.stderr);
        assert.match(r.stdout, /^Enter your passphrase to protect config\/secrets: pulumi preview --stack hardened --diff\n$/);
    });

    it("without the CLI: exit 2, the install link and `npm run audit` for the stack", () => {
        const r = run([path.join(dir, "without")], "preview", "distributed");
        assert.strictEqual(r.status, 2);
        assert.match(r.stderr, /the Pulumi CLI is not installed/);
        assert.match(r.stderr, /npm run audit -- --stack distributed/);
    });
});

function execPath(tool: string): string {
    for (const d of ["/usr/bin", "/bin"]) if (fs.existsSync(path.join(d, tool))) return path.join(d, tool);
    throw new Error(`${tool} not found`);
}

// Behaviour frozen across refactors (issue 24): the three stacks' engine URNs and the commands the program sends,
// byte for byte (as sha256), against test/fixtures/freeze/<stack>.json. A commit that means to change what is sent
// (a new step, a changed script) regenerates them (FREEZE_UPDATE=1 npm test) and says so; a refactor never does.
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_DIR } from "../../lib/root";
import { captureProgram, plannedCommands } from "../../tools/capture";
import { readStackFile } from "../../tools/stack-config";

// the three stack files, and the distributed one deploying the test application (the stage and release steps)
const STACKS = ["dev", "hardened", "distributed", "distributed+app"];
const APP = { appSource: "test/fixtures/app", appDocRoot: "public", appShared: '["storage"]', appHealthPath: "/health", appMigrate: "php bin/migrate" };
const DIR = path.join(PROJECT_DIR, "test", "fixtures", "freeze");
const sha = (s: string | undefined) => (s === undefined ? null : crypto.createHash("sha256").update(s).digest("hex"));

async function frozen(stack: string) {
    // an SSH agent for the ssh stacks (its socket is a connection input, not part of a command)
    const [file, app] = stack.split("+");
    const raw = { ...readStackFile(path.join(PROJECT_DIR, `Pulumi.${file}.yaml`)).raw, ...(app ? APP : {}) };
    const capture = await captureProgram({ raw, stack: file, sshAgentSocket: "/tmp/agent.sock" });
    return {
        urns: capture.resources.map((r) => r.urn),
        commands: plannedCommands(capture).map((p) => ({
            name: p.name,
            urn: p.urn,
            after: p.after,
            create: sha(p.create),
            delete: sha(p.delete),
            triggers: sha(p.triggers),
            // the secrets themselves are generated anew each run: how many lines go on stdin is what is frozen
            stdinLines: p.stdin === undefined ? null : p.stdin.split("\n").length,
            deleteBeforeReplace: p.deleteBeforeReplace,
            retainOnDelete: p.retainOnDelete,
        })),
    };
}

describe("freeze: the three stacks' engine URNs and commands, unchanged by a refactor", function () {
    this.timeout(120_000);   // the whole program under mocks, four times: slow on a busy machine
    for (const stack of STACKS) {
        it(`${stack}: the same URNs and the same command texts (sha256) as test/fixtures/freeze/${stack}.json`, async () => {
            const now = await frozen(stack);
            const file = path.join(DIR, `${stack}.json`);
            if (process.env.FREEZE_UPDATE === "1") fs.writeFileSync(file, `${JSON.stringify(now, null, 1)}\n`);
            const then = JSON.parse(fs.readFileSync(file, "utf8")) as typeof now;
            assert.deepStrictEqual(now.urns, then.urns, "the engine URNs");
            assert.deepStrictEqual(now.commands.map((c) => c.name), then.commands.map((c) => c.name), "the commands, in order");
            for (const [i, c] of now.commands.entries()) assert.deepStrictEqual(c, then.commands[i], c.name);
        });
    }
});

// The README's examples run as a user would type them (issue 23): every command line of its ```sh blocks is either
// run here — every `npm run audit` and `npm run diagram` line, from a directory of the user's own (npm's INIT_CWD),
// with its redirection — or listed below as not run, with the reason (the Pulumi CLI, a live host, the network). The
// output the README shows is compared with what the tools print: the text report's lines and summary, the JSON
// report's fields. The Mermaid diagrams in the README are the generated ones.

import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR } from "../../lib/root";
import { mermaidBlock, README_STACKS } from "../../tools/diagram";

const README = fs.readFileSync(path.join(PROJECT_DIR, "README.md"), "utf8");

/** Lines that are not run here, each with the reason (a pattern matching the command, without its comment). */
const NOT_RUN: [RegExp, string][] = [
    [/^npm (install|test)$/, "the set-up itself (npm test is this suite)"],
    [/^export PULUMI_CONFIG_PASSPHRASE=/, "a shell setting for the Pulumi CLI"],
    [/^npm run (preview|up|destroy)\b/, "needs the Pulumi CLI (tools/pulumi-local.sh is tested with a stand-in: test/unit/pulumi-local.test.ts)"],
    [/^npm run pulumi -- /, "needs the Pulumi CLI"],
    [/^npm run -s pulumi -- stack output --stack dev --json --show-secrets \| npm run verify -- --stack dev --stack-outputs -$/, "needs the Pulumi CLI and the deployed dev stack (verify's reading of the outputs from stdin: test/unit/verify-dev.test.ts)"],
    [/^curl /, "needs the deployed dev stack"],
    [/^cp Pulumi\.hardened\.yaml Pulumi\.prod\.yaml$/, "the existing-server recipe: a file of the user's, edited by hand"],
    [/^npm run audit -- --stack prod$/, "needs the Pulumi.prod.yaml the recipe writes (its starting point, Pulumi.hardened.yaml, is audited in test/audit/audit.test.ts)"],
    [/^npm run (-s )?verify -- /, "needs live hosts (test/e2e/verify.test.ts; the output of 'Audit your existing server' is compared in test/e2e/verify-byhand.test.ts)"],
];

interface Example {
    line: string;
    command: string;
}

/** Every command line of the ```sh blocks: the text before an unquoted `#` comment, trimmed. */
function shellExamples(): Example[] {
    const out: Example[] = [];
    for (const block of README.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
        for (const line of block[1].split("\n")) {
            const command = line.replace(/\s+#\s.*$/, "").trim();
            if (command) out.push({ line, command });
        }
    }
    return out;
}

interface Run {
    code: number;
    stdout: string;
    stderr: string;
}

/** `npm run [-s] TOOL -- ARGS [> FILE]` with the tool's main() in this process, from `dir` (INIT_CWD). */
async function runExample(command: string, dir: string): Promise<Run & { tool: string; args: string[] }> {
    const m = /^npm run (?:-s )?(audit|diagram) -- (.*?)(?: > (\S+))?$/.exec(command);
    assert.ok(m, `not an npm run audit|diagram line: ${command}`);
    assert.doesNotMatch(m[2], /['"$`\\]/, "plain words only");
    const [, tool, rest, redirect] = m;
    const args = rest.split(/\s+/);
    const main = tool === "audit" ? (await import("../../tools/audit")).main : (await import("../../tools/diagram")).main;
    let stdout = "";
    let stderr = "";
    const out = process.stdout.write.bind(process.stdout);
    const err = process.stderr.write.bind(process.stderr);
    const init = process.env.INIT_CWD;
    process.env.INIT_CWD = dir;
    process.stdout.write = ((s: string) => ((stdout += s), true)) as typeof process.stdout.write;
    process.stderr.write = ((s: string) => ((stderr += s), true)) as typeof process.stderr.write;
    let code: number;
    try {
        code = await main(args);
    } finally {
        process.stdout.write = out;
        process.stderr.write = err;
        if (init === undefined) delete process.env.INIT_CWD;
        else process.env.INIT_CWD = init;
    }
    if (redirect) fs.writeFileSync(path.join(dir, redirect), stdout);
    return { code, stdout, stderr, tool, args };
}

/** The fenced block (any language) that starts with `first`. */
function shownBlock(first: RegExp): string {
    for (const b of README.matchAll(/^```[a-z]*\n([\s\S]*?)^```$/gm)) if (first.test(b[1])) return b[1];
    throw new Error(`no block starting with ${first} in the README`);
}

describe("README examples", function () {
    this.timeout(120_000);
    let dir: string;
    const runs = new Map<string, Run>();
    const docs = new Map<string, string>();

    before(async () => {
        // the user's directory: the project's policy config example at the same relative path, a stack file of their own
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-readme-"));
        fs.symlinkSync(path.join(PROJECT_DIR, "policy"), path.join(dir, "policy"));
        fs.mkdirSync(path.join(dir, "path", "to"), { recursive: true });
        fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), path.join(dir, "path", "to", "my-server.yaml"));
        // `diagram --stack dev` and `--all` write docs/ and the README: they must find them current (what
        // test/unit/diagram.test.ts checks too); whatever they change is put back, so the failure stays visible
        const tracked = [path.join(PROJECT_DIR, "README.md"), ...fs.readdirSync(path.join(PROJECT_DIR, "docs")).map((f) => path.join(PROJECT_DIR, "docs", f))];
        for (const f of tracked) docs.set(f, fs.readFileSync(f, "utf8"));
        try {
            for (const e of shellExamples()) {
                if (/^npm run (-s )?(audit|diagram) -- /.test(e.command) && !NOT_RUN.some(([re]) => re.test(e.command))) {
                    runs.set(e.command, await runExample(e.command, dir));
                }
            }
        } finally {
            for (const [f, text] of docs) if (fs.readFileSync(f, "utf8") !== text) (fs.writeFileSync(f, text), docs.set(f, `${text}(changed by the example)`));
        }
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("every command line of the README is run here or listed as not run, with its reason", () => {
        const unaccounted = shellExamples().filter((e) => !runs.has(e.command) && !NOT_RUN.some(([re]) => re.test(e.command)));
        assert.deepStrictEqual(unaccounted.map((e) => e.line), []);
        assert.ok(runs.size >= 8, `${runs.size} examples run`);
        // the list stays honest: each of its entries matches a line of the README
        for (const [re, why] of NOT_RUN) assert.ok(shellExamples().some((e) => re.test(e.command)), `${re} (${why}) matches no README line`);
    });

    it("each audit and diagram line runs: no bad input, the exit code the README gives (5 for the seed design)", () => {
        for (const [command, r] of runs) {
            assert.ok(r.code === 0 || r.code === 5, `${command}: exit ${r.code}: ${r.stderr}`);
            if (/audit -- --stack dev( |$)(?!.*policy-pack-config)/.test(command)) assert.strictEqual(r.code, 5, command);
            if (/--output /.test(command) && !/--output -/.test(command)) assert.strictEqual(r.stdout.replace(/^wrote .*\n/gm, "").replace(/^updated .*\n/gm, ""), "", command);
        }
        assert.ok(fs.existsSync(path.join(dir, "audit.sarif")) && fs.existsSync(path.join(dir, "audit.json")), "the outputs land in the user's directory");
        assert.match(runs.get("npm run -s diagram -- --config path/to/my-server.yaml --output -")!.stdout, /^# Stack `my-server`\n/);
        for (const [f, text] of docs) assert.ok(!text.endsWith("(changed by the example)"), `${path.relative(PROJECT_DIR, f)} was stale: \`npm run diagram -- --all\` rewrites it`);
    });

    it("the text report shown is what `npm run audit -- --stack dev` prints (lines in order, the summary line exactly)", () => {
        const shown = shownBlock(/^Policies:\n/).split("\n").filter((l) => l.trim() !== "");
        const actual = runs.get("npm run audit -- --stack dev")!.stdout.split("\n");
        let at = 0;
        for (const line of shown) {
            if (line.includes("…")) continue;   // elided in the README
            const i = actual.indexOf(line, at);
            assert.ok(i >= 0, `README line not in the output (in order): ${JSON.stringify(line)}`);
            at = i + 1;
        }
        assert.strictEqual(shown[shown.length - 1], actual.filter((l) => l !== "").pop(), "the summary line");
    });

    it("the JSON report shown has the fields and values of `npm run -s audit -- --stack dev --format json`", () => {
        const shown = shownBlock(/^\{\n {2}"version": 1,/);
        const actual = JSON.parse(fs.readFileSync(path.join(dir, "audit.json"), "utf8"));
        // the README's JSON with its elisions dropped: `, … ]` and `"…"` in strings
        const parsed = JSON.parse(shown.replace(/, …/g, ""));
        for (const k of Object.keys(actual)) assert.ok(k in parsed, `README's JSON lacks "${k}"`);
        for (const k of ["version", "stack", "stackFile", "preview", "policyPack", "policyConfigFile", "resources", "counts", "passed"]) {
            assert.deepStrictEqual(parsed[k], actual[k], k);
        }
        assert.deepStrictEqual(parsed.policies[0], actual.policies[0]);
        const v = parsed.violations[0];
        const same = actual.violations.find((x: { policy: string; resource: { name: string } }) => x.policy === v.policy && x.resource.name === v.resource.name);
        assert.ok(same, "the violation shown is reported");
        const { message, ...rest } = v;
        const { message: actualMessage, ...actualRest } = same;
        assert.deepStrictEqual(rest, actualRest);
        for (const part of (message as string).split("…")) assert.ok(actualMessage.includes(part.trim()), `message part ${JSON.stringify(part)}`);
    });

    it("what the READMEs say twice agrees: the default backup time (README, Pulumi.yaml, backup.sh, scripts/README) and the policy levels", () => {
        const project = fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), "utf8");
        const time = /^ {2}backupTime:\n {4}type: string\n {4}default: "(\d\d:\d\d)"/m.exec(project)?.[1];
        assert.ok(time, "Pulumi.yaml declares backupTime's default");
        assert.match(README, new RegExp(`^\\| \`backupTime\` \\| string \\| \`${time}\` \\|`, "m"));
        const script = fs.readFileSync(path.join(PROJECT_DIR, "scripts", "backup.sh"), "utf8");
        assert.strictEqual(/^LEMP_BACKUP_TIME=\$\{LEMP_BACKUP_TIME:-(\d\d:\d\d)\}$/m.exec(script)?.[1], time, "backup.sh's default");
        assert.match(script, new RegExp(`LEMP_BACKUP_TIME \\(daily, HH:MM local time, default ${time}\\)`));
        assert.match(fs.readFileSync(path.join(PROJECT_DIR, "scripts", "README.md"), "utf8"), new RegExp(`\`LEMP_BACKUP_TIME\` \\(\`HH:MM\`, ${time}\\b`));
        // every level the CLI's format takes, in both READMEs' descriptions of it
        const levels = ["advisory", "mandatory", "remediate", "disabled"];
        const policyReadme = fs.readFileSync(path.join(PROJECT_DIR, "policy", "README.md"), "utf8");
        for (const text of [policyReadme, README]) {
            const sentence = /levels? (?:is )?(?:a level )?\(?`advisory`[^.]*\./.exec(text)?.[0] ?? "";
            for (const l of levels) assert.ok(sentence.includes(`\`${l}\``), `${l} in ${JSON.stringify(sentence)}`);
        }
    });

    it("the README's Mermaid diagrams are the generated ones of the dev and distributed stacks", () => {
        for (const stack of README_STACKS) {
            const section = new RegExp(`<!-- diagram:${stack} -->\\n([\\s\\S]*?)\\n<!-- /diagram:${stack} -->`).exec(README);
            assert.ok(section, `README section of ${stack}`);
            assert.strictEqual(section[1], mermaidBlock(fs.readFileSync(path.join(PROJECT_DIR, "docs", `${stack}.md`), "utf8")), stack);
        }
    });
});

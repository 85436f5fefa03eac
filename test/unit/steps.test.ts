import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { STEP_NAMES } from "@seed-web/facts";
import { PROJECT_DIR } from "../../lib/root";
import { buildCommand, libraryParts, scriptSha256, scriptText, SCRIPTS_DIR, shQuote } from "../../lib/steps";

const nasty = ["plain", "", "it's", "a b\tc\nd", "$(touch /tmp/pwned)", "`id`", "\\'\"", "'; rm -rf / #", "ünïcödé ✓"];

describe("steps: from scripts to command text", () => {
    it("quotes any string as one shell word (checked by a real shell)", () => {
        for (const s of nasty) {
            const out = execFileSync("sh", ["-c", `printf %s ${shQuote(s)}`], { encoding: "utf8" });
            assert.strictEqual(out, s);
        }
        assert.throws(() => shQuote("a\0b"), /NUL/);
    });

    it("hands settings to the script as LEMP_* variables, whatever they hold (run by sh like sshd does)", () => {
        const env = Object.fromEntries(nasty.map((v, i) => [`LEMP_V${i}`, v]));
        const script = 'for i in 0 1 2 3 4 5 6 7 8; do eval "printf \'%s\\0\' \\"\\$LEMP_V$i\\""; done; printf %s "$0"';
        const out = execFileSync("sh", ["-c", buildCommand("nginx", env, "root", script)], { encoding: "utf8" });
        const parts = out.split("\0");
        assert.deepStrictEqual(parts.slice(0, nasty.length), nasty);
        assert.strictEqual(parts[nasty.length], "lemp-nginx");
    });

    it("goes through sudo -n for a non-root user, and refuses a malformed setting name", () => {
        assert.match(buildCommand("base", { LEMP_A: "1" }, "ubuntu", "true"), /^sudo -n env LEMP_A='1' bash -c 'true' lemp-base$/);
        assert.match(buildCommand("base", { LEMP_A: "1" }, "root", "true"), /^LEMP_A='1' bash -c 'true' lemp-base$/);
        assert.throws(() => buildCommand("base", { "LEMP_A;id": "1" }, "root", "true"), /LEMP_A;id/);
        assert.throws(() => buildCommand("base", { PATH: "/tmp" }, "root", "true"), /PATH/);
    });

    it("sends platform.sh, the library's parts in lib.sh's order, then the step's script, and hashes exactly that", () => {
        const text = scriptText("nginx");
        const platform = fs.readFileSync(path.join(SCRIPTS_DIR, "platform.sh"), "utf8");
        const parts = libraryParts();
        assert.deepStrictEqual(parts.slice(0, 2), ["core", "host"]);
        const lib = parts.map((p) => fs.readFileSync(path.join(SCRIPTS_DIR, "lib", `${p}.sh`), "utf8")).join("");
        const nginx = fs.readFileSync(path.join(SCRIPTS_DIR, "nginx.sh"), "utf8");
        assert.strictEqual(text, `${platform}\n${lib}\n${nginx}`);
        assert.match(scriptSha256("nginx"), /^[0-9a-f]{64}$/);
        assert.notStrictEqual(scriptSha256("nginx"), scriptSha256("php"));
    });

    it("lib.sh sources every part of scripts/lib/ once; sourced by hand it defines what the program's text defines", () => {
        const parts = libraryParts();
        assert.deepStrictEqual([...parts].sort(), fs.readdirSync(path.join(SCRIPTS_DIR, "lib")).filter((f) => f.endsWith(".sh")).map((f) => f.replace(/\.sh$/, "")).sort());
        assert.strictEqual(new Set(parts).size, parts.length);
        const defined = (script: string) => execFileSync("bash", ["-c", `${script}\ndeclare -F | sort; declare -p | grep -o '^declare -[-a-zA-Z]* LEMP_[A-Z_]*' | sort`], { encoding: "utf8", env: { PATH: process.env.PATH } });
        const byHand = defined(`. ${shQuote(path.join(SCRIPTS_DIR, "lib.sh"))}`);
        const sent = defined(scriptText("base").slice(0, scriptText("base").lastIndexOf(fs.readFileSync(path.join(SCRIPTS_DIR, "base.sh"), "utf8"))));
        assert.match(byHand, /declare -f lemp_tune\n/);
        assert.match(byHand, /declare -f lemp_os\n/);
        assert.strictEqual(byHand, sent);
    });

    it("every step and undo script run by hand from its file sources lib.sh itself: its settings checks answer, no function is missing", () => {
        const release = path.join(PROJECT_DIR, "test", "fixtures", "releases", "debian-13.os-release");
        for (const file of STEP_NAMES.flatMap((s) => [`${s}.sh`, `undo/${s}.sh`])) {
            // no settings and LEMP_CHECK_ONLY=1: each stops at its settings checks (as root, on a missing setting or
            // at lemp_inputs_checked; else at lemp_init's "must run as root"), through the library's own functions
            const r = spawnSync("bash", [path.join(SCRIPTS_DIR, file)], { encoding: "utf8", env: { PATH: process.env.PATH, LEMP_CHECK_ONLY: "1", LEMP_OS_RELEASE: release } });
            assert.doesNotMatch(r.stderr, /command not found|No such file/, file);
            assert.ok(r.status === 0 || r.status === 1, `${file}: exit ${r.status}: ${r.stderr}`);
            assert.match(`${r.stdout}${r.stderr}`, /inputs_checked=1|\[lemp:[a-z]+\] error: (LEMP_[A-Z_]+ |must run as root)/, file);
        }
    });

    it("every step script is real bash that parses, with set -euo pipefail", () => {
        for (const step of STEP_NAMES) {
            execFileSync("bash", ["-n", "-c", scriptText(step)]);
            const own = fs.readFileSync(path.join(SCRIPTS_DIR, `${step}.sh`), "utf8");
            assert.match(own, /^set -euo pipefail$/m, `${step}.sh`);
        }
    });
});

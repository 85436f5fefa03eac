// The reports' own helpers: where a SARIF result points in the stack file, which host a resource belongs to.

import * as assert from "assert";
import { lineOf } from "../../tools/audit/report";

describe("SARIF locations (tools/audit/report.ts lineOf): positions from the YAML parser", () => {
    const text = [
        "# seed-web:firewall: true was the old way",   // 1
        "config:",                                      // 2
        "  seed-web:notes: |",                          // 3
        "    firewall: off in the lab",                 // 4
        "    tls: none there",                          // 5
        "  seed-web:firewall: \"false\"",               // 6
        "  seed-web:hosts:",                            // 7
        "    - { name: web.01, roles: [web] }",         // 8
        "    - name: web-01",                           // 9
        "      roles: [web, app, db]",                  // 10
        "  \"seed-web:tls\": none",                     // 11
        "",
    ].join("\n");

    it("the config key itself, never a comment or a line inside another value", () => {
        assert.strictEqual(lineOf(text, ["firewall"]), 6);
        assert.strictEqual(lineOf(text, ["tls"]), 11);
        assert.strictEqual(lineOf(text, ["dbBindAddress", "firewall"]), 6);
    });

    it("a host's name in the hosts list, block or flow style, taken literally", () => {
        assert.strictEqual(lineOf(text, ["hosts"], "web-01"), 9);
        assert.strictEqual(lineOf(text, ["hosts"], "web.01"), 8);
        assert.strictEqual(lineOf(text, ["hosts"], "db-01"), 7);
    });

    it("1 when the key is not there or the file has no config mapping", () => {
        assert.strictEqual(lineOf(text, ["monitoring"]), 1);
        assert.strictEqual(lineOf("config: [1, 2]\n", ["hosts"]), 1);
        assert.strictEqual(lineOf("", ["tls"]), 1);
    });
});

describe("no copies of the SDK's or the facts' constants", () => {
    const fs = require("fs") as typeof import("fs");
    const path = require("path") as typeof import("path");
    const { PROJECT_DIR } = require("../../lib/root") as typeof import("../../lib/root");
    const sources = (dir: string): string[] =>
        fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
            const p = path.join(dir, e.name);
            if (e.isDirectory()) return e.name === "node_modules" || e.name === "bin" ? [] : sources(p);
            return e.name.endsWith(".ts") ? [p] : [];
        });
    const files = ["lib", "components", "tools", "policy", "bench"].flatMap((d) => sources(path.join(PROJECT_DIR, d)));

    it("the secret signature comes from @pulumi/pulumi (runtime.specialSigKey, specialSecretSig)", () => {
        const copies = files.filter((f) => /4dabf18193072939515e22adb298388d|1b47061264138c4ac30d75fd1eb44270/.test(fs.readFileSync(f, "utf8")));
        assert.deepStrictEqual(copies.map((f) => path.relative(PROJECT_DIR, f)), []);
    });

    it("step names are listed once (STEP_NAMES in the facts contract), not again as a pattern", () => {
        const copies = files.filter((f) => /\b(base\|firewall|php\|nginx|smoke\|monitoring)\b/.test(fs.readFileSync(f, "utf8")));
        assert.deepStrictEqual(copies.map((f) => path.relative(PROJECT_DIR, f)), []);
    });
});

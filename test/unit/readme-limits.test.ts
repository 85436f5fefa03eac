// The README's input-limits table states the limits the code enforces: a changed constant must change the README.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { MAX_DEPTH, MAX_DOMAIN_LENGTH, MAX_EMAIL_LENGTH, MAX_HOSTS, MAX_LIST_LENGTH, MAX_URL_LENGTH, MAX_VALUE_LENGTH } from "../../lib/config";
import { MAX_STACK_FILE_BYTES, MAX_YAML_KEYS, MAX_YAML_LINES, MAX_YAML_NESTING } from "../../tools/stack-config";
import { PROJECT_DIR } from "../../lib/root";

describe("README: input limits", () => {
    const readme = fs.readFileSync(path.join(PROJECT_DIR, "README.md"), "utf8");
    const section = /## Input limits\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? "";
    const row = (what: string) => section.split("\n").find((l) => l.startsWith(`| ${what}`)) ?? "";

    it("has the section", () => assert.ok(section.includes("| what | limit |"), "README.md: no '## Input limits' table"));

    it("states each limit the code enforces", () => {
        const n = (v: number) => v.toLocaleString("en-US");
        const expect: [string, string][] = [
            ["a stack file", `at most ${MAX_STACK_FILE_BYTES / 1024} KiB`],
            ["a stack file", `at most ${MAX_YAML_LINES} lines`],
            ["a stack file", `${MAX_YAML_KEYS} keys per mapping`],
            ["a stack file", `nesting ${MAX_YAML_NESTING} deep`],
            ["a config value", `${n(MAX_VALUE_LENGTH)} characters`],
            ["a config value", `at most ${MAX_DEPTH} levels deep`],
            ["a list", `${MAX_LIST_LENGTH} items`],
            ["`hosts`", `${MAX_HOSTS} hosts`],
            ["`domain`", `${MAX_DOMAIN_LENGTH} characters`],
            ["`acmeEmail`", `${MAX_EMAIL_LENGTH} characters`],
            ["`acmeServer`", `${n(MAX_URL_LENGTH)} characters`],
        ];
        for (const [what, text] of expect) assert.ok(row(what).includes(text), `README input limits, row "${what}": expected "${text}" in ${JSON.stringify(row(what))}`);
    });
});

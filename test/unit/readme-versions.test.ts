// The README's requirements table states the versions package.json pins and the Node the project is built for: a
// dependency bump or a new Node must change the README (and .nvmrc must satisfy `engines`).
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_DIR } from "../../lib/root";

const read = (f: string) => fs.readFileSync(path.join(PROJECT_DIR, f), "utf8");

describe("README: requirements and versions", () => {
    const readme = read("README.md");
    const section = /### Requirements and versions\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? "";
    const row = (what: string) => section.split("\n").find((l) => l.startsWith(`| ${what}`)) ?? "";
    const pkg = JSON.parse(read("package.json"));
    const policyPkg = JSON.parse(read("policy/package.json"));
    const pinned: Record<string, string> = { ...pkg.dependencies, ...pkg.devDependencies, ...policyPkg.dependencies };

    it("has the table", () => assert.ok(section.includes("| what | version | why |"), "README.md: no '### Requirements and versions' table"));

    it("names the version package.json pins for each dependency it lists", () => {
        const rows: [string, string[]][] = [
            ["`@pulumi/pulumi`", ["@pulumi/pulumi"]],
            ["`@pulumi/command`", ["@pulumi/command", "@pulumi/random", "@pulumi/tls", "@pulumi/policy"]],
            ["`@pulumi/docker`", ["@pulumi/docker"]],
            ["TypeScript", ["typescript"]],
            ["mocha", ["mocha", "ts-node"]],
        ];
        for (const [what, names] of rows) {
            const line = row(what);
            assert.ok(line, `README.md: no row for ${what}`);
            for (const n of names) assert.ok(line.includes(pinned[n]), `README.md's row ${what} does not say ${n} ${pinned[n]}`);
        }
        assert.strictEqual(pkg.dependencies["@pulumi/pulumi"], policyPkg.dependencies["@pulumi/pulumi"], "the program and the pack pin the same SDK");
    });

    it(".nvmrc's Node satisfies engines, @types/node follows it, and the README names both", () => {
        const nvmrc = read(".nvmrc").trim();
        const min = /^>=(\d+)\.(\d+)$/.exec(pkg.engines.node);
        assert.ok(min, `engines.node is a lower bound, not '${pkg.engines.node}'`);
        assert.ok(Number(nvmrc) >= Number(min[1]), `.nvmrc ${nvmrc} is below engines ${pkg.engines.node}`);
        assert.strictEqual(pkg.devDependencies["@types/node"].split(".")[0], nvmrc, "@types/node's major is the targeted Node's");
        assert.ok(row("Node.js").includes(`≥ ${min[1]}.${min[2]}`) && row("Node.js").includes(`${nvmrc} LTS`), "README.md: the Node.js row");
        assert.ok(readme.includes(`Node.js ${min[1]}.${min[2]} or newer`), "README.md: the set-up line names the minimum Node");
    });
});

// The layering, checked on the import lines of every .ts source (parsed by the TypeScript compiler, so `import`,
// `export … from`, `import x = require()`, `require()`, `import()` and `typeof import()` types all count):
//   packages/facts   the contract: imports nothing from the rest of the repository;
//   policy/          the pack: its own files and @seed-web/facts only (it ships as a package of its own);
//   lib/             the model: nothing from components/ nor the composition root program.ts;
//   components/      the resources: nothing from tools/.

import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { PROJECT_DIR } from "../../lib/root";

const SKIP = new Set(["node_modules", "bin", ".git", "fixtures"]);

/** Every .ts source under the project, as a path relative to it with "/" separators. */
function sources(dir = PROJECT_DIR): string[] {
    const out: string[] = [];
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) {
            if (!SKIP.has(e.name) && !e.name.startsWith(".")) out.push(...sources(path.join(dir, e.name)));
        } else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) {
            out.push(path.relative(PROJECT_DIR, path.join(dir, e.name)).split(path.sep).join("/"));
        }
    }
    return out.sort();
}

/** The module specifiers a source names, each with its line. */
export function importsOf(file: string, text: string): { spec: string; line: number }[] {
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const found: { spec: string; line: number }[] = [];
    const add = (n: ts.Node | undefined) => {
        if (n && ts.isStringLiteralLike(n)) found.push({ spec: n.text, line: sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1 });
    };
    const visit = (n: ts.Node): void => {
        if (ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) add(n.moduleSpecifier);
        else if (ts.isImportEqualsDeclaration(n) && ts.isExternalModuleReference(n.moduleReference)) add(n.moduleReference.expression);
        else if (ts.isCallExpression(n) && (n.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(n.expression) && n.expression.text === "require"))) add(n.arguments[0]);
        else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument)) add(n.argument.literal);
        ts.forEachChild(n, visit);
    };
    visit(sf);
    return found;
}

/** Where a specifier leads: a project path (no extension) for a relative one, else the package name as written. */
function target(file: string, spec: string): { inRepo: boolean; to: string } {
    if (!spec.startsWith(".")) return { inRepo: false, to: spec };
    return { inRepo: true, to: path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)) };
}

const under = (p: string, dir: string) => p === dir || p.startsWith(`${dir}/`);

/** The imports that break the layering, as "file:line imports spec (why)". */
export function violations(files: { file: string; text: string }[]): string[] {
    const out: string[] = [];
    for (const { file, text } of files) {
        for (const { spec, line } of importsOf(file, text)) {
            const { inRepo, to } = target(file, spec);
            const bad = (why: string) => out.push(`${file}:${line} imports ${JSON.stringify(spec)} (${why})`);
            if (under(file, "packages/facts")) {
                if (inRepo && !under(to, "packages/facts")) bad("the contract imports nothing from the rest of the repository");
            } else if (under(file, "policy")) {
                if (inRepo && !under(to, "policy")) bad("the policy pack imports only its own files and @seed-web/facts");
                if (!inRepo && spec.startsWith("@seed-web/") && spec !== "@seed-web/facts") bad("the policy pack imports only its own files and @seed-web/facts");
            } else if (under(file, "lib")) {
                if (inRepo && (under(to, "components") || to === "program" || to === "index")) bad("lib/ is the model: nothing from components/ or the composition root");
            } else if (under(file, "components")) {
                if (inRepo && under(to, "tools")) bad("components/ import nothing from tools/");
            }
        }
    }
    return out;
}

describe("layers: who may import whom", () => {
    const files = sources().map((file) => ({ file, text: fs.readFileSync(path.join(PROJECT_DIR, file), "utf8") }));

    it("the contract, the policy pack, the model and the components import nothing against the layering", () => {
        assert.deepStrictEqual(violations(files), []);
    });

    it("reads every layer's imports (the check has something to check)", () => {
        const count = (dir: string) => files.filter((f) => under(f.file, dir)).reduce((n, f) => n + importsOf(f.file, f.text).length, 0);
        for (const dir of ["packages/facts", "policy", "lib", "components"]) assert.ok(count(dir) > 0, `no import read under ${dir}/`);
        assert.ok(files.some((f) => f.file === "program.ts"), "the composition root is program.ts, above lib/ and components/");
    });

    it("reports a back-import in any form, naming the file, the line and the rule", () => {
        const v = violations([
            { file: "packages/facts/naming.ts", text: 'import { STEP_NAMES } from "./vocabulary";\nimport type { Role } from "../../lib/config";\n' },
            { file: "policy/lib/model.ts", text: 'import { Role } from "@seed-web/facts";\nexport { x } from "../../lib/topology";\n' },
            { file: "policy/policies/x.ts", text: 'type C = typeof import("../../lib/config");\nconst r = require("../../tools/cli");\n' },
            { file: "lib/topology.ts", text: 'import { WebStack } from "../components/webstack";\nimport p = require("../program");\nimport { x } from "./steps";\n' },
            { file: "components/host.ts", text: 'import { shQuote } from "../lib/steps";\nconst m = import("../tools/capture");\n' },
        ]);
        assert.deepStrictEqual(
            v.map((s) => s.replace(/ \(.*\)$/, "")),
            [
                'packages/facts/naming.ts:2 imports "../../lib/config"',
                'policy/lib/model.ts:2 imports "../../lib/topology"',
                'policy/policies/x.ts:1 imports "../../lib/config"',
                'policy/policies/x.ts:2 imports "../../tools/cli"',
                'lib/topology.ts:1 imports "../components/webstack"',
                'lib/topology.ts:2 imports "../program"',
                'components/host.ts:2 imports "../tools/capture"',
            ],
        );
    });
});

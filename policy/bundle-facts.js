// prepack (and the project's build): the facts contract (@seed-web/facts, a workspace package that is not on the
// registry) travels inside the pack, as bin/node_modules/@seed-web/facts/index.js: the published pack needs only
// public dependencies. Its source (packages/facts/index.ts, types only besides its own code) is transpiled here.
"use strict";
const fs = require("fs");
const path = require("path");
const ts = require("typescript");

const dir = path.dirname(require.resolve("@seed-web/facts/package.json"));
const source = path.join(dir, "index.ts");
const to = path.join(__dirname, "bin", "node_modules", "@seed-web", "facts");
fs.rmSync(to, { recursive: true, force: true });
if (fs.existsSync(source)) {
    const out = ts.transpileModule(fs.readFileSync(source, "utf8"), {
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
        fileName: source,
        reportDiagnostics: true,
    });
    if (out.diagnostics && out.diagnostics.length) throw new Error(ts.formatDiagnostics(out.diagnostics, ts.createCompilerHost({})));
    fs.mkdirSync(to, { recursive: true });
    fs.writeFileSync(path.join(to, "index.js"), out.outputText);
}

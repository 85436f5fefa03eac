// Build of @seed-web/facts: every .ts of the package → bin/<name>.js (bin/index.js is its "main"), each transpiled
// alone (the contract imports nothing outside itself; its types are checked by the project's `tsc -b`). Run by
// `npm install` (prepare), `npm run build`, `npm test` and tools/run.js; a no-op until index.ts exists.
"use strict";
const fs = require("fs");
const path = require("path");
const ts = require("typescript");

if (fs.existsSync(path.join(__dirname, "index.ts"))) {
    for (const name of fs.readdirSync(__dirname).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts")).sort()) {
        const source = path.join(__dirname, name);
        const out = path.join(__dirname, "bin", name.replace(/\.ts$/, ".js"));
        if (fs.existsSync(out) && fs.statSync(out).mtimeMs >= fs.statSync(source).mtimeMs) continue;
        const r = ts.transpileModule(fs.readFileSync(source, "utf8"), {
            compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
            fileName: source,
            reportDiagnostics: true,
        });
        if (r.diagnostics && r.diagnostics.length) throw new Error(ts.formatDiagnostics(r.diagnostics, ts.createCompilerHost({})));
        fs.mkdirSync(path.dirname(out), { recursive: true });
        const tmp = `${out}.${process.pid}.tmp`;   // by a rename: a process loading it meanwhile sees old or new
        fs.writeFileSync(tmp, r.outputText);
        fs.renameSync(tmp, out);
    }
}

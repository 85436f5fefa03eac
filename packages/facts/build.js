// Build of @seed-web/facts: index.ts → bin/index.js (its "main"), transpiled alone (the contract has no runtime
// imports; its types are checked by the project's `tsc -b`). Run by `npm install` (prepare), `npm run build`,
// `npm test` and tools/run.js; a no-op until index.ts exists.
"use strict";
const fs = require("fs");
const path = require("path");
const ts = require("typescript");

const source = path.join(__dirname, "index.ts");
const out = path.join(__dirname, "bin", "index.js");
if (fs.existsSync(source)) {
    const text = fs.readFileSync(source, "utf8");
    if (!fs.existsSync(out) || fs.statSync(out).mtimeMs < fs.statSync(source).mtimeMs) {
        const r = ts.transpileModule(text, {
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

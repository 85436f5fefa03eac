#!/usr/bin/env node
// Run a TypeScript tool of the project as the JavaScript `tsc -b` compiled into bin/ (during `npm install`, `npm test`
// and `npm run build`): no ts-node, no type-check at start-up.
//   node tools/run.js tools/audit.ts [args…]   (what `npm run audit --` runs)
// When a source is newer than the last build (an edit since), it builds first (`tsc -b`, incremental), so the tool
// never runs stale code. Plain JavaScript on purpose: it must work before anything is compiled.
"use strict";
const fs = require("fs");
const path = require("path");

const root = path.join(__dirname, "..");
const info = path.join(root, "bin", ".tsbuildinfo");
const SOURCES = ["index.ts", "program.ts", "lib", "packages", "components", "policy", "tools", "bench", "test", "tsconfig.json"];

function newestSource() {
    let newest = 0;
    const walk = (p) => {
        let st;
        try {
            st = fs.statSync(p);
        } catch {
            return;
        }
        if (st.isDirectory()) {
            const base = path.basename(p);
            if (base === "node_modules" || base === "bin") return;
            for (const e of fs.readdirSync(p)) walk(path.join(p, e));
        } else if (/(\.ts|tsconfig\.json)$/.test(p) && st.mtimeMs > newest) newest = st.mtimeMs;
    };
    for (const s of SOURCES) walk(path.join(root, s));
    return newest;
}

function built() {
    try {
        return fs.statSync(info).mtimeMs;
    } catch {
        return 0;
    }
}

const [tool, ...args] = process.argv.slice(2);
if (!tool || !/\.ts$/.test(tool)) {
    process.stderr.write("usage: node tools/run.js PATH/TO/TOOL.ts [args…]\n");
    process.exit(2);
}
if (newestSource() > built()) {
    process.stderr.write("(sources changed since the last build: tsc -b)\n");
    require(path.join(root, "tools", "clean-stale.js"));
    const r = require("child_process").spawnSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-b", root], { stdio: ["ignore", 2, 2] });
    if (r.status !== 0) process.exit(r.status ?? 1);
    require(path.join(root, "packages", "facts", "build.js"));
    const now = new Date();
    fs.utimesSync(info, now, now);   // tsc leaves the file alone when nothing it tracks changed
}
const js = path.join(root, "bin", path.relative(root, path.resolve(tool)).replace(/\.ts$/, ".js"));
process.argv = [process.argv[0], js, ...args];
require("module").runMain();   // js as the main module (its `require.main === module` holds)

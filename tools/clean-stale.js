// Removes compiled output whose TypeScript source is gone (a moved or deleted module), before `tsc -b` builds:
// `tsc -b` never deletes old output, and Node would load a stale bin/lib/config.js ahead of bin/lib/config/index.js.
// bin/ mirrors the project (rootDir "."); policy/bin/ mirrors the project too (rootDir ".."), except its bundled
// node_modules/ (policy/bundle-facts.js writes those). Plain JavaScript: it runs before anything is compiled.
"use strict";
const fs = require("fs");
const path = require("path");

const ROOT = path.join(__dirname, "..");
const OUT = /\.(js|d\.ts|js\.map|d\.ts\.map)$/;

function clean(outDir, sourceRoot) {
    if (!fs.existsSync(outDir)) return;
    const walk = (dir) => {
        for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
            const p = path.join(dir, e.name);
            if (e.isDirectory()) {
                if (e.name !== "node_modules") walk(p);
            } else if (OUT.test(e.name)) {
                const rel = path.relative(outDir, p).replace(OUT, "");
                if (!fs.existsSync(path.join(sourceRoot, `${rel}.ts`))) fs.rmSync(p);
            }
        }
    };
    walk(outDir);
}

clean(path.join(ROOT, "bin"), ROOT);
clean(path.join(ROOT, "policy", "bin"), ROOT);

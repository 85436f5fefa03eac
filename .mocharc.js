// The offline suite runs the JavaScript that `tsc -b` compiled into bin/ (`npm test` builds first, incrementally):
// no ts-node in the test process. Only tests whose TypeScript source still exists run (bin/ may hold a deleted one).
// Give mocha a .ts file (`npx mocha test/unit/x.test.ts`) and it runs that through ts-node instead, as before.
"use strict";
const fs = require("fs");
const path = require("path");

const DIRS = ["test/unit", "test/policy", "test/audit"];
const tsGiven = process.argv.some((a) => /\.ts$/.test(a));
const compiled = DIRS.flatMap((d) =>
    fs
        .readdirSync(path.join(__dirname, d))
        .filter((f) => f.endsWith(".test.ts"))
        .sort()
        .map((f) => path.join("bin", d, f.replace(/\.ts$/, ".js"))),
);

module.exports = tsGiven
    ? { require: ["ts-node/register/transpile-only"], extension: ["ts"], timeout: 20000 }
    : { spec: compiled, timeout: 20000 };

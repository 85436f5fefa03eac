// The offline suite runs the JavaScript that `tsc -b` compiled into bin/ (`npm test` builds first, incrementally):
// no ts-node in the test process. Only tests whose TypeScript source still exists run (bin/ may hold a deleted one).
// Give mocha files of your own (`npx mocha bin/test/unit/x.test.js`) and it runs only those; a .ts file
// (`npx mocha test/unit/x.test.ts`) runs through ts-node, as before.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");

// Every *.test.ts under these folders, subfolders included (test/policy/policies/ holds one file per policy).
const DIRS = ["test/unit", "test/policy", "test/audit"];
const given = process.argv.slice(2).filter((a) => /\.test\.(ts|js)$/.test(a));
const tsGiven = given.some((a) => a.endsWith(".ts"));
const compiled = DIRS.flatMap((d) =>
    fs
        .readdirSync(path.join(__dirname, d), { recursive: true })
        .filter((f) => f.endsWith(".test.ts"))
        .sort()
        .map((f) => path.join("bin", d, f.replace(/\.ts$/, ".js"))),
);

// The compiled suite runs its files in parallel, one worker per core (at least two: mocha's default of cores - 1 is
// one on a 2-core machine). Each file runs in one worker from start to end; files share nothing but the disk, and
// what they build there (the policy pack's facts bundle) is written only when it changed, by a rename.
const jobs = Math.max(2, os.cpus().length);

module.exports = tsGiven
    ? { require: ["ts-node/register/transpile-only"], extension: ["ts"], timeout: 20000 }
    : { ...(given.length ? {} : { spec: compiled }), timeout: 20000, parallel: true, jobs };

// prepack: the facts contract (@seed-web/facts, a workspace package that is not on the registry) travels inside the
// pack, as bin/node_modules/@seed-web/facts: the published pack needs only public dependencies. Its compiled JS is
// what `tsc -b .` emitted here for the pack (bin/packages/facts/index.js).
"use strict";
const fs = require("fs");
const path = require("path");

const from = path.join(__dirname, "bin", "packages", "facts", "index.js");
const to = path.join(__dirname, "bin", "node_modules", "@seed-web", "facts");
fs.rmSync(to, { recursive: true, force: true });
if (fs.existsSync(from)) {
    fs.mkdirSync(to, { recursive: true });
    fs.copyFileSync(from, path.join(to, "index.js"));
}

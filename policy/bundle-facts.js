// prepack (and the project's build): the facts contract (@seed-web/facts, a workspace package that is not on the
// registry) travels inside the pack, as bin/node_modules/@seed-web/facts/index.js: the published pack needs only
// public dependencies. The JS is the facts package's own build (packages/facts/build.js, run first).
"use strict";
const fs = require("fs");
const path = require("path");

const dir = path.dirname(require.resolve("@seed-web/facts/package.json"));
require(path.join(dir, "build.js"));
const from = path.join(dir, "bin", "index.js");
const to = path.join(__dirname, "bin", "node_modules", "@seed-web", "facts");
const target = path.join(to, "index.js");
// Written only when it differs, and then by a rename: a pack being loaded meanwhile (the analyzer test starts one while
// `npm pack` runs this) never sees the file missing or half-written.
if (!fs.existsSync(from)) {
    fs.rmSync(to, { recursive: true, force: true });
} else {
    const text = fs.readFileSync(from);
    const have = fs.existsSync(target) ? fs.readFileSync(target) : undefined;
    if (!have || !have.equals(text)) {
        fs.mkdirSync(to, { recursive: true });
        const tmp = `${target}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, text);
        fs.renameSync(tmp, target);
    }
}

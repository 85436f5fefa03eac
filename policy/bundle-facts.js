// prepack (and the project's build): the facts contract (@seed-web/facts, a workspace package that is not on the
// registry) travels inside the pack, as bin/node_modules/@seed-web/facts/*.js (index.js and the modules it
// requires): the published pack needs only public dependencies. The JS is the facts package's own build
// (packages/facts/build.js, run first).
"use strict";
const fs = require("fs");
const path = require("path");

const dir = path.dirname(require.resolve("@seed-web/facts/package.json"));
require(path.join(dir, "build.js"));
const fromDir = path.join(dir, "bin");
const to = path.join(__dirname, "bin", "node_modules", "@seed-web", "facts");
const names = fs.existsSync(path.join(fromDir, "index.js")) ? fs.readdirSync(fromDir).filter((f) => f.endsWith(".js")) : [];
if (names.length === 0) {
    fs.rmSync(to, { recursive: true, force: true });
} else {
    // Each file written only when it differs, and then by a rename: a pack being loaded meanwhile (the analyzer test
    // starts one while `npm pack` runs this) never sees a file missing or half-written. Dependencies before index.js,
    // so a new index.js never finds an old or missing module beside it.
    fs.mkdirSync(to, { recursive: true });
    for (const name of names.sort((a, b) => (a === "index.js" ? 1 : 0) - (b === "index.js" ? 1 : 0) || a.localeCompare(b))) {
        const target = path.join(to, name);
        const text = fs.readFileSync(path.join(fromDir, name));
        const have = fs.existsSync(target) ? fs.readFileSync(target) : undefined;
        if (!have || !have.equals(text)) {
            const tmp = `${target}.${process.pid}.tmp`;
            fs.writeFileSync(tmp, text);
            fs.renameSync(tmp, target);
        }
    }
    // A module the contract no longer has leaves the pack too.
    for (const f of fs.readdirSync(to)) if (f.endsWith(".js") && !names.includes(f)) fs.rmSync(path.join(to, f), { force: true });
}

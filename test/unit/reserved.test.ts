// One list of reserved database and user names (issue 23): scripts/lib/input.sh holds it (LEMP_RESERVED_DATABASES,
// LEMP_RESERVED_USERS), lib/config.ts reads it. For every name of the lists (patterns instantiated), in other letter
// cases, and for near misses, the program's validation and scripts/database.sh's own check (run for real, with
// LEMP_CHECK_ONLY=1: nothing touched) give the same verdict, both ways: nothing the config accepts is refused in the
// middle of an `up`, nothing the script refuses passes the config.

import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { RESERVED_DATABASES, RESERVED_USERS, reservedDatabaseName, reservedUserName, scriptList } from "../../lib/config";
import { PROJECT_DIR } from "../../lib/root";
import { buildCommand } from "../../lib/steps";

const RELEASE = 'ID=ubuntu\nVERSION_ID="22.04"\nPRETTY_NAME="Ubuntu 22.04.4 LTS"\n';
/** What the names of the config may be at all (lib/config.ts `identifier`, the scripts' lemp_require). */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,31}$/;

function candidates(patterns: readonly string[], extra: string[]): string[] {
    const names = new Set<string>(extra);
    for (const p of patterns) {
        for (const fill of ["", "x", "_shop", ".sys"]) {
            const n = p.replace("*", fill);
            names.add(n).add(n.toUpperCase()).add(n[0].toUpperCase() + n.slice(1));
            names.add(`${n}2`).add(`x${n}`);
        }
    }
    // the scripts' own input check refuses what is not an identifier before the reserved check: compare the rest
    return [...names].filter((n) => IDENTIFIER.test(n));
}

describe("reserved database and user names: one list for the config and scripts/database.sh", function () {
    this.timeout(120_000);
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-reserved-"));
        fs.writeFileSync(path.join(dir, "os-release"), RELEASE);
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** database.sh's verdict on each name (one bash process for all: each check in its own subshell). */
    function scriptRefuses(variable: "LEMP_DB_NAME" | "LEMP_DB_USER", names: string[]): Map<string, boolean> {
        const lines = names.map((n, i) => {
            const env = { LEMP_DB_NAME: "app", LEMP_DB_USER: "app", [variable]: n };
            const cmd = buildCommand("database", env, "root");
            return `( ${cmd} ) </dev/null >/dev/null 2>"$OUT/${i}.err"; echo $? >"$OUT/${i}.rc"`;
        });
        fs.writeFileSync(path.join(dir, "run.sh"), lines.join("\n") + "\n");
        const r = spawnSync("bash", [path.join(dir, "run.sh")], {
            env: { PATH: process.env.PATH, OUT: dir, LEMP_CHECK_ONLY: "1", LEMP_OS_RELEASE: path.join(dir, "os-release") },
            encoding: "utf8",
            timeout: 110_000,
        });
        assert.strictEqual(r.status, 0, r.stderr);
        const verdicts = new Map<string, boolean>();
        names.forEach((n, i) => {
            const rc = fs.readFileSync(path.join(dir, `${i}.rc`), "utf8").trim();
            const err = fs.readFileSync(path.join(dir, `${i}.err`), "utf8");
            const refused = /must not be a reserved/.test(err);
            // anything else than the reserved check failing would make the comparison meaningless
            assert.ok(refused ? rc !== "0" : rc === "0", `${variable}=${n}: exit ${rc}: ${err.trim()}`);
            verdicts.set(n, refused);
        });
        return verdicts;
    }

    it("the lists are the scripts' (scripts/lib/input.sh), read from it", () => {
        const lib = fs.readFileSync(path.join(PROJECT_DIR, "scripts", "lib", "input.sh"), "utf8");
        assert.deepStrictEqual(RESERVED_DATABASES, scriptList("LEMP_RESERVED_DATABASES", lib));
        assert.deepStrictEqual(RESERVED_USERS, scriptList("LEMP_RESERVED_USERS", lib));
        assert.ok(RESERVED_USERS.includes("admin") && RESERVED_DATABASES.includes("test_*"));
    });

    it("dbName: the config refuses exactly what database.sh refuses", () => {
        const names = candidates(RESERVED_DATABASES, ["app", "shop", "tests", "testing", "Test_1", "mysql2", "sysadmin"]);
        const script = scriptRefuses("LEMP_DB_NAME", names);
        const differ = names.filter((n) => script.get(n) !== (reservedDatabaseName(n) !== undefined));
        assert.deepStrictEqual(differ.map((n) => `${n}: script ${script.get(n) ? "refuses" : "accepts"}, config ${reservedDatabaseName(n) ? "refuses" : "accepts"}`), []);
        assert.ok([...script.values()].filter(Boolean).length >= RESERVED_DATABASES.length, "the reserved names are refused");
        assert.strictEqual(script.get("app"), false);
    });

    it("dbUser: the config refuses exactly what database.sh refuses (admin included)", () => {
        const names = candidates(RESERVED_USERS, ["app", "administrator", "Admin", "ADMIN", "rooter", "replica", "mysqlx", "publication"]);
        const script = scriptRefuses("LEMP_DB_USER", names);
        const differ = names.filter((n) => script.get(n) !== (reservedUserName(n) !== undefined));
        assert.deepStrictEqual(differ.map((n) => `${n}: script ${script.get(n) ? "refuses" : "accepts"}, config ${reservedUserName(n) ? "refuses" : "accepts"}`), []);
        assert.strictEqual(script.get("admin"), true);
        assert.strictEqual(script.get("app"), false);
    });
});

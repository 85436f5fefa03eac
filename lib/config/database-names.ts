// Reserved database and user names: one list, scripts/lib/input.sh's, which scripts/database.sh checks too.

import * as fs from "fs";
import * as path from "path";
import { PROJECT_DIR } from "../root";

/** The replication account the database step creates on a primary and its replicas (scripts/database.sh). */
export const REPLICATION_USER = "repl";

/** The shared library's part that holds the reserved names (sent to the hosts with every step). */
export const RESERVED_NAMES_SCRIPT = "scripts/lib/input.sh";

/**
 * A list of scripts/lib/input.sh (LEMP_RESERVED_DATABASES, LEMP_RESERVED_USERS): shell patterns, lower case. One list
 * for the program's validation and the scripts' own check (`lemp_reserved`), read from the script the hosts run.
 */
export function scriptList(name: string, text = fs.readFileSync(path.join(PROJECT_DIR, RESERVED_NAMES_SCRIPT), "utf8")): string[] {
    const m = new RegExp(`^${name}='([^'\n]*)'$`, "m").exec(text);
    if (!m) throw new Error(`${RESERVED_NAMES_SCRIPT} does not define ${name}='…' on one line`);
    return m[1].split(/\s+/).filter(Boolean);
}

/** Database names the server owns, or that mysql_secure_installation's clean-up drops (`test`, `test\_%`): patterns. */
export const RESERVED_DATABASES = scriptList("LEMP_RESERVED_DATABASES");
/** Accounts the server, the distribution or this program own: patterns. */
export const RESERVED_USERS = scriptList("LEMP_RESERVED_USERS");

/** Whether `name` (in lower case) matches a shell pattern of the list (only `*` is special in them). */
function matchesPattern(name: string, patterns: readonly string[]): string | undefined {
    const n = name.toLowerCase();
    return patterns.find((p) => new RegExp(`^${p.split("*").map((x) => x.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`).test(n));
}

/** Why `name` may not be the application's database, or undefined when it may. Case-insensitive. */
export function reservedDatabaseName(name: string): string | undefined {
    const p = matchesPattern(name, RESERVED_DATABASES);
    if (p === undefined) return undefined;
    if (p.startsWith("test")) return `${p} databases are dropped by the secure installation's clean-up (test, test\\_%)`;
    return "a database the server owns or its secure installation drops";
}

/** Why `name` may not be the application's user, or undefined when it may. Case-insensitive. */
export function reservedUserName(name: string): string | undefined {
    const p = matchesPattern(name, RESERVED_USERS);
    if (p === undefined) return undefined;
    if (p === REPLICATION_USER) return `the replication account (${REPLICATION_USER}) is managed by the database step`;
    return `a system or reserved account of the database server (${p})`;
}

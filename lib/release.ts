// The user's application as a release: the directory named by `appSource`, identified by the hash of its files.
//
// The id is the same tree hash scripts/release.sh computes on the host over what arrived, so a copy cut short or
// changed on the way (or in the upload directory, which the login user owns) is refused before it is staged:
//   (cd DIR && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum
// i.e. sha256 over the lines "<sha256 of the file>  ./<path>\n", sorted by path bytes. Hand-written (no library
// hashes a tree like sha256sum does); only regular files count, directories are their paths.

import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

/** The release id: the first 20 hex digits of the tree hash (80 bits: no two releases of a site collide). */
export const RELEASE_ID = /^[0-9a-f]{20}$/;

/** What a release may hold: past these, copying it through the deployment's SSH connection is the wrong tool. */
export const MAX_RELEASE_FILES = 50_000;
export const MAX_RELEASE_BYTES = 512 * 1024 * 1024;

export interface ReleaseTree {
    id: string;
    files: number;
    bytes: number;
}

/** Why a directory cannot be shipped, or its tree. `key` names the setting in errors. */
export function releaseTree(dir: string): ReleaseTree | { error: string } {
    let st: fs.Stats;
    try {
        st = fs.statSync(dir);
    } catch {
        return { error: `no such directory: ${dir}` };
    }
    if (!st.isDirectory()) return { error: `not a directory: ${dir}` };
    const lines: Buffer[] = [];
    let bytes = 0;
    // iterative walk: no recursion depth on a hostile tree
    const todo: string[] = ["."];
    while (todo.length > 0) {
        const rel = todo.pop()!;
        let entries: fs.Dirent[];
        try {
            entries = fs.readdirSync(path.join(dir, rel), { withFileTypes: true });
        } catch (e) {
            return { error: `cannot read ${path.join(dir, rel)}: ${(e as NodeJS.ErrnoException).code ?? e}` };
        }
        for (const e of entries) {
            const r = `${rel}/${e.name}`;
            // sha256sum escapes a name with a backslash or a newline: such a name could not be checked on the host
            if (/[\\\n\r]/.test(e.name)) return { error: `${r}: a file name with a backslash or a line break cannot be shipped` };
            if (e.isSymbolicLink()) return { error: `${r} is a symbolic link: a release holds files and directories only (shared paths are linked on the host: appShared)` };
            if (e.isDirectory()) todo.push(r);
            else if (e.isFile()) {
                if (lines.length >= MAX_RELEASE_FILES) return { error: `more than ${MAX_RELEASE_FILES} files` };
                const data = fs.readFileSync(path.join(dir, r));
                bytes += data.length;
                if (bytes > MAX_RELEASE_BYTES) return { error: `more than ${MAX_RELEASE_BYTES / 1024 / 1024} MiB` };
                lines.push(Buffer.from(`${crypto.createHash("sha256").update(data).digest("hex")}  ${r}\n`));
            } else return { error: `${r} is not a regular file or a directory` };
        }
    }
    const pathOf = (l: Buffer) => l.subarray(66);
    lines.sort((a, b) => Buffer.compare(pathOf(a), pathOf(b)));
    const id = crypto.createHash("sha256").update(Buffer.concat(lines)).digest("hex").slice(0, 20);
    return { id, files: lines.length, bytes };
}

/** What a release's composer.json asks of the host: `composer install` and the PHP extensions it declares. */
export interface ComposerNeeds {
    /** A composer.json at the release's top: `composer install --no-dev` runs when the release is staged. */
    composer: boolean;
    /** The `ext-*` of its "require", lower case, without "ext-" (installed from the OS's packages when missing). */
    extensions: string[];
}

/** The composer.json of a release directory, read (not run); an error names what is wrong in it. */
export function composerNeeds(dir: string): ComposerNeeds | { error: string } {
    const file = path.join(dir, "composer.json");
    if (!fs.existsSync(file)) return { composer: false, extensions: [] };
    let doc: unknown;
    try {
        doc = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
        return { error: `composer.json is not JSON: ${(e as Error).message.slice(0, 200)}` };
    }
    const require = (doc as { require?: unknown })?.require;
    if (require !== undefined && (typeof require !== "object" || require === null || Array.isArray(require))) {
        return { error: `composer.json: "require" is not an object` };
    }
    const extensions: string[] = [];
    for (const name of Object.keys((require ?? {}) as object)) {
        const m = /^ext-(.+)$/i.exec(name);
        if (!m) continue;
        const ext = m[1].toLowerCase();
        // an extension's name becomes a package name (php<version>-<name>): letters, digits, _ and - only
        if (!/^[a-z0-9][a-z0-9_-]{0,40}$/.test(ext)) return { error: `composer.json requires ${JSON.stringify(name)}: not an extension name` };
        extensions.push(ext);
    }
    return { composer: true, extensions: [...new Set(extensions)].sort() };
}

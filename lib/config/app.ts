// The user's application (issue 20): its config keys together (their defaults and descriptions: settings.ts).

import * as fs from "fs";
import * as path from "path";
import { GitSourceError, isRepositoryUrl, redactRepository, resolveGitSource } from "../gitsource";
import { composerNeeds, RELEASE_ID, releaseTree } from "../release";
import { PROJECT_DIR } from "../root";
import { ConfigError } from "./errors";
import { bool, integer, list, RawConfig, str } from "./read";
import { APP_DEFAULTS } from "./settings";

export interface AppConfig {
    /** The local directory shipped as a release (absolute; `appSource` may be relative to the project), or a git
     * source's commit exported (lib/gitsource.ts). */
    source: string;
    /** A git source (appSource + appRef): the repository (credentials redacted), the ref and the commit it resolved to. */
    git?: { repository: string; ref: string; commit: string };
    /** Its release id (lib/release.ts: the hash of its files). */
    releaseId: string;
    files: number;
    bytes: number;
    /** The document root inside the release ("" = the release itself), e.g. "public". */
    docRoot: string;
    /** Paths inside the release kept across releases (uploads, storage): linked to shared/ on the host. */
    shared: string[];
    /** Releases kept on each host (the live one included): the ones a rollback can go back to. */
    keepReleases: number;
    /** Checked through the new release before and after it goes live; 2xx/3xx passes. */
    healthPath: string;
    /** Paths that are no file go to /index.php (frameworks' front controller). */
    frontController: boolean;
    /** Run once per release (on the first web host, in the release, as www-data) before it goes live. */
    migrate: string;
    /** Serve this kept release instead of appSource's (a rollback without a new upload); "" = appSource's. */
    release: string;
    /** What appSource's composer.json asks for: `composer install --no-dev`, the PHP extensions (ext-*). */
    composer: boolean;
    extensions: string[];
}
/** A path inside the release: relative, no "..", no "." segment, the characters a shell and nginx take verbatim. */
const RELATIVE_PATH = /^(?!\/)(?!.*(^|\/)\.{1,2}(\/|$))[A-Za-z0-9._@+-]+(\/[A-Za-z0-9._@+-]+)*$/;
export function parseApp(raw: RawConfig): AppConfig | undefined {
    const sourceText = str(raw, "appSource", APP_DEFAULTS.appSource);
    const others = Object.keys(APP_DEFAULTS).filter((k) => k !== "appSource" && raw[k] !== undefined);
    if (sourceText === "") {
        if (others.length > 0) throw new ConfigError(others[0], raw[others[0]], "needs appSource (the directory of your application); without it the demo page is served");
        return undefined;
    }
    if (sourceText.length > 4096 || /[\0\n\r]/.test(sourceText)) throw new ConfigError("appSource", undefined, "expected a directory path or a git repository", true);
    // a git source: appRef set (appSource a URL, user@host:path or a local repository); without appRef, a directory
    const ref = str(raw, "appRef", APP_DEFAULTS.appRef);
    // shown redacted (a password or token in a URL), also where the value is shown: render() cuts long values first
    const shownSource = redactRepository(sourceText);
    let source: string;
    let git: AppConfig["git"];
    if (ref !== "") {
        try {
            const g = resolveGitSource(sourceText, ref, PROJECT_DIR);
            source = g.dir;
            git = { repository: g.shown, ref, commit: g.commit };
        } catch (e) {
            if (e instanceof GitSourceError) throw new ConfigError(e.key, e.key === "appRef" ? ref : shownSource, e.message);
            throw e;
        }
    } else {
        if (isRepositoryUrl(sourceText)) {
            throw new ConfigError("appRef", undefined, `${shownSource} is a git repository: set appRef to the branch, tag or commit to deploy`);
        }
        source = path.resolve(PROJECT_DIR, sourceText);
    }
    const at = git ? ` (${shownSource} at ${git.commit})` : "";
    const tree = releaseTree(source);
    if ("error" in tree) throw new ConfigError("appSource", shownSource, `${tree.error}${at}`);
    const needs = composerNeeds(source);
    if ("error" in needs) throw new ConfigError("appSource", shownSource, `${needs.error}${at}`);
    const docRoot = str(raw, "appDocRoot", APP_DEFAULTS.appDocRoot);
    if (docRoot !== "") {
        if (!RELATIVE_PATH.test(docRoot)) {
            throw new ConfigError("appDocRoot", docRoot, "expected a directory inside the application, e.g. public (relative, no ..)");
        }
        let st: fs.Stats | undefined;
        try {
            st = fs.lstatSync(path.join(source, docRoot));
        } catch {
            st = undefined;
        }
        if (!st?.isDirectory()) throw new ConfigError("appDocRoot", docRoot, `no such directory in ${shownSource}${git ? ` at ${git.ref} (${git.commit})` : ""}`);
    }
    let shared: string[] = APP_DEFAULTS.appShared;
    if (raw.appShared !== undefined) {
        const v = list(raw, "appShared", "expected a list of paths inside the application, e.g. [storage, public/uploads]");
        shared = v.map((p, i) => {
            if (typeof p !== "string" || !RELATIVE_PATH.test(p)) {
                throw new ConfigError(`appShared[${i}]`, p, "expected a path inside the application (relative, no ..), e.g. storage");
            }
            const inside = (a: string, b: string) => a === b || a.startsWith(`${b}/`);
            const other = (v as string[]).findIndex((q, j) => j !== i && typeof q === "string" && (inside(p, q) || inside(q, p)));
            if (other >= 0) throw new ConfigError(`appShared[${i}]`, p, `overlaps appShared[${other}]: each shared path is a directory of its own`);
            if (docRoot !== "" && inside(docRoot, p)) throw new ConfigError(`appShared[${i}]`, p, "would hold the document root: share a directory inside it instead");
            return p;
        });
    }
    const healthPath = str(raw, "appHealthPath", APP_DEFAULTS.appHealthPath);
    if (!/^\/[A-Za-z0-9._~\/?=&%-]{0,200}$/.test(healthPath)) {
        throw new ConfigError("appHealthPath", healthPath, "expected a path starting with /, e.g. /health (letters, digits, . _ ~ / ? = & % -)");
    }
    if (healthPath === "/health.php") {
        throw new ConfigError("appHealthPath", healthPath, "is the stack's own health check (outside the release): give your application's path, e.g. /");
    }
    const migrate = str(raw, "appMigrate", APP_DEFAULTS.appMigrate);
    if (migrate.length > 1000 || /[\0\n\r]/.test(migrate)) throw new ConfigError("appMigrate", undefined, "expected one command line (at most 1000 characters)", true);
    const release = str(raw, "appRelease", APP_DEFAULTS.appRelease);
    if (release !== "" && !RELEASE_ID.test(release)) {
        throw new ConfigError("appRelease", release, "expected a release id (20 hex digits, as `npm run verify` and the hosts' releases/ list them), or \"\" for appSource's");
    }
    return {
        source,
        ...(git ? { git } : {}),
        releaseId: tree.id,
        files: tree.files,
        bytes: tree.bytes,
        docRoot,
        shared,
        keepReleases: integer(raw, "appKeepReleases", APP_DEFAULTS.appKeepReleases, 2, 50),
        healthPath,
        frontController: bool(raw, "appFrontController", APP_DEFAULTS.appFrontController),
        migrate,
        release,
        composer: needs.composer,
        extensions: needs.extensions,
    };
}

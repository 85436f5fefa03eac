// The user's application from a git repository (appSource + appRef): resolved where the program runs (the machine that
// runs `pulumi up`), with that machine's own `git` and its git/ssh configuration (credential helpers, ssh keys and
// agent, url.*.insteadOf). The ref becomes a commit, the commit is fetched shallowly into a cache repository, and its
// tree is exported with `git archive` into a directory named by the commit: from there on the release is that directory,
// exactly as a local appSource (lib/release.ts computes its id; the same commit gives the same files, the same id).
//
// The cache: `.seed-web/git/` in the project (SEED_WEB_GIT_CACHE overrides it):
//   repos/<hash of the URL without credentials>/  a bare repository, one per source; fetched commits kept under refs/seed-web/
//   trees/<commit>/                              the commit's files, written to a temporary directory and renamed: a
//                                                directory that exists is complete, and is reused without any network
// Credentials in a URL (https://user:token@host/...) are never written to the cache (nothing stores the URL; FETCH_HEAD
// is not written) and never shown: every message that names the repository or repeats git's output is scrubbed.

import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

/** A setting a git source got wrong; `key` is the config key to name (appSource or appRef). */
export class GitSourceError extends Error {
    constructor(
        readonly key: "appSource" | "appRef",
        reason: string,
    ) {
        super(reason);
        this.name = "GitSourceError";
    }
}

export interface GitRelease {
    /** The exported tree: the directory shipped as the release. */
    dir: string;
    /** The commit it holds (40 hex digits; 64 for a SHA-256 repository). */
    commit: string;
    /** The repository as it may be shown (credentials redacted). */
    shown: string;
}

/** Schemes git is allowed to use for a source (GIT_ALLOW_PROTOCOL): no ext::, fd:: or other remote helpers. */
const PROTOCOLS = ["file", "git", "http", "https", "ssh"];
/** `scheme://...` or `git+scheme://...` (the npm/pip spelling), for the schemes above. */
const URL_FORM = /^(?:git\+)?(https?|ssh|git|file):\/\//i;
/** git's scp-like form: [user@]host:path (host a name or [address]; not `a::b`, git's remote-helper form). */
const SCP_FORM = /^(?:[A-Za-z0-9._~%!$&'()*+,;=-]+@)?(?:[A-Za-z0-9][A-Za-z0-9.-]*|\[[0-9A-Fa-f:.]+\]):(?!:)(?!\/\/)/;
/** A commit written out in full (SHA-1 or SHA-256) or abbreviated (git's minimum is 4 digits). */
const FULL_COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const COMMIT_PREFIX = /^[0-9a-f]{4,64}$/i;

/** appSource names a remote repository (a URL or the scp-like form), i.e. it cannot be a local directory. */
export function isRepositoryUrl(source: string): boolean {
    return URL_FORM.test(source) || (SCP_FORM.test(source) && !/^[A-Za-z]:[\\/]/.test(source));
}

/** A URL with its credentials replaced by *** (user:password@ keeps the user; a lone https user is a token). */
export function redactRepository(source: string): string {
    return source.replace(/^((?:git\+)?([A-Za-z][A-Za-z0-9+.-]*):\/\/)([^/?#]*)@/, (_m, pre: string, scheme: string, userinfo: string) => {
        const colon = userinfo.indexOf(":");
        if (colon >= 0) return `${pre}${userinfo.slice(0, colon)}:***@`;
        return /^(?:git\+)?https?$/i.test(scheme) ? `${pre}***@` : `${pre}${userinfo}@`;
    });
}

/** The secrets a source's URL holds (its password or token, raw and decoded), to be scrubbed from git's output. */
function secretsOf(source: string): string[] {
    const m = /^(?:git\+)?[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)@/.exec(source);
    if (!m) return [];
    const userinfo = m[1];
    const colon = userinfo.indexOf(":");
    const secret = colon >= 0 ? userinfo.slice(colon + 1) : /^(?:git\+)?https?:/i.test(source) ? userinfo : "";
    const out = [userinfo, secret].filter((s) => s.length >= 3);
    for (const s of [...out]) {
        try {
            out.push(decodeURIComponent(s));
        } catch {
            // not percent-encoded text: the raw form is enough
        }
    }
    return [...new Set(out)].sort((a, b) => b.length - a.length);
}

/** Text with every URL's credentials and the source's secrets replaced by ***. */
export function scrub(text: string, source: string): string {
    let out = text.replace(/\b([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^\s/?#"'@]*(?:@[^\s/?#"'@]*)*@/g, "$1***@");
    for (const s of secretsOf(source)) out = out.split(s).join("***");
    return out;
}

/**
 * Why a ref cannot be used, or undefined: git's check-ref-format rules (no `..`, control characters, space, ~ ^ : ? * [ \,
 * no component starting with . or ending with .lock, no @{, not @, no leading -, no trailing / or .), at most 255.
 */
export function refProblem(ref: string): string | undefined {
    if (ref === "") return "empty";
    if (ref.length > 255) return "longer than 255 characters";
    if (ref.startsWith("-")) return "starts with -";
    // eslint-disable-next-line no-control-regex
    if (/[\x00-\x20\x7f~^:?*[\\]/.test(ref)) return "holds a space, a control character or one of ~ ^ : ? * [ \\";
    if (ref.includes("..")) return "holds ..";
    if (ref.includes("@{") || ref === "@") return "holds @{ or is @";
    if (ref.startsWith("/") || ref.endsWith("/") || ref.includes("//")) return "has an empty path component";
    if (ref.endsWith(".")) return "ends with .";
    for (const part of ref.split("/")) {
        if (part.startsWith(".")) return "has a component starting with .";
        if (part.endsWith(".lock")) return "has a component ending with .lock";
    }
    return undefined;
}

interface Run {
    source: string;
    shown: string;
}

/** The variables that point git at another repository than the one named (a hook's GIT_DIR, ...): never passed on. */
const REPOSITORY_VARIABLES = ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE", "GIT_PREFIX", "GIT_SHALLOW_FILE", "GIT_GRAFT_FILE", "GIT_REPLACE_REF_BASE", "GIT_QUARANTINE_PATH", "GIT_CEILING_DIRECTORIES"];

/** The user's environment (ssh agent, HOME for git/ssh config, credential helpers) without prompts or other repositories. */
function gitEnv(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: "0", GCM_INTERACTIVE: "never", SSH_ASKPASS_REQUIRE: "never", GIT_ALLOW_PROTOCOL: PROTOCOLS.join(":"), LC_ALL: "C" };
    for (const v of REPOSITORY_VARIABLES) delete env[v];
    return env;
}

/** Run git: an argument array (no shell), no terminal (no prompt: its own session, stdin closed), a time limit. */
function git(run: Run, args: string[], opts: { gitDir?: string; timeoutMs: number; what: string; key?: "appSource" | "appRef" }): string {
    try {
        return execFileSync("git", opts.gitDir ? [`--git-dir=${opts.gitDir}`, ...args] : args, {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
            timeout: opts.timeoutMs,
            maxBuffer: 64 * 1024 * 1024,
            // a session of its own: ssh cannot open a terminal to ask for a passphrase or a host key
            detached: true,
            env: gitEnv(),
        } as Parameters<typeof execFileSync>[2] & { encoding: "utf8" });
    } catch (e) {
        const err = e as NodeJS.ErrnoException & { stderr?: string; signal?: string };
        if (err.code === "ENOENT") {
            throw new GitSourceError("appSource", "git is not installed on this machine: a git source is fetched by the machine that runs `pulumi up`, with its git command");
        }
        if (err.code === "ETIMEDOUT" || err.signal === "SIGTERM") {
            throw new GitSourceError(opts.key ?? "appSource", `${opts.what} ${run.shown}: no answer within ${Math.round(opts.timeoutMs / 1000)} s`);
        }
        const said = scrub(String(err.stderr ?? ""), run.source)
            .split("\n")
            .map((l) => l.trim())
            // git's boilerplate after the reason ("Could not read from remote repository. Please make sure ...")
            .filter((l) => l !== "" && !/^(fatal: Could not read from remote repository\.|Please make sure you have the correct access rights|and the repository exists\.)$/.test(l))
            .slice(-3)
            .join("; ")
            .slice(0, 500);
        throw new GitSourceError(opts.key ?? "appSource", `${opts.what} ${run.shown}${said ? `: ${said}` : ""}`);
    }
}

const NETWORK_MS = 120_000;
const FETCH_MS = 600_000;
const LOCAL_MS = 120_000;

/** The cache directory: SEED_WEB_GIT_CACHE, else .seed-web/git in the project. */
export function gitCacheDir(projectDir: string): string {
    return process.env.SEED_WEB_GIT_CACHE ? path.resolve(process.env.SEED_WEB_GIT_CACHE) : path.join(projectDir, ".seed-web", "git");
}

/** A directory created under a temporary name and renamed into place (whoever renames first wins; both are complete). */
function createOnce(target: string, fill: (tmp: string) => void): void {
    if (fs.existsSync(target)) return;
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const tmp = `${path.join(path.dirname(target), `.tmp-${path.basename(target)}`)}-${process.pid}-${crypto.randomBytes(4).toString("hex")}`;
    fs.mkdirSync(tmp);
    try {
        fill(tmp);
        try {
            fs.renameSync(tmp, target);
        } catch (e) {
            if (!fs.existsSync(target)) throw e;
        }
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

/**
 * appSource (a repository) at appRef (a branch, a tag or a commit) as a directory of its files. Errors are
 * GitSourceErrors naming the key at fault; no message holds the URL's credentials.
 */
export function resolveGitSource(sourceText: string, ref: string, projectDir: string): GitRelease {
    const shown = redactRepository(sourceText);
    const problem = refProblem(ref);
    if (problem !== undefined) throw new GitSourceError("appRef", `expected a branch, a tag or a commit: ${problem}`);
    let url: string;
    if (isRepositoryUrl(sourceText)) {
        url = sourceText.replace(/^git\+/i, "");
    } else {
        if (sourceText.startsWith("-")) throw new GitSourceError("appSource", "expected a git repository: a URL or a directory");
        if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(sourceText)) {
            throw new GitSourceError("appSource", `unsupported scheme: a git source is ${PROTOCOLS.map((p) => `${p}://`).join(", ")} (git+ before any of them is accepted), user@host:path or a local repository`);
        }
        url = path.resolve(projectDir, sourceText);
    }
    const cache = gitCacheDir(projectDir);
    const trees = path.join(cache, "trees");
    // a commit written out in full whose files are already exported: nothing to ask the repository
    if (FULL_COMMIT.test(ref) && fs.existsSync(path.join(trees, ref))) return { dir: path.join(trees, ref), commit: ref, shown };
    if (!isRepositoryUrl(sourceText) && !fs.existsSync(url)) throw new GitSourceError("appSource", `no such directory: ${url} (appRef is set: appSource is a git repository)`);
    const run: Run = { source: sourceText, shown };
    git(run, ["--version"], { timeoutMs: LOCAL_MS, what: "git --version for" });

    // the repository's refs (this also tells a reachable repository from anything else)
    let listing: string;
    try {
        listing = git(run, ["ls-remote", "--", url], { timeoutMs: NETWORK_MS, what: "cannot read the git repository" });
    } catch (e) {
        // a local directory that is no repository: appRef is what made it a git source
        if (e instanceof GitSourceError && !isRepositoryUrl(sourceText) && !/timed out|no answer within/.test(e.message)) {
            throw new GitSourceError("appSource", `${e.message} (appRef is set, so appSource must be a git repository: unset appRef to ship the directory as it is)`);
        }
        throw e;
    }
    const refs = new Map<string, string>();
    for (const line of listing.split("\n")) {
        const m = /^([0-9a-f]{40}|[0-9a-f]{64})\t(\S+)$/.exec(line);
        if (m) refs.set(m[2], m[1]);
    }
    const peeled = (name: string) => refs.get(`${name}^{}`) ?? refs.get(name);
    let commit: string | undefined;
    if (ref.startsWith("refs/") || ref === "HEAD") {
        commit = peeled(ref);
    } else {
        const tag = peeled(`refs/tags/${ref}`);
        const branch = peeled(`refs/heads/${ref}`);
        if (tag && branch && tag !== branch) {
            throw new GitSourceError("appRef", `${JSON.stringify(ref)} is both a branch and a tag in ${shown}: give refs/heads/${ref} or refs/tags/${ref}`);
        }
        commit = tag ?? branch;
    }
    let abbreviated: string | undefined;
    if (commit === undefined) {
        if (!COMMIT_PREFIX.test(ref)) throw new GitSourceError("appRef", `no branch or tag ${JSON.stringify(ref)} in ${shown}`);
        const lower = ref.toLowerCase();
        if (FULL_COMMIT.test(lower)) commit = lower;
        else {
            const tips = [...new Set([...refs.values()].filter((c) => c.startsWith(lower)))];
            if (tips.length === 1) commit = tips[0];
            else abbreviated = lower;
        }
    }
    if (commit !== undefined && fs.existsSync(path.join(trees, commit))) return { dir: path.join(trees, commit), commit, shown };

    // the cache repository: bare, one per source; export-subst off (it would make the files depend on more than the commit)
    const key = crypto.createHash("sha256").update(url.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#]*@/, "$1")).digest("hex").slice(0, 24);
    const repo = path.join(cache, "repos", key);
    createOnce(repo, (tmp) => {
        git(run, ["init", "--quiet", "--bare", tmp], { timeoutMs: LOCAL_MS, what: "git init of the cache for" });
        fs.writeFileSync(path.join(tmp, "info", "attributes"), "* -export-subst\n");
    });
    const has = (c: string) => {
        try {
            execFileSync("git", [`--git-dir=${repo}`, "cat-file", "-e", `${c}^{commit}`], { stdio: "ignore", timeout: LOCAL_MS, env: gitEnv() });
            return true;
        } catch {
            return false;
        }
    };
    const noSuchCommit = () => new GitSourceError("appRef", `no branch, tag or commit ${JSON.stringify(ref)} in ${shown}`);
    if (commit !== undefined && !has(commit)) {
        try {
            git(run, ["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--depth", "1", "--", url, `${commit}:refs/seed-web/${commit}`], {
                gitDir: repo,
                timeoutMs: FETCH_MS,
                what: "cannot fetch from",
            });
        } catch (e) {
            // a commit that is no tip: servers that refuse to send it by its id are asked for every branch and tag
            if (refs.size > 0 && [...refs.values()].includes(commit)) throw e;
            abbreviated = commit;
        }
    }
    if (abbreviated !== undefined) {
        git(run, ["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--depth", "2147483647", "--", url, "+refs/heads/*:refs/seed-web/heads/*", "+refs/tags/*:refs/seed-web/tags/*"], {
            gitDir: repo,
            timeoutMs: FETCH_MS,
            what: "cannot fetch from",
        });
        let full: string;
        try {
            full = execFileSync("git", [`--git-dir=${repo}`, "rev-parse", "--verify", "--quiet", "--end-of-options", `${abbreviated}^{commit}`], {
                encoding: "utf8",
                stdio: ["ignore", "pipe", "ignore"],
                timeout: LOCAL_MS,
                env: gitEnv(),
            }).trim();
        } catch {
            throw noSuchCommit();
        }
        if (!FULL_COMMIT.test(full)) throw noSuchCommit();
        commit = full;
        git(run, ["update-ref", `refs/seed-web/${commit}`, commit], { gitDir: repo, timeoutMs: LOCAL_MS, what: "git update-ref in the cache of" });
    }
    const found = commit!;

    // the commit's tree, exported: git archive's tar (regular files, directories, links; no .git), extracted by tar
    const dir = path.join(trees, found);
    createOnce(dir, (tmp) => {
        const tar = `${tmp}.tar`;
        try {
            git(run, ["archive", "--format=tar", `--output=${tar}`, found], { gitDir: repo, timeoutMs: LOCAL_MS, what: "git archive of" });
            try {
                execFileSync("tar", ["-x", "-f", tar, "-C", tmp, "--no-same-owner"], { stdio: ["ignore", "ignore", "pipe"], timeout: LOCAL_MS });
            } catch (e) {
                throw new GitSourceError("appSource", `cannot extract commit ${found} of ${shown}: ${scrub(String((e as { stderr?: unknown }).stderr ?? e), sourceText).slice(0, 300)}`);
            }
        } finally {
            fs.rmSync(tar, { force: true });
        }
    });
    return { dir, commit: found, shown };
}

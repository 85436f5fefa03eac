// The user's application from a git repository (appSource + appRef, issue 20): real repositories in a temp directory,
// resolved with the machine's git, exported, and shipped as the same release as a plain directory of the same files.
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigError, loadConfig, RawConfig, redactUrls } from "../../lib/config";
import { redactRepository, refProblem, scrub } from "../../lib/gitsource";
import { releaseTree } from "../../lib/release";
import { PROJECT_DIR } from "../../lib/root";
import { captureProgram, reveal } from "../../tools/capture";

const APP = path.join(PROJECT_DIR, "test/fixtures/app");

/** git in a test repository: identity and dates given, no global or system config needed (root in CI). */
function git(cwd: string, ...args: string[]): string {
    return execFileSync("git", ["-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", ...args], {
        cwd,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", GIT_AUTHOR_DATE: "2026-01-01T00:00:00Z", GIT_COMMITTER_DATE: "2026-01-01T00:00:00Z" },
    }).trim();
}

function refusal(raw: RawConfig): ConfigError {
    try {
        loadConfig(raw);
    } catch (e) {
        assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${e}`);
        return e;
    }
    assert.fail(`accepted ${JSON.stringify(raw)}`);
}

function refuses(raw: RawConfig, key: string, says: RegExp): ConfigError {
    const e = refusal(raw);
    assert.strictEqual(e.key, key, e.message);
    assert.match(e.message, says);
    return e;
}

const idOf = (dir: string) => {
    const t = releaseTree(dir);
    assert.ok(!("error" in t), JSON.stringify(t));
    return t.id;
};

describe("release: a git repository as the source (appSource + appRef)", function () {
    this.timeout(30000);
    let tmp: string;
    let repo: string;
    let first: string;
    const saved = process.env.SEED_WEB_GIT_CACHE;
    beforeEach(() => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-git-"));
        process.env.SEED_WEB_GIT_CACHE = path.join(tmp, "cache");
        // the fixture application committed on main, tagged v1 (annotated) and v1-light; a branch "feature" at it
        repo = path.join(tmp, "site");
        fs.cpSync(APP, repo, { recursive: true });
        git(tmp, "init", "-q", repo);
        git(repo, "add", "-A");
        git(repo, "commit", "-q", "-m", "first");
        git(repo, "tag", "-a", "-m", "v1", "v1");
        git(repo, "tag", "v1-light");
        git(repo, "branch", "feature");
        first = git(repo, "rev-parse", "HEAD");
    });
    afterEach(() => {
        if (saved === undefined) delete process.env.SEED_WEB_GIT_CACHE;
        else process.env.SEED_WEB_GIT_CACHE = saved;
        fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("a branch, a tag (annotated or not) and a commit (full or abbreviated) give the release of the same files as a directory", () => {
        const plain = idOf(APP);
        const tries = [...["main", "feature", "v1", "v1-light", "refs/tags/v1", first, first.slice(0, 8)].map((ref) => [repo, ref]), [`file://${repo}`, "v1"], [`git+file://${repo}`, "feature"]];
        for (const [source, ref] of tries) {
            const app = loadConfig({ appSource: source, appRef: ref, appDocRoot: "public" }).app!;
            assert.strictEqual(app.releaseId, plain, `${source} at ${ref}`);
            assert.deepStrictEqual(app.git, { repository: source, ref, commit: first });
            assert.strictEqual(app.source, path.join(tmp, "cache", "trees", first));
            assert.ok(!fs.existsSync(path.join(app.source, ".git")), "no .git in the release");
        }
        // relative to the project, as a directory is
        assert.strictEqual(loadConfig({ appSource: path.relative(PROJECT_DIR, repo), appRef: "main" }).app!.releaseId, plain);
    });

    it("a new commit on the branch is a new release; the old commit and the tag still give the old one, also once the repository is gone", () => {
        const old = loadConfig({ appSource: repo, appRef: "main" }).app!.releaseId;
        fs.appendFileSync(path.join(repo, "public", "index.php"), "\n// v2\n");
        git(repo, "commit", "-q", "-am", "second");
        const second = git(repo, "rev-parse", "HEAD");
        const now = loadConfig({ appSource: repo, appRef: "main" }).app!;
        assert.notStrictEqual(now.releaseId, old);
        assert.strictEqual(now.git!.commit, second);
        assert.strictEqual(now.releaseId, idOf(path.join(tmp, "cache", "trees", second)));
        assert.strictEqual(loadConfig({ appSource: repo, appRef: "v1" }).app!.releaseId, old);
        // the old commit, no tip any more, abbreviated (the history fetched) or in full into an empty cache (fetched by its id)
        assert.strictEqual(loadConfig({ appSource: repo, appRef: first.slice(0, 7) }).app!.releaseId, old);
        process.env.SEED_WEB_GIT_CACHE = path.join(tmp, "cache2");
        assert.strictEqual(loadConfig({ appSource: repo, appRef: first }).app!.source, path.join(tmp, "cache2", "trees", first));
        assert.strictEqual(loadConfig({ appSource: repo, appRef: first }).app!.releaseId, old);
        process.env.SEED_WEB_GIT_CACHE = path.join(tmp, "cache");
        // a commit already exported: the same directory and id, without asking the repository
        fs.rmSync(repo, { recursive: true, force: true });
        assert.strictEqual(loadConfig({ appSource: repo, appRef: first }).app!.releaseId, old);
        assert.strictEqual(loadConfig({ appSource: repo, appRef: second }).app!.releaseId, now.releaseId);
    });

    it("the export is the commit's files: export-ignore honoured, export-subst not (the files depend on the commit only)", () => {
        fs.writeFileSync(path.join(repo, ".gitattributes"), "tests export-ignore\nversion.txt export-subst\n");
        fs.mkdirSync(path.join(repo, "tests"));
        fs.writeFileSync(path.join(repo, "tests", "t.php"), "<?php");
        fs.writeFileSync(path.join(repo, "version.txt"), "$Format:%d$\n");
        git(repo, "add", "-A");
        git(repo, "commit", "-q", "-m", "attributes");
        const dir = loadConfig({ appSource: repo, appRef: "main" }).app!.source;
        assert.ok(!fs.existsSync(path.join(dir, "tests")));
        assert.strictEqual(fs.readFileSync(path.join(dir, "version.txt"), "utf8"), "$Format:%d$\n");
    });

    it("the captured program copies the exported directory to each web host, identified by its release id", async () => {
        const capture = await captureProgram({ raw: { appSource: `git+file://${repo}`, appRef: "v1", appDocRoot: "public" } });
        const copies = capture.resources.filter((r) => r.type === "command:remote:CopyToRemote");
        assert.strictEqual(copies.length, 1);
        const inputs = reveal(copies[0].inputs) as { source: { path: string }; remotePath: string; triggers: string[] };
        const id = idOf(APP);
        assert.strictEqual(inputs.source.path, path.join(tmp, "cache", "trees", first));
        assert.strictEqual(inputs.remotePath, `/tmp/seed-web-upload-${id}`);
        assert.deepStrictEqual(inputs.triggers, [id]);
    });

    it("a ref that does not exist, or is no ref, is refused naming appRef and the ref", () => {
        refuses({ appSource: repo, appRef: "nope" }, "appRef", /"nope".*no branch or tag "nope"/);
        refuses({ appSource: repo, appRef: "deadbeef" }, "appRef", /no branch, tag or commit "deadbeef"/);
        refuses({ appSource: repo, appRef: "0".repeat(40) }, "appRef", /no branch, tag or commit "0{40}"/);
        for (const bad of ["-h", "--upload-pack=touch /tmp/x", "a..b", "a b", "a\u0001b", "main~1", "x^{}", "a:b", ".hidden", "a/", "x.lock", "@{-1}"]) {
            refuses({ appSource: repo, appRef: bad }, "appRef", /expected a branch, a tag or a commit/);
        }
        // a branch and a tag of one name pointing at different commits: which one is meant must be said
        git(repo, "commit", "-q", "--allow-empty", "-m", "next");
        git(repo, "tag", "feature");
        refuses({ appSource: repo, appRef: "feature" }, "appRef", /both a branch and a tag.*refs\/heads\/feature/);
    });

    it("appSource that is no git repository, cannot be reached, or needs appRef is refused naming the key", () => {
        refuses({ appSource: APP, appRef: "main" }, "appSource", /does not appear to be a git repository.*unset appRef to ship the directory/);
        refuses({ appSource: path.join(tmp, "missing"), appRef: "main" }, "appSource", /no such directory/);
        refuses({ appSource: `file://${tmp}/missing.git`, appRef: "main" }, "appSource", /cannot read the git repository/);
        refuses({ appSource: "ext::sh -c touch% /tmp/pwned", appRef: "main" }, "appSource", /no such directory/);
        refuses({ appSource: "ftp://example.com/x.git", appRef: "main" }, "appSource", /unsupported scheme/);
        // a repository without appRef; appRef without appSource
        refuses({ appSource: "https://example.com/site.git" }, "appRef", /is a git repository: set appRef/);
        refuses({ appSource: "git@example.com:me/site.git" }, "appRef", /is a git repository: set appRef/);
        refuses({ appRef: "main" }, "appRef", /needs appSource/);
    });

    it("git missing on the machine is said, naming appSource", () => {
        const pathBefore = process.env.PATH;
        process.env.PATH = path.join(tmp, "no-bin");
        try {
            refuses({ appSource: repo, appRef: "main" }, "appSource", /git is not installed/);
        } finally {
            process.env.PATH = pathBefore;
        }
    });

    it("a URL's credentials never appear in an error: the value, the reason, git's own output", () => {
        for (const source of ["https://user:s3cret@127.0.0.1:9/x.git", "git+https://user:s3cret@127.0.0.1:9/x.git", "https://s3cret@127.0.0.1:9/x.git", "http://u:s3%63ret@127.0.0.1:9/x.git"]) {
            const e = refuses({ appSource: source, appRef: "main" }, "appSource", /cannot read the git repository .*127\.0\.0\.1:9/);
            assert.ok(!/s3cret|s3%63ret/.test(e.message), e.message);
            assert.ok(!/s3cret/.test(String(e.stack)), "nor in the stack");
        }
        // a long token: the value is cut before it is shown, never in the middle of the credentials
        const long = `https://user:${"s3cret.".repeat(40)}@127.0.0.1:9/x.git`;
        const cut = refuses({ appSource: long, appRef: "main" }, "appSource", /cannot read the git repository/);
        assert.ok(!cut.message.includes("s3cret"), cut.message);
        const e = refuses({ appSource: "https://user:s3cret@example.com/x.git" }, "appRef", /set appRef/);
        assert.ok(!e.message.includes("s3cret"), e.message);
        assert.match(e.message, /https:\/\/user:\*\*\*@example\.com\/x\.git/);
        // a password holding an @ (the last @ ends it, as in a URL parser): neither part of it shown
        const at = refuses({ appSource: "https://u:p@ss@example.com/x.git" }, "appRef", /set appRef/);
        assert.ok(!/p@ss|ss@example/.test(at.message), at.message);
    });

    it("redaction: the password or token replaced, the user and host kept; git's output scrubbed, decoded forms too", () => {
        assert.strictEqual(redactRepository("https://user:s3cret@host/x.git"), "https://user:***@host/x.git");
        assert.strictEqual(redactRepository("git+https://ghp_tok3n@host/x.git"), "git+https://***@host/x.git");
        assert.strictEqual(redactRepository("https://u:p@ss@host/x.git"), "https://u:***@host/x.git");
        assert.strictEqual(redactRepository("ssh://git@host/x.git"), "ssh://git@host/x.git");
        assert.strictEqual(redactRepository("git@host:me/x.git"), "git@host:me/x.git");
        assert.strictEqual(redactRepository("../site"), "../site");
        // every config value shown in an error: the whole user part, up to the last @ before the host
        assert.strictEqual(redactUrls("see https://u:p@ss@host/x.git"), "see https://***@host/x.git");
        const said = "fatal: unable to access 'https://user:s3cr%40t@host/x.git/': password s3cr@t refused for https://other:pw@h2/";
        const out = scrub(said, "https://user:s3cr%40t@host/x.git");
        assert.ok(!/s3cr|pw@/.test(out), out);
        assert.strictEqual(refProblem(first), undefined);
        assert.strictEqual(refProblem("release/2026-12"), undefined);
    });
});

// Your application, deployed with zero downtime (issue 20), on real hosts under a constant-rate load (autocannon, on
// the test bridge only): GETs and POSTs that write a row, and a slow (20 s) request in flight at each switch.
// Counts of failures are asserted here; rates and latencies are bench/deploy.ts's.
import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { releaseTree } from "../../lib/release";
import { PROJECT_DIR } from "../../lib/root";
import { APP_SETTINGS, deploySuite, Deployment, releaseDir } from "./deploy-lib";
import { EngineRun, onHost, StepFailed, summary, TestHost } from "./lib";
import { LoadReport, withLoad } from "./load";

const WWW = "www.foobar.com";
const started = Date.now();
const log = (what: string, runs: EngineRun[]) => console.log(`      ${what} (${((Date.now() - started) / 1000).toFixed(0)}s): ${summary(runs)}`);

/** One GET with a fresh connection: status, the release headers and the body. */
function get(ip: string, urlPath: string, timeoutMs = 60_000): Promise<{ status: number; release?: string; appRelease?: string; body: string; error?: string }> {
    return new Promise((resolve) => {
        const req = http.get({ host: ip, port: 80, path: urlPath, headers: { Host: WWW }, agent: false, timeout: timeoutMs }, (res) => {
            let body = "";
            res.on("data", (d) => (body += d));
            res.on("end", () =>
                resolve({ status: res.statusCode ?? 0, release: res.headers["x-release"] as string | undefined, appRelease: res.headers["x-app-release"] as string | undefined, body }),
            );
        });
        req.on("timeout", () => req.destroy(new Error("timeout")));
        req.on("error", (e: NodeJS.ErrnoException) => resolve({ status: 0, body: "", error: e.code ?? e.message }));
    });
}

function report(what: string, r: LoadReport): void {
    console.log(`      ${what}: ${r.failed} failed of ${r.requests} requests (p99 ${r.p99} ms, idle p99 ${r.idleP99} ms); ${r.mixed} responses naming two releases; ${r.posts} rows written`);
}

describe("e2e: deploy your application (releases, switch under load, failed check, rollback, 20 deploys)", function () {
    const one: TestHost = { name: "dp-one", ip: "10.200.0.65", roles: ["web", "app", "db"], rootfs: "warm" };
    const list = [one];
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-deploy-"));
    const settings = { ...APP_SETTINGS, appKeepReleases: "5" };
    const stack = new Deployment(list, settings, log);
    const deploy = (what: string, extra: Record<string, string>) => stack.up(what, extra);
    const v1 = releaseDir(work, "v1");
    const v2 = releaseDir(work, "v2");
    let rowsAcknowledged = 0;

    deploySuite(stack, work, v1, 900_000);

    it("the first up serves the release: its files root's, its shared storage www-data's, /health.php the stack's own", async function () {
        this.timeout(120_000);
        const page = await get(one.ip, "/");
        assert.strictEqual(page.status, 200);
        assert.strictEqual(page.release, v1.id);
        assert.strictEqual(page.appRelease, v1.id);
        assert.match(page.body, /mark=v1/);
        assert.match((await get(one.ip, "/health.php")).body, /^ok/);
        const out = await onHost(
            one.ip,
            `cd /var/www/foobar.com-app && readlink current && stat -c '%U %a' releases/${v1.id}/public/index.php && stat -c '%U' shared/storage && readlink releases/${v1.id}/storage && cat shared/storage/last-release && echo && ls /tmp | grep -c seed-web-upload || true`,
        );
        assert.deepStrictEqual(out.trim().split("\n"), [`releases/${v1.id}`, "root 644", "www-data", "/var/www/foobar.com-app/shared/storage", v1.id, "0"]);
    });

    it("a deploy under load on the one-server design: 0 failed, the slow request answered by its own release, no response mixing two", async function () {
        this.timeout(600_000);
        const slow = () => [get(one.ip, "/?sleep=20").then((a) => ({ status: a.status, release: a.appRelease, error: a.error }))];
        const r = await withLoad({ target: one.ip, host: WWW, rate: 100, slow }, async () => {
            await deploy("deploy v2 under load", { appSource: v2.dir });
        });
        report("deploy (one server)", r);
        rowsAcknowledged += r.posts;
        assert.strictEqual(r.failed, 0, JSON.stringify(r.failures.slice(0, 5)));
        assert.strictEqual(r.mixed, 0);
        assert.ok(r.requests >= 500, `${r.requests} requests`);
        for (const s of r.slow) {
            assert.strictEqual(s.status, 200, JSON.stringify(s));
            assert.strictEqual(s.release, v1.id, "the slow request finished in the release it started in");
        }
        assert.deepStrictEqual(new Set(r.releasesSeen), new Set([v1.id, v2.id]));
        assert.strictEqual((await get(one.ip, "/")).release, v2.id);
    });

    it("a release whose health check fails never goes live: the up fails naming the host and the check, the live one keeps serving", async function () {
        this.timeout(300_000);
        const bad = releaseDir(work, "v3-bad", { FAIL_HEALTH: "1\n" });
        const live = (await get(one.ip, "/")).release;
        await assert.rejects(
            deploy("deploy a failing release", { appSource: bad.dir }),
            (e: unknown) => {
                assert.ok(e instanceof StepFailed, String(e));
                assert.match(e.message, /dp-one-stage/);
                assert.match(e.message, /\/health answered HTTP 500 through the new release/);
                return true;
            },
        );
        const now = await get(one.ip, "/");
        assert.strictEqual(now.status, 200);
        assert.strictEqual(now.release, live);
        assert.strictEqual((await onHost(one.ip, "readlink /var/www/foobar.com-app/current")).trim(), `releases/${live}`);
    });

    it("rollback: appRelease names a kept release; it is live again with no upload, the shared storage kept", async function () {
        this.timeout(300_000);
        // appSource still names the newest code; appRelease the kept release to serve
        const plan = await stack.plan({ appSource: v2.dir, appRelease: v1.id });
        assert.ok(plan.every((p) => !p.uploads), "nothing to copy for a kept release");
        await deploy("roll back to v1", { appSource: v2.dir, appRelease: v1.id });
        const page = await get(one.ip, "/");
        assert.strictEqual(page.release, v1.id);
        assert.match(page.body, /mark=v1/);
        assert.strictEqual((await onHost(one.ip, "cat /var/www/foobar.com-app/shared/storage/README")).trim(), "kept across releases");
    });

    it("20 deploys in a row under load: 0 failed, opcache not full and hit rate >= 99 %, releases pruned to appKeepReleases, every acknowledged row kept", async function () {
        this.timeout(1_200_000);
        const ids: string[] = [];
        const r = await withLoad({ target: one.ip, host: WWW, rate: 100 }, async () => {
            for (let i = 1; i <= 20; i++) {
                const rel = releaseDir(work, `r${i}`);
                ids.push(rel.id);
                await deploy(`deploy ${i} of 20`, { appSource: rel.dir });
            }
        });
        report("20 deploys", r);
        rowsAcknowledged += r.posts;
        assert.strictEqual(r.failed, 0, JSON.stringify(r.failures.slice(0, 5)));
        assert.strictEqual(r.mixed, 0);
        // opcache after 20 deploys: the scripts of one release, not of 20 (not full), and serving from the cache. The
        // hit rate is taken over 1,000 requests once the deploys are done (the steady state); the counters since the
        // last reset (the misses right after it, under load, included) are logged too.
        type Op = { full: boolean; scripts: number; hits: number; misses: number };
        const opcache = async () => JSON.parse((await get(one.ip, "/opcache")).body) as Op;
        const before = await opcache();
        for (let i = 0; i < 1000; i++) await get(one.ip, "/");
        const op = await opcache();
        const restarted = op.hits < before.hits;   // a restart between the two reads resets the counters
        const hits = restarted ? op.hits : op.hits - before.hits;
        const misses = restarted ? op.misses : op.misses - before.misses;
        const hitRate = (100 * hits) / (hits + misses);
        console.log(`      opcache: since the last reset ${JSON.stringify(before)}; over the next 1,000 requests ${hits} hits, ${misses} misses: hit rate ${hitRate.toFixed(2)} %; ${JSON.stringify(op)}`);
        assert.strictEqual(op.full, false);
        assert.ok(op.scripts <= 10, `${op.scripts} scripts cached`);
        assert.ok(hits >= 1000, `${hits} hits: the requests were served from the cache`);
        assert.ok(hitRate >= 99, `hit rate ${hitRate}`);
        const kept = (await onHost(one.ip, "ls /var/www/foobar.com-app/releases")).trim().split("\n").sort();
        assert.strictEqual(kept.length, 5, kept.join(" "));
        for (const id of ids.slice(-2)) assert.ok(kept.includes(id), `${id} (live or previous) kept`);
        const rows = Number((await onHost(one.ip, "mysql -N -B app -e 'SELECT COUNT(*) FROM deploy_rows'")).trim());
        assert.ok(rows >= rowsAcknowledged, `${rows} rows in the table, ${rowsAcknowledged} acknowledged`);
    });

    it("composer: a dependency from a path repository installed as www-data, ext-bcmath installed from Debian's packages, served", async function () {
        this.timeout(900_000);
        const dir = path.join(work, "composer");
        fs.cpSync(path.join(PROJECT_DIR, "test/fixtures/app-composer"), dir, { recursive: true });
        const id = (releaseTree(dir) as { id: string }).id;
        await deploy("deploy an application with composer.json", { appSource: dir, appHealthPath: "/" });
        const page = await get(one.ip, "/");
        assert.strictEqual(page.status, 200, page.body);
        assert.strictEqual(page.body.trim(), "hello composer 0.3");
        assert.strictEqual(page.release, id);
        const out = await onHost(one.ip, `stat -c '%U' /var/www/foobar.com-app/releases/${id}/vendor/autoload.php; php -m | grep -cx bcmath`);
        assert.deepStrictEqual(out.trim().split("\n"), ["root", "1"]);
    });

    it("switched off (no appSource): the demo page back, the releases and current removed, the shared data kept", async function () {
        this.timeout(600_000);
        await stack.up("the application switched off", {}, { exact: true });   // none of the app* keys
        const page = await get(one.ip, "/");
        assert.strictEqual(page.status, 200);
        assert.match(page.body, /seed-web:static/);
        assert.strictEqual(page.release, undefined, "no X-Release any more");
        const out = await onHost(one.ip, "ls -A /var/www/foobar.com-app; cat /var/www/foobar.com-app/shared/storage/README; ls /usr/share/seed-web 2>/dev/null | wc -l");
        assert.deepStrictEqual(out.trim().split("\n"), ["shared", "kept across releases", "0"]);
    });
    it("a release staged on a host that never switched to it (the deploy stopped before its release step) is removed when the application is switched off; the shared data kept", async function () {
        this.timeout(600_000);
        const stop = new Error("stopped before the switch (test)");
        await assert.rejects(
            stack.up("a deploy stopped after its stage step", { appSource: v1.dir }, { beforeRun: async (p) => { if (p.name === "dp-one-release") throw stop; } }),
            (e: unknown) => e === stop,
        );
        const staged = await onHost(one.ip, `cat /var/www/foobar.com-app/releases/${v1.id}/.seed-web-release; readlink /var/www/foobar.com-app/current || echo none`);
        assert.deepStrictEqual(staged.trim().split("\n"), [v1.id, "none"]);
        // nginx serves the application, but no release is live yet: the demo pages answer, never a 404
        for (const [p, mark] of [["/index.html", /seed-web:static/], ["/index.php", /seed-web:php/], ["/", /seed-web:(php|static)/]] as const) {
            const demo = await get(one.ip, p);
            assert.strictEqual(demo.status, 200, p);
            assert.match(demo.body, mark, p);
            assert.strictEqual(demo.release, undefined, p);
        }
        const runs = await stack.up("the application switched off again", {}, { exact: true });
        const undo = runs.find((r) => r.name === "dp-one-stage" && r.op === "delete");
        assert.ok(undo && undo.changed > 0, "the stage step's undo removed the staged release");
        const out = await onHost(one.ip, "ls -A /var/www/foobar.com-app; cat /var/www/foobar.com-app/shared/storage/README; ls /tmp | grep -c seed-web-upload || true");
        assert.deepStrictEqual(out.trim().split("\n"), ["shared", "kept across releases", "0"]);
        assert.match((await get(one.ip, "/")).body, /seed-web:static/);
    });
});

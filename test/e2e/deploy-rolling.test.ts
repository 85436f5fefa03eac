// A rolling deploy behind HAProxy (issue 20): a balancer, 3 web hosts and a database host, under a constant-rate load
// through the balancer. Each web host drains itself (HAProxy's agent-check), waits for the requests in flight,
// switches, checks the new release and comes back, one host after the other.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { deploySuite, Deployment, releaseDir, rollingHosts, slowAtEachRelease } from "./deploy-lib";
import { EngineRun, onHost, StepFailed, summary, UpOptions } from "./lib";
import { LoadReport, withLoad } from "./load";
import type { ReleaseFacts } from "@seed-web/facts";

const WWW = "www.foobar.com";
const started = Date.now();
const log = (what: string, runs: EngineRun[]) => console.log(`      ${what} (${((Date.now() - started) / 1000).toFixed(0)}s): ${summary(runs)}`);

function report(what: string, r: LoadReport): void {
    console.log(`      ${what}: ${r.failed} failed of ${r.requests} requests (p99 ${r.p99} ms, idle p99 ${r.idleP99} ms); ${r.mixed} responses naming two releases; slow: ${JSON.stringify(r.slow)}`);
}

describe("e2e: a rolling deploy behind the balancer (drain, switch, check, back; a failing release; a rollback)", function () {
    const { lb, webs, list, settings } = rollingHosts("dp", "10.200.0.6");
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-rolling-"));
    const stack = new Deployment(list, settings, log);
    const deploy = (what: string, extra: Record<string, string>, options: UpOptions = {}) => stack.up(what, extra, options);
    const releasesServed = async () => {
        const out = await Promise.all(webs.map((w) => onHost(w.ip, "readlink /var/www/foobar.com-app/current")));
        return out.map((o) => o.trim().replace("releases/", ""));
    };
    const v1 = releaseDir(work, "v1");
    const v2 = releaseDir(work, "v2");

    // the first up: no balancer yet when the web hosts switch, so no drain
    deploySuite(stack, work, v1, 1_200_000);

    it("a rolling deploy through the balancer under load: 0 failed, each host drained then back, one host at a time", async function () {
        this.timeout(900_000);
        let runs: EngineRun[] = [];
        // a slow request put in flight on each web host as its release step starts: its drain waits for it
        const { beforeRun, answers } = slowAtEachRelease(lb, webs, WWW);
        const r = await withLoad({ target: lb.ip, host: WWW, rate: 100 }, async () => {
            runs = await deploy("rolling deploy of v2", { appSource: v2.dir }, { beforeRun });
        });
        r.slow = await Promise.all(answers);
        report("deploy (rolling, 3 web hosts)", r);
        assert.strictEqual(r.failed, 0, JSON.stringify(r.failures.slice(0, 5)));
        assert.strictEqual(r.mixed, 0);
        assert.ok(r.requests >= 3000, `${r.requests} requests`);
        assert.strictEqual(r.slow.length, 3);
        for (const s of r.slow) {
            assert.strictEqual(s.status, 200, JSON.stringify(s));
            assert.strictEqual(s.release, v1.id, "each slow request finished in the release it started in");
        }
        // one host after the other, each drained from the balancer and back
        const releaseRuns = runs.filter((x) => /-release$/.test(x.name) && x.op !== "delete");
        assert.deepStrictEqual(releaseRuns.map((x) => x.name), ["dp-w1-release", "dp-w2-release", "dp-w3-release"]);
        // each drain waited for the slow request in flight on its host (and whatever the balancer had sent there)
        for (const x of releaseRuns) assert.match(x.stderr, /drained from the balancer in \d+ s \([1-9]\d* request\(s\) from it in flight when the drain began, 0 left\)/, x.name);
        console.log(`      ${releaseRuns.map((x) => `${x.name}: ${/drained from the balancer[^\n]*/.exec(x.stderr)?.[0]}`).join("; ")}`);
        assert.deepStrictEqual(await releasesServed(), [v2.id, v2.id, v2.id]);
    });

    it("a release whose health check fails on the last host only never goes live anywhere: every host stages and checks it before the first switch; 0 failed, the up names the host and the check", async function () {
        this.timeout(600_000);
        // healthy on dp-w1 and dp-w2: a deploy that switched host after host would have put them on it
        const bad = releaseDir(work, "v3-bad", { FAIL_HEALTH: "dp-w3\n" });
        let failure: unknown;
        const r = await withLoad({ target: lb.ip, host: WWW, rate: 100 }, async () => {
            try {
                await deploy("deploy a release failing on dp-w3", { appSource: bad.dir });
            } catch (e) {
                failure = e;
            }
        });
        report("deploy of a failing release", r);
        assert.ok(failure instanceof StepFailed, String(failure));
        assert.match(failure.message, /dp-w3-stage/);
        assert.match(failure.message, /\/health answered HTTP 500 through the new release/);
        assert.strictEqual(r.failed, 0, JSON.stringify(r.failures.slice(0, 5)));
        assert.strictEqual(r.mixed, 0);
        assert.deepStrictEqual(await releasesServed(), [v2.id, v2.id, v2.id]);
        // staged on all three (dp-w3's check failed after its staging), switched nowhere: the engine's state still holds
        // v2's release steps
        const inState = stack.current.filter((p) => p.facts.step === "release").map((p) => (p.facts as ReleaseFacts).release);
        assert.deepStrictEqual(inState, [v2.id, v2.id, v2.id]);
        const staged = await Promise.all(webs.map((w) => onHost(w.ip, `cat /var/www/foobar.com-app/releases/${bad.id}/.seed-web-release 2>/dev/null || echo none`)));
        assert.deepStrictEqual(staged.map((s) => s.trim()), [bad.id, bad.id, bad.id]);
        // no host left out of the rotation
        const agents = await Promise.all(webs.map((w) => onHost(w.ip, "cat /var/lib/seed-web/lb-agent")));
        assert.deepStrictEqual(agents.map((a) => a.trim()), ["ready", "ready", "ready"]);
    });

    it("a rollback (appRelease) under load: no upload, 0 failed, every host back on v1", async function () {
        this.timeout(600_000);
        const plan = await stack.plan({ appSource: v2.dir, appRelease: v1.id });
        assert.ok(plan.every((p) => !p.uploads), "nothing to copy for a kept release");
        const r = await withLoad({ target: lb.ip, host: WWW, rate: 100 }, async () => {
            await deploy("roll back to v1", { appSource: v2.dir, appRelease: v1.id });
        });
        report("rollback", r);
        assert.strictEqual(r.failed, 0, JSON.stringify(r.failures.slice(0, 5)));
        assert.strictEqual(r.mixed, 0);
        assert.deepStrictEqual(await releasesServed(), [v1.id, v1.id, v1.id]);
    });

    it("a drained host stays drained across an HAProxy reload (the servers' state saved through the runtime API)", async function () {
        this.timeout(600_000);
        const stat = async () => {
            const out = await onHost(lb.ip, `echo "show stat" | socat -t 5 stdio unix-connect:/run/haproxy/admin.sock | awk -F, '$1=="web" && $2=="dp-w1" {print $18}'`);
            return out.trim();
        };
        // w1 drained, and its agent stopped: only the saved state can keep it drained through the reload
        await onHost(webs[0].ip, "echo drain >/var/lib/seed-web/lb-agent");
        for (let i = 0; i < 20 && !(await stat()).startsWith("DRAIN"); i++) await new Promise((res) => setTimeout(res, 500));
        assert.match(await stat(), /^DRAIN/);
        await onHost(webs[0].ip, "systemctl stop seed-web-lb-agent");
        try {
            await deploy("lb reloaded (a changed queue timeout)", { appSource: v2.dir, appRelease: v1.id, lbQueueTimeout: "9" });
            for (let i = 0; i < 6; i++) {
                assert.match(await stat(), /^DRAIN/, "still drained after the reload");
                await new Promise((res) => setTimeout(res, 500));
            }
        } finally {
            await onHost(webs[0].ip, "echo ready >/var/lib/seed-web/lb-agent; systemctl start seed-web-lb-agent");
        }
        for (let i = 0; i < 20 && (await stat()) !== "UP"; i++) await new Promise((res) => setTimeout(res, 500));
        assert.strictEqual(await stat(), "UP");
    });
});

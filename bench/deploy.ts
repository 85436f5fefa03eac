// Benchmark: a rolling deploy behind HAProxy under load, as counts, rates and ratios measured in the same run.
//   npm run bench:deploy            (Linux, root; boots a balancer, 3 web hosts and a database host, ~8 minutes)
// A constant-rate load through the balancer (autocannon, ≥ 200 requests/s, GETs and POSTs writing a row, a 20 s
// request in flight on each web host) while: a rolling deploy of a new release, a release whose health check fails,
// a rollback (appRelease). Goals: 0 failed requests; ≥ 30,000 requests; p99 ≤ 2× the idle p99 (the slow requests
// excluded). And the rolling deploy's time ÷ the time to copy the release's files to one web host (the floor: what
// any deploy pays). The last line has the form `deploy: F failed of N requests (p99 X ms, idle p99 Y ms)`.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as cli from "../tools/cli";
import type { UpOptions } from "../test/e2e/lib";

const USAGE = `usage: npm run bench:deploy [-- --rate N] [-- --strict]
  boots bd-lb 10.200.0.70, bd-w1..3 10.200.0.71-73 and bd-db 10.200.0.74 with test/e2e/hosts.sh, measures, and
  destroys them (Linux, root, the e2e suite's packages; about 8 minutes)
  --rate N      requests per second through the balancer (default 200)
  --strict      exit 1 when a goal is missed
exit codes: 0 measured, 1 failed (or a goal missed with --strict), 2 bad arguments`;

const WWW = "www.foobar.com";

async function main(argv: string[]): Promise<number> {
    const parsed = cli.parseCommand({ usage: USAGE, options: { rate: { type: "string", default: "200" }, strict: { type: "boolean", default: false } } }, argv);
    if (parsed.help) {
        process.stdout.write(USAGE + "\n");
        return 0;
    }
    const values = parsed.values as { rate: string; strict: boolean };
    if (!/^[1-9][0-9]{0,4}$/.test(values.rate)) throw new cli.CliInputError("--rate must be a number of requests per second (1-99999)");
    const rate = Number(values.rate);
    const { bootHosts, copyToRemote, destroyHosts, onHost } = await import("../test/e2e/lib");
    const { Deployment, releaseDir, rollingHosts, slowAtEachRelease } = await import("../test/e2e/deploy-lib");
    const { withLoad } = await import("../test/e2e/load");
    const { lb, webs, list, settings } = rollingHosts("bd", "10.200.0.7");
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-bench-deploy-"));
    const stack = new Deployment(list, settings);
    const deploy = (extra: Record<string, string>, options: UpOptions = {}) => stack.up("", extra, options);
    destroyHosts(list);
    await bootHosts(list);
    try {
        const v1 = releaseDir(work, "v1");
        const v2 = releaseDir(work, "v2");
        // healthy on the first two web hosts, failing on the last: it must go live nowhere
        const bad = releaseDir(work, "v3-bad", { FAIL_HEALTH: `${webs[webs.length - 1].name}\n` });
        await deploy({ appSource: v1.dir });
        // the floor: copying the release's files to one web host, as the deploy does (median of 5)
        const plan = await stack.plan({ appSource: v2.dir });
        const target = plan.find((p) => p.name === "bd-w1-stage")!;
        const copies: number[] = [];
        for (let i = 0; i < 5; i++) {
            const t = Date.now();
            await copyToRemote(target, v2.dir, `/tmp/seed-web-bench-copy-${i}`);
            copies.push(Date.now() - t);
            await onHost(webs[0].ip, `rm -rf /tmp/seed-web-bench-copy-${i}`);
        }
        const copyMs = [...copies].sort((a, b) => a - b)[2];
        // a slow (20 s) request put in flight on each web host as its release step starts (its drain waits for it)
        const { beforeRun, answers } = slowAtEachRelease(lb, webs, WWW);
        let deployMs = 0;
        let failedCheck = "";
        const r = await withLoad({ target: lb.ip, host: WWW, rate, idleSeconds: 10, minSeconds: Math.ceil(30000 / rate) + 5 }, async () => {
            const t = Date.now();
            await deploy({ appSource: v2.dir }, { beforeRun });
            deployMs = Date.now() - t;
            try {
                await deploy({ appSource: bad.dir });
                failedCheck = "the failing release went live";
            } catch (e) {
                failedCheck = new RegExp(`${webs[webs.length - 1].name}-stage[^]*answered HTTP 500 through the new release`).test(String(e)) ? "stopped before any switch" : `failed otherwise: ${e}`;
            }
            await deploy({ appSource: v2.dir, appRelease: v1.id });
        });
        r.slow = await Promise.all(answers);
        const served = await Promise.all(webs.map((w) => onHost(w.ip, "readlink /var/www/foobar.com-app/current")));
        const goals = [
            [`0 failed requests`, r.failed === 0],
            [`>= 30000 requests`, r.requests >= 30000],
            [`p99 <= 2x idle p99 (${r.p99} vs ${r.idleP99} ms)`, r.p99 <= 2 * r.idleP99],
            [`no response naming two releases`, r.mixed === 0],
            [`every slow request answered 200 (${r.slow.length})`, r.slow.length === 3 && r.slow.every((s) => s.status === 200)],
            [`the failing release ${failedCheck}`, failedCheck === "stopped before any switch"],
            [`every web host back on v1`, served.every((s) => s.trim() === `releases/${v1.id}`)],
        ] as const;
        console.log(`rate ${rate} requests/s for ${r.seconds.toFixed(0)} s through the balancer; ${r.posts} rows written`);
        console.log(`copy of the release's files to one web host (the floor, median of 5): ${(copyMs / 1000).toFixed(2)} s`);
        console.log(`rolling deploy of 3 web hosts: ${(deployMs / 1000).toFixed(1)} s = ${(deployMs / copyMs).toFixed(1)}x the copy (it waits for the 20 s requests in flight)`);
        for (const [what, ok] of goals) console.log(`  ${ok ? "met   " : "MISSED"} ${what}`);
        console.log(`deploy: ${r.failed} failed of ${r.requests} requests (p99 ${r.p99} ms, idle p99 ${r.idleP99} ms)`);
        return values.strict && goals.some(([, ok]) => !ok) ? 1 : 0;
    } finally {
        destroyHosts(list);
        fs.rmSync(work, { recursive: true, force: true });
    }
}

if (require.main === module) cli.runMain(main);

// What the deploy suites (deploy, deploy-rolling) and bench/deploy.ts share: releases of the test application, and a
// stack deployed `up` after `up` with the engine's state kept between them.
import * as fs from "fs";
import * as path from "path";
import { releaseTree } from "../../lib/release";
import { PROJECT_DIR } from "../../lib/root";
import { PlannedCommand } from "../../tools/capture";
import { bootHosts, destroyHosts, EngineRun, onHost, planFor, TestHost, up, UpOptions } from "./lib";
import type { SlowAnswer } from "./load";

/** A copy of the test application (test/fixtures/app) whose code says `mark`: each mark is a release of its own. */
export function releaseDir(root: string, mark: string, extra: Record<string, string> = {}): { dir: string; id: string } {
    const dir = path.join(root, mark);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.cpSync(path.join(PROJECT_DIR, "test/fixtures/app"), dir, { recursive: true });
    const index = path.join(dir, "public", "index.php");
    fs.writeFileSync(index, fs.readFileSync(index, "utf8").replace("const RELEASE_MARK = 'v1';", `const RELEASE_MARK = '${mark}';`));
    for (const [f, text] of Object.entries(extra)) fs.writeFileSync(path.join(dir, f), text);
    const t = releaseTree(dir);
    if ("error" in t) throw new Error(t.error);
    return { dir, id: t.id };
}

/** The settings that deploy the test application (test/fixtures/app): its document root, its shared storage, its
 * health path, its front controller. */
export const APP_SETTINGS = { appDocRoot: "public", appShared: '["storage"]', appHealthPath: "/health", appFrontController: "true" };

/** The rolling deploy's hosts (deploy-rolling.test.ts and bench/deploy.ts): a balancer, 3 web hosts and a database
 * host (warm), named <prefix>-lb, <prefix>-w1..3 and <prefix>-db, at <net>0, <net>1..3 and <net>4; and its settings. */
export function rollingHosts(prefix: string, net: string): { lb: TestHost; webs: TestHost[]; db: TestHost; list: TestHost[]; settings: Record<string, string> } {
    const lb: TestHost = { name: `${prefix}-lb`, ip: `${net}0`, roles: ["lb"], rootfs: "warm" };
    const webs: TestHost[] = [1, 2, 3].map((i) => ({ name: `${prefix}-w${i}`, ip: `${net}${i}`, roles: ["web", "app"], rootfs: "warm" }));
    const db: TestHost = { name: `${prefix}-db`, ip: `${net}4`, roles: ["db"], rootfs: "warm" };
    return { lb, webs, db, list: [lb, ...webs, db], settings: { dbBindAddress: "auto", ...APP_SETTINGS } };
}

/** A deploy suite's mocha hooks: its hosts booted and the first release deployed before its tests (within
 * `timeoutMs`); the hosts destroyed and the work directory (the releases) removed after. */
export function deploySuite(stack: Deployment, work: string, first: { dir: string }, timeoutMs: number): void {
    before(async function () {
        this.timeout(timeoutMs);
        await bootHosts(stack.hosts);
        await stack.up("up with release v1", { appSource: first.dir });
    });
    after(() => {
        destroyHosts(stack.hosts);
        fs.rmSync(work, { recursive: true, force: true });
    });
}

/** A stack on test hosts, deployed `up` after `up`: the state (commands, passwords, certificates) kept between them as
 * the engine keeps it; after a failed `up`, the state the engine would hold. */
export class Deployment {
    current: PlannedCommand[] = [];
    readonly passwords = new Map<string, string>();

    constructor(
        readonly hosts: TestHost[],
        readonly settings: Record<string, string>,
        private readonly log: (what: string, runs: EngineRun[]) => void = () => undefined,
    ) {}

    /** `pulumi up` with the settings and `extra`; `exact`: `extra` alone (no settings), e.g. the application off. */
    async up(what: string, extra: Record<string, string>, options: UpOptions & { exact?: boolean } = {}): Promise<EngineRun[]> {
        const { plan } = await planFor(this.hosts, options.exact ? extra : { ...this.settings, ...extra }, this.passwords);
        try {
            const runs = await up(this.current, plan, options);
            this.current = plan;
            this.log(what, runs);
            return runs;
        } catch (e) {
            this.current = (e as { state?: PlannedCommand[] }).state ?? this.current;
            throw e;
        }
    }

    /** What the program would run for the settings and `extra`, without running it. */
    async plan(extra: Record<string, string>): Promise<PlannedCommand[]> {
        return (await planFor(this.hosts, { ...this.settings, ...extra }, this.passwords)).plan;
    }
}

/**
 * A slow (20 s) request put in flight on each web host as its release step starts (the harness's `beforeRun`), so
 * that its drain has one to wait for. Sent from the balancer's address over the TLS the web hosts serve it (nothing
 * else reaches their site: plain HTTP answers their loopback only); each answer has its status and X-App-Release.
 */
export function slowAtEachRelease(lb: TestHost, webs: TestHost[], site: string): { beforeRun: (p: PlannedCommand) => Promise<void>; answers: Promise<SlowAnswer>[] } {
    const answers: Promise<SlowAnswer>[] = [];
    const beforeRun = async (p: PlannedCommand) => {
        const w = webs.find((x) => p.name === `${x.name}-release`);
        if (!w) return;
        answers.push(
            onHost(lb.ip, `curl -sk --max-time 60 -o /dev/null -D - --resolve ${site}:443:${w.ip} 'https://${site}/?sleep=20' | tr -d '\\r' | awk 'NR==1 {print $2} tolower($1)=="x-app-release:" {print $2}'`).then(
                (out) => {
                    const [status, release] = out.trim().split("\n");
                    return { status: Number(status), release };
                },
                (e: Error) => ({ status: 0, error: e.message }),
            ),
        );
        await new Promise((res) => setTimeout(res, 1000));
    };
    return { beforeRun, answers };
}

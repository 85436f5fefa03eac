// What the deploy suites (deploy, deploy-rolling) and bench/deploy.ts share: releases of the test application, and a
// stack deployed `up` after `up` with the engine's state kept between them.
import * as fs from "fs";
import * as path from "path";
import { releaseTree } from "../../lib/release";
import { PROJECT_DIR } from "../../lib/root";
import { PlannedCommand } from "../../tools/capture";
import { EngineRun, onHost, planFor, TestHost, up, UpOptions } from "./lib";
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

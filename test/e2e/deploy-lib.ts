// What the deploy suites (deploy, deploy-rolling) and bench/deploy.ts share: releases of the test application, and a
// stack deployed `up` after `up` with the engine's state kept between them.
import * as fs from "fs";
import * as path from "path";
import { releaseTree } from "../../lib/release";
import { PROJECT_DIR } from "../../lib/root";
import { PlannedCommand } from "../../tools/capture";
import { EngineRun, planFor, TestHost, up, UpOptions } from "./lib";

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

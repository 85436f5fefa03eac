// The release step: scripts/release.sh, undone by scripts/undo/release.sh; the class Release, type token "seed-web:lemp:Release"
// (unchanged from components/lemp.ts: it is in the engine's URNs of deployed stacks).

import * as pulumi from "@pulumi/pulumi";
import { ReleaseFacts } from "@seed-web/facts";
import { appEnv, appFacts, AppStepArgs, HostStep, tlsEnv } from "./host-step";

/** The user's application goes live: the staged release (Stage) checked once more, the host drained from the balancer
 * (behind one), `current` switched to it in one rename, checked live (else the previous release is put back), the old
 * releases pruned (scripts/release.sh). Each new release replaces the step. */
export class Release extends HostStep<ReleaseFacts> {
    constructor(name: string, args: AppStepArgs, opts?: pulumi.ComponentResourceOptions) {
        const app = args.web.app!;
        const facts: ReleaseFacts = {
            ...appFacts(args.host, args.web, "release"),
            keepReleases: app.keepReleases,
            healthPath: app.healthPath,
            frontController: app.frontController,
            drain: app.agent ? "agent" : "none",
        };
        const env: Record<string, string> = {
            ...appEnv(args.web),
            LEMP_APP_KEEP: String(app.keepReleases),
            ...tlsEnv(args.web.tls),
        };
        if (app.agent) {
            env.LEMP_APP_AGENT_PORT = String(app.agent.port);
            env.LEMP_APP_AGENT_BIND = app.agent.bind;
            env.LEMP_APP_BALANCER = app.agent.balancer;
        }
        super("seed-web:lemp:Release", name, args.host, facts, env, { after: args.after }, opts);
    }
}

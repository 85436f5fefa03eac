// The stage step: scripts/stage.sh, undone by scripts/undo/stage.sh; the class Stage, type token "seed-web:lemp:Stage"
// (unchanged from components/lemp.ts: it is in the engine's URNs of deployed stacks).

import * as command from "@pulumi/command";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { StageFacts } from "@seed-web/facts";
import { Host } from "../host";
import { appEnv, appFacts, AppStepArgs, HostStep, list } from "./host-step";

/** Where a release is copied to (the login user's, checked against the release id by release.sh before use). */
export const uploadPath = (id: string) => `/tmp/seed-web-upload-${id}`;

/** The user's application (appSource), staged: its files copied to the host (only when the release is new), staged
 * under releases/<id> with its shared paths, composer and appMigrate (the first web host), then checked through itself
 * on a loopback-only server (scripts/stage.sh). Runs on every web host before the first of them switches (Release). */
export class Stage extends HostStep<StageFacts> {
    constructor(name: string, args: AppStepArgs, opts?: pulumi.ComponentResourceOptions) {
        const app = args.web.app!;
        const facts: StageFacts = {
            ...appFacts(args.host, args.web, "stage"),
            shared: app.shared,
            healthPath: app.healthPath,
            migrates: app.migrate !== "",
            composer: app.composer,
            phpExtensions: app.extensions,
        };
        const env: Record<string, string> = {
            ...appEnv(args.web),
            LEMP_APP_DOC_ROOT: app.docRoot,
            LEMP_APP_SHARED: list(app.shared),
        };
        if (app.migrate !== "") env.LEMP_APP_MIGRATE = app.migrate;
        if (app.composer) env.LEMP_APP_COMPOSER = "1";
        if (app.extensions.length > 0) env.LEMP_APP_PHP_EXTENSIONS = list(app.extensions);
        if (app.upload) {
            env.LEMP_APP_UPLOAD = uploadPath(app.upload.id);
            env.LEMP_APP_UPLOAD_NAME = path.basename(app.upload.source);
        }
        super("seed-web:lemp:Stage", name, args.host, facts, env, { after: args.after }, opts);
    }
}

/** The copy of a release's files to a host, before its Release step (a new release id = a new copy). */
export function releaseUpload(name: string, host: Host, upload: { source: string; id: string }, after: pulumi.Resource[], parent: pulumi.Resource): command.remote.CopyToRemote {
    return new command.remote.CopyToRemote(
        name,
        { connection: host.connection, source: new pulumi.asset.FileArchive(upload.source), remotePath: uploadPath(upload.id), triggers: [upload.id] },
        { parent, dependsOn: [...host.ready, ...after], ...(host.undo.forget ? { retainOnDelete: true } : {}) },
    );
}

// One provisioning step = one remote command that runs a script from scripts/ on a host.

import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { StepFacts } from "@seed-web/facts";
import { buildStepCommands, generationOf, scriptSha256, ScriptName, UndoOptions } from "../lib/steps";
import { Host } from "./host";

export interface RemoteStepArgs {
    host: Host;
    script: ScriptName;
    /** What the step applies, recorded in its triggers (re-runs when it changes; read by the policy pack). */
    facts: StepFacts;
    /** Settings handed to the script as LEMP_* environment variables. */
    env: Record<string, string>;
    /** Secrets, one per line on the script's stdin. The command's output is then not logged. */
    secrets?: pulumi.Input<string>[];
    /** Extra values whose change re-runs the step (e.g. the facts of the steps it checks). */
    extraTriggers?: unknown[];
    dependsOn?: pulumi.Resource[];
    /** What the delete may remove beyond the step's own configuration (data, packages). */
    undo: UndoOptions;
}

// Undo, and why a replacement never undoes the live configuration. What @pulumi/command (v1, provider
// pulumi-command: remote/commandController.go, commandOutputs.go) does:
//   - `delete` runs when the resource is deleted: on `pulumi destroy`, when the program no longer declares it (a
//     feature switched off, a host removed from `hosts`), and after (or before) a replacement. It runs with the OLD
//     state's inputs: the old connection, the old `delete` text (settings as of the last `up`), and the old `stdin`
//     (the secrets: given to the delete's process too; the undo scripts never read it). Environment variables would
//     need sshd's AcceptEnv, so the settings stay in the command text, as for the create.
//   - a change of `triggers` replaces the command (the provider marks it replace-on-change); any other input change
//     (the create or delete text, stdin, connection) is an update, which runs `create` again (no `update` given).
//   - a replacement is create-before-delete unless the resource has `deleteBeforeReplace`: the new create runs in
//     the deployment's order, the old delete at the end of the deployment (removed resources too, in reverse
//     dependency order).
// Design: create-before-delete everywhere (no gap: the site keeps serving during a replacement), and generations:
// each create records the id of its own inputs on the host (LEMP_GENERATION, lemp_generation_record in
// scripts/lib/undo.sh) and each delete (scripts/undo/<step>.sh) undoes everything only when the host still carries its
// generation. After a replacement the host carries the new one, so the old delete leaves the live configuration
// alone and removes only what the new generation no longer uses (e.g. the old site's files after a domain change).
// deleteBeforeReplace is not used: it would leave a gap (nginx or the database stopped, the firewall off) during
// every replacement, and a replication step deleted first would drop the account its successor needs. The
// end-to-end suite runs both orders (test/e2e/undo.test.ts): the generations make either one safe.
// `destroyData` / `purgePackages` reach the delete as it was recorded at the last `up`: set them, run `pulumi up`
// (an update of every command: their create re-runs and changes nothing), then `pulumi destroy`.
export function remoteStep(name: string, args: RemoteStepArgs, parent: pulumi.Resource): command.remote.Command {
    const handlesSecrets = (args.secrets?.length ?? 0) > 0;
    const triggers = [args.facts, scriptSha256(args.script), ...(args.extraTriggers ?? [])];
    const generation = generationOf(triggers, args.env, args.host.user);
    const commands = buildStepCommands(args.script, args.env, args.host.user, generation, args.undo);
    args.host.steps.push(args.script);
    return new command.remote.Command(
        name,
        {
            connection: args.host.connection,
            create: commands.create,
            delete: commands.delete,
            stdin: handlesSecrets
                ? pulumi.secret(pulumi.all(args.secrets!).apply((lines) => lines.map((l) => `${l}\n`).join("")))
                : undefined,
            triggers,
            logging: handlesSecrets ? "none" : "stdoutAndStderr",
            addPreviousOutputInEnv: false,
        },
        {
            parent,
            // Not the Host component itself: the steps are its children (a dependency on it would wait for them).
            dependsOn: [...args.host.ready, ...(args.dependsOn ?? [])],
            additionalSecretOutputs: handlesSecrets ? ["stdin", "stdout", "stderr"] : [],
            // A failed step stops the deployment; a re-run converges (every script is idempotent).
            customTimeouts: { create: "20m", update: "20m", delete: "20m" },
            // Said explicitly (the default): create-before-delete, made safe by the generations (above).
            deleteBeforeReplace: false,
            // seed-web:forget: the engine drops the command from the state without running its delete
            ...(args.undo.forget ? { retainOnDelete: true } : {}),
        },
    );
}

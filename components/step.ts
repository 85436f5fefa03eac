// One provisioning step = one remote command that runs a script from scripts/ on a host.

import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { StepFacts } from "@seed-web/facts";
import { buildCommand, scriptSha256, ScriptName } from "../lib/steps";
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
}

export function remoteStep(name: string, args: RemoteStepArgs, parent: pulumi.Resource): command.remote.Command {
    const handlesSecrets = (args.secrets?.length ?? 0) > 0;
    return new command.remote.Command(
        name,
        {
            connection: args.host.connection,
            create: buildCommand(args.script, args.env, args.host.user),
            stdin: handlesSecrets
                ? pulumi.secret(pulumi.all(args.secrets!).apply((lines) => lines.map((l) => `${l}\n`).join("")))
                : undefined,
            triggers: [args.facts, scriptSha256(args.script), ...(args.extraTriggers ?? [])],
            logging: handlesSecrets ? "none" : "stdoutAndStderr",
            addPreviousOutputInEnv: false,
        },
        {
            parent,
            // Not the Host component itself: the steps are its children (a dependency on it would wait for them).
            dependsOn: [...args.host.ready, ...(args.dependsOn ?? [])],
            additionalSecretOutputs: handlesSecrets ? ["stdin", "stdout", "stderr"] : [],
            // A failed step stops the deployment; a re-run converges (every script is idempotent).
            customTimeouts: { create: "20m", update: "20m" },
        },
    );
}

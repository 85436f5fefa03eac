// The base of every step: a component running one script from scripts/ on one host (components/remote-step.ts),
// and the small helpers the steps share. A step turns its part of the topology into typed facts (recorded in the
// command's triggers) and the LEMP_* settings its script reads. One file per step next to this one, named like its
// script (scripts/<step>.sh) and its undo (scripts/undo/<step>.sh); the order between them is set by
// components/webstack.ts.

import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { FACTS_SCHEMA, Role, StepFacts, StepName } from "@seed-web/facts";
import { TlsPlan, WebPlan } from "../../lib/topology";
import { Host } from "../host";
import { remoteStep } from "../remote-step";

export type Common<S extends StepName> = { schema: typeof FACTS_SCHEMA; step: S; host: string; roles: Role[] };

export function common<S extends StepName>(host: Host, step: S): Common<S> {
    return { schema: FACTS_SCHEMA, step, host: host.node.name, roles: [...host.node.roles] };
}

export interface StepOptions {
    after?: pulumi.Resource[];
    secrets?: pulumi.Input<string>[];
    extraTriggers?: unknown[];
}

/** A component that runs one script on one host. */
export abstract class HostStep<F extends StepFacts> extends pulumi.ComponentResource {
    readonly facts: F;
    readonly command: command.remote.Command;

    protected constructor(
        type: string,
        name: string,
        host: Host,
        facts: F,
        env: Record<string, string>,
        step: StepOptions,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super(type, name, {}, opts);
        this.facts = facts;
        this.command = remoteStep(
            name,
            {
                host,
                script: facts.step,
                facts,
                env,
                secrets: step.secrets,
                extraTriggers: step.extraTriggers,
                dependsOn: step.after,
                undo: host.undo,
            },
            this,
        );
        // Outputs of a step that handles secrets stay out of the component's outputs.
        this.registerOutputs(step.secrets ? { facts } : { facts, report: this.command.stdout });
    }
}

export const list = (xs: readonly (string | number)[]) => xs.join(" ");

/** The stack's `removePreexisting`, set only when on (the steps' generations stay as they were without it). */
export const preexisting = (host: Host): Record<string, string> => (host.undo.removePreexisting ? { LEMP_REMOVE_PREEXISTING: "1" } : {});

/** A PEM as one line of stdin (base64): the scripts read one secret per line. */
export const pemLine = (pem: pulumi.Input<string>): pulumi.Output<string> => pulumi.output(pem).apply((p) => Buffer.from(p, "utf8").toString("base64"));

export function tlsEnv(tls: TlsPlan): Record<string, string> {
    return {
        LEMP_TLS: tls.mode,
        LEMP_HTTPS_PORT: String(tls.httpsPort),
        LEMP_REDIRECT_HTTP: tls.redirectHttp ? "1" : "0",
        LEMP_HSTS_MAX_AGE: String(tls.hstsMaxAge),
    };
}

/** The arguments of both application steps (stage, release): the web host, the web tier's plan, the steps before. */
export interface AppStepArgs {
    host: Host;
    web: WebPlan;
    after: pulumi.Resource[];
}

/** What both application steps' facts begin with: the step's common facts, which release, where the releases live,
 * and the document root inside a release (the order of the keys is the order of the facts in the triggers). */
export function appFacts<S extends "stage" | "release">(host: Host, web: WebPlan, step: S) {
    const app = web.app!;
    return { ...common(host, step), release: app.release, base: app.base, docRoot: app.docRoot };
}

/** What both application steps read: where the releases live, which one, and how it is checked. */
export function appEnv(web: WebPlan): Record<string, string> {
    const app = web.app!;
    return {
        LEMP_APP_BASE: app.base,
        LEMP_APP_RELEASE: app.release,
        LEMP_APP_HEALTH_PATH: app.healthPath,
        LEMP_SERVER_NAME: web.serverNames[0],
    };
}

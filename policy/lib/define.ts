// Building blocks shared by the policies: a stack policy over the host model, a resource policy over one command's
// facts, each with settings (configSchema + defaults) and the "cannot decide yet" handling of ./unknown.ts.

import type {
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import type { PolicyMetadata } from "./metadata";
import { StackModel } from "./model";
import { configSchema, readSettings, SettingsSpec } from "./settings";
import { Undecided } from "./unknown";

export interface StackCheck<T> {
    model: StackModel;
    settings: T;
    /** Record undecided subjects here (use `undecided.check(host, () => ...)` around every read of facts). */
    undecided: Undecided;
    /** Report a violation attached to `urn` (a host's resource). */
    report(message: string, urn?: string): void;
}

/** What every policy declares. */
interface PolicyDefinition<T> {
    metadata: PolicyMetadata;
    description: string;
    /** Its settings (configSchema + defaults); absent when it takes none (only enforcementLevel). */
    settings?: SettingsSpec<T>;
    /** Completes "cannot check <what> of <hosts> until ...". */
    what: string;
}

export interface StackPolicyDefinition<T> extends PolicyDefinition<T> {
    check(ctx: StackCheck<T>): void;
}

export interface ResourcePolicyDefinition<T> extends PolicyDefinition<T> {
    check(args: ResourceValidationArgs, ctx: { settings: T; undecided: Undecided; report(message: string): void }): void;
}

/** A policy's own fields, and the frame each of its validations runs in: its settings read (the defaults under what
 * the config gives; a bad value throws), the subjects it could not decide collected, then "cannot decide yet". */
function frame<T>(def: PolicyDefinition<T>) {
    const spec = def.settings ?? ({} as SettingsSpec<T>);
    return {
        fields: {
            name: def.metadata.name,
            description: def.description,
            enforcementLevel: def.metadata.defaultLevel,
            severity: def.metadata.severity,
            remediationSteps: def.metadata.remediationSteps,
            tags: ["seed-web", "lemp"],
            configSchema: configSchema(spec),
        },
        validate(given: Record<string, unknown> | undefined, body: (settings: T, undecided: Undecided) => void): void {
            const settings = readSettings(def.metadata.name, spec, given);
            const undecided = new Undecided(def.what);
            body(settings, undecided);
            undecided.finish();
        },
    };
}

export function stackPolicy<T = Record<string, never>>(def: StackPolicyDefinition<T>): StackValidationPolicy {
    const { fields, validate } = frame(def);
    return {
        ...fields,
        validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) =>
            validate(args.getConfig<Record<string, unknown>>(), (settings, undecided) => {
                const model = StackModel.from(args.resources);
                if (model.isEmpty) {
                    args.notApplicable("the stack has no seed-web hosts (no remote command carries seed-web facts)");
                }
                def.check({ model, settings, undecided, report: (message, urn) => reportViolation(message, urn) });
            }),
    };
}

export function resourcePolicy<T = Record<string, never>>(def: ResourcePolicyDefinition<T>): ResourceValidationPolicy {
    const { fields, validate } = frame(def);
    return {
        ...fields,
        validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) =>
            validate(args.getConfig<Record<string, unknown>>(), (settings, undecided) => def.check(args, { settings, undecided, report: (message) => reportViolation(message) })),
    };
}

/** "web-01", "web-01 and web-02", "a, b and c". */
export function list(items: readonly string[]): string {
    return items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

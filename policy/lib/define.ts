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

export interface StackPolicyDefinition<T> {
    metadata: PolicyMetadata;
    description: string;
    settings: SettingsSpec<T>;
    /** Completes "cannot check <what> of <hosts> until ...". */
    what: string;
    check(ctx: StackCheck<T>): void;
}

function policyFields(metadata: PolicyMetadata, description: string) {
    return {
        name: metadata.name,
        description,
        enforcementLevel: metadata.defaultLevel,
        severity: metadata.severity,
        remediationSteps: metadata.remediationSteps,
        tags: ["seed-web", "lemp"],
    };
}

export function stackPolicy<T>(def: StackPolicyDefinition<T>): StackValidationPolicy {
    return {
        ...policyFields(def.metadata, def.description),
        configSchema: configSchema(def.settings),
        validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
            const settings = readSettings(def.metadata.name, def.settings, args.getConfig<Record<string, unknown>>());
            const model = StackModel.from(args.resources);
            if (model.isEmpty) {
                args.notApplicable("the stack has no seed-web hosts (no remote command carries seed-web facts)");
            }
            const undecided = new Undecided(def.what);
            def.check({ model, settings, undecided, report: (message, urn) => reportViolation(message, urn) });
            undecided.finish();
        },
    };
}

export interface ResourcePolicyDefinition<T> {
    metadata: PolicyMetadata;
    description: string;
    settings: SettingsSpec<T>;
    what: string;
    check(args: ResourceValidationArgs, ctx: { settings: T; undecided: Undecided; report(message: string): void }): void;
}

export function resourcePolicy<T>(def: ResourcePolicyDefinition<T>): ResourceValidationPolicy {
    return {
        ...policyFields(def.metadata, def.description),
        configSchema: configSchema(def.settings),
        validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
            const settings = readSettings(def.metadata.name, def.settings, args.getConfig<Record<string, unknown>>());
            const undecided = new Undecided(def.what);
            def.check(args, { settings, undecided, report: (message) => reportViolation(message) });
            undecided.finish();
        },
    };
}

/** "web-01", "web-01 and web-02", "a, b and c". */
export function list(items: readonly string[]): string {
    return items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

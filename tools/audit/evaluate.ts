// The pack evaluated the way the Pulumi engine and @pulumi/policy's analyzer server evaluate it, without the CLI:
//
// - every resource goes through every resource policy with its *inputs* (the engine's Analyze call), then the whole
//   stack goes through every stack policy with every resource's *outputs* (AnalyzeStack);
// - the level of a policy is the reconciled config's (see ./policy-config.ts), else the policy's, else the pack's;
//   `disabled` skips the policy, `remediate` reports as `mandatory` (these policies have no remediation);
// - properties are deserialized as the server does: secrets unwrapped, then put behind @pulumi/policy's
//   `unknownCheckingProxy`, so reading an unknown value throws `UnknownValueError`;
// - an `UnknownValueError` escaping a policy becomes an *advisory* "can't run policy ... during preview: ..." (what
//   the server sends), keeping what the policy reported before; `notApplicable()` is not a violation;
// - a violation's message is the policy's description, a newline and the reported message (makeReportViolationFun);
//   a stack violation naming no resource (or one not in the stack) is attached to the root stack resource, as the
//   engine does (AttributeStackDiagnostics).
//
// This module starts no server and imports only the policy list (policy/policies), never policy/index.ts.

import type {
    EnforcementLevel,
    PolicyResource,
    PolicyResourceOptions,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import { isResourcePolicy, isStackPolicy, SeedPolicy } from "../../policy/policies";
import { isUnknownValueError } from "../../policy/lib/unknown";
import { Capture, isSecretValue, RegisteredResource, SECRET_SIG, SIG_KEY } from "../capture";
import { ReconciledConfig } from "./policy-config";

/* eslint-disable @typescript-eslint/no-require-imports */
const proxy = require("@pulumi/policy/proxy") as {
    unknownCheckingProxy<T>(o: T): T;
    unknownStringValue: string;
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** The engine's sentinel for a value unknown during preview. */
export const UNKNOWN = proxy.unknownStringValue;

/** A resource as the engine hands it to the analyzer. */
export interface AnalyzedResource extends RegisteredResource {
    /** Wire form: secrets are `{ [sig]: secretSig, value }` objects, unknowns are the sentinel strings. */
    inputs: Record<string, unknown>;
    outputs: Record<string, unknown>;
    dependencies: string[];
}

export type ViolationLevel = "advisory" | "mandatory";

export interface Violation {
    policy: string;
    level: ViolationLevel;
    severity?: Severity;
    /** The policy's description (the first line of `message`). */
    description: string;
    /** As the CLI shows it: the description, a newline, what the policy reported. */
    message: string;
    urn: string;
    resourceType: string;
    resourceName: string;
    /** True for the advisory "can't run policy ... during preview" (an unknown value was hit). */
    undecided: boolean;
}

export interface PackIdentity {
    name: string;
    version: string;
    /** Level of a policy that sets none. */
    enforcementLevel: EnforcementLevel;
}

export function rootStackUrn(stack: string, project: string): string {
    return `urn:pulumi:${stack}::${project}::pulumi:pulumi:Stack::${project}-${stack}`;
}

/**
 * The resources of a capture as the engine would register them: the root stack resource (outputs = the stack
 * outputs), every captured resource once (by URN), parentless ones parented to the root stack. With `preview`, the
 * outputs a provider computes (keys not among the inputs) are unknown, as in a preview of a new stack.
 */
export function analyzedResources(capture: Capture, opts: { stack: string; project: string; preview?: boolean }): AnalyzedResource[] {
    const root = rootStackUrn(opts.stack, opts.project);
    const stackOutputs: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(capture.outputs)) {
        stackOutputs[k] = capture.secretOutputs.includes(k) ? { [SIG_KEY]: SECRET_SIG, value: v } : v;
    }
    const byUrn = new Map<string, AnalyzedResource>();
    byUrn.set(root, {
        type: "pulumi:pulumi:Stack",
        name: `${opts.project}-${opts.stack}`,
        urn: root,
        custom: false,
        inputs: {},
        outputs: opts.preview ? {} : plain(stackOutputs),
        dependencies: [],
        additionalSecretOutputs: [],
    });
    for (const r of capture.resources) {
        const inputs = plain(r.inputs);
        let outputs = plain(r.custom ? r.state : {});
        if (opts.preview && r.custom) {
            outputs = Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, k in inputs ? v : UNKNOWN]));
        }
        byUrn.delete(r.urn); // keep registration order of the last registration
        byUrn.set(r.urn, {
            type: r.type,
            name: r.name,
            urn: r.urn,
            custom: r.custom,
            inputs,
            outputs,
            parent: r.parent ?? root,
            dependencies: [...r.dependsOn],
            additionalSecretOutputs: [...r.additionalSecretOutputs],
        });
    }
    return [...byUrn.values()];
}

/**
 * The capture's own objects, not copies (a large stack holds hundreds of MB of command text): `deserialize` drops
 * undefined values the way google.protobuf.Struct does. Nothing here mutates them.
 */
function plain(v: Record<string, unknown> | undefined): Record<string, unknown> {
    return v ?? {};
}

/** @pulumi/policy's deserializeProperty without proxied secrets: secrets unwrapped, everything else as is. */
export function deserialize(v: unknown): unknown {
    if (isSecretValue(v)) return deserialize(v.value);
    if (Array.isArray(v)) return v.map(deserialize);
    if (typeof v === "object" && v !== null) {
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = deserialize(x);
        return out;
    }
    return v;
}

class NotApplicable extends Error {}

function levelOf(p: SeedPolicy, config: ReconciledConfig, pack: PackIdentity): EnforcementLevel {
    return config[p.name]?.enforcementLevel || p.enforcementLevel || pack.enforcementLevel;
}

function getConfigFun(config: ReconciledConfig, name: string) {
    return <T extends object>(): T => ({ ...(config[name]?.properties ?? {}) }) as T;
}

function options(r: AnalyzedResource): PolicyResourceOptions {
    return {
        protect: false,
        ignoreChanges: [],
        aliases: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: r.additionalSecretOutputs,
        ...(r.parent ? { parent: r.parent } : {}),
    };
}

function typeTest(type: string) {
    return {
        isType: (cls: { __pulumiType?: string; isInstance?(o: unknown): boolean }) =>
            cls.__pulumiType !== undefined ? cls.__pulumiType === type : !!cls.isInstance?.({ __pulumiType: type }),
    };
}

export class PolicyRunError extends Error {
    constructor(readonly policy: string, readonly cause: unknown) {
        super(`error validating the stack with policy '${policy}': ${(cause as Error)?.message ?? String(cause)}`);
        this.name = "PolicyRunError";
    }
}

/** Run the pack over the resources. Violations in evaluation order (resource policies first, then stack policies). */
export async function evaluate(
    resources: AnalyzedResource[],
    policies: readonly SeedPolicy[],
    config: ReconciledConfig,
    pack: PackIdentity,
    /** When values are unknown: "preview" (the engine's wording), or e.g. "verify" for facts probed on live hosts. */
    opts: { phase?: string } = {},
): Promise<Violation[]> {
    const out: Violation[] = [];
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const root = resources.find((r) => r.type === "pulumi:pulumi:Stack");
    const packRef = `'${pack.name}@v${pack.version}'`;

    const push = (p: SeedPolicy, level: EnforcementLevel, message: string, urn: string | undefined, undecided: boolean) => {
        const target = (urn && byUrn.get(urn)) || root;
        out.push({
            policy: p.name,
            level: level === "remediate" ? "mandatory" : (level as ViolationLevel),
            severity: p.severity,
            description: p.description,
            message,
            urn: target?.urn ?? urn ?? "",
            resourceType: target?.type ?? "",
            resourceName: target?.name ?? "",
            undecided,
        });
    };
    const reporter = (p: SeedPolicy, level: EnforcementLevel, fallbackUrn?: string): ReportViolation =>
        (message, urn) => {
            if (typeof message === "object") {
                // PolicyViolation objects are not used by this pack; honour message/urn like the server does.
                const m = message as { message?: string; description?: string; urn?: string };
                push(p, level, m.message || m.description || p.description, m.urn ?? fallbackUrn, false);
                return;
            }
            push(p, level, message ? `${p.description}\n${message}` : p.description, urn ?? fallbackUrn, false);
        };
    const undecided = (p: SeedPolicy, e: Error, urn?: string) =>
        push(p, "advisory", `can't run policy '${p.name}' from policy pack ${packRef} during ${opts.phase ?? "preview"}: ${e.message}`, urn, true);

    // Deserialized once, shared by every policy (read-only proxies).
    const inputProps = new Map<string, Record<string, unknown>>();
    const outputProps = new Map<string, Record<string, unknown>>();
    const inputsOf = (r: AnalyzedResource) => {
        let v = inputProps.get(r.urn);
        if (!v) inputProps.set(r.urn, (v = proxy.unknownCheckingProxy(deserialize(r.inputs) as Record<string, unknown>)));
        return v;
    };
    const outputsOf = (r: AnalyzedResource) => {
        let v = outputProps.get(r.urn);
        if (!v) outputProps.set(r.urn, (v = proxy.unknownCheckingProxy(deserialize(r.outputs) as Record<string, unknown>)));
        return v;
    };
    const throwNotApplicable = (reason?: string): never => {
        throw new NotApplicable(reason);
    };

    // Analyze: each resource through each resource policy.
    const resourcePolicies = policies.filter(isResourcePolicy).map((p) => ({ p, level: levelOf(p, config, pack) }))
        .filter(({ level }) => level !== "disabled");
    for (const r of resources) {
        for (const { p, level } of resourcePolicies) {
            const validations = Array.isArray(p.validateResource) ? p.validateResource : p.validateResource ? [p.validateResource] : [];
            const props = inputsOf(r);
            const args: ResourceValidationArgs = {
                type: r.type,
                props,
                urn: r.urn,
                name: r.name,
                opts: options(r),
                stackTags: new Map(),
                ...typeTest(r.type),
                asType: ((cls: never) => (typeTest(r.type).isType(cls) ? props : undefined)) as ResourceValidationArgs["asType"],
                getConfig: getConfigFun(config, p.name),
                notApplicable: throwNotApplicable,
            } as ResourceValidationArgs;
            for (const validate of validations) {
                try {
                    await validate(args, reporter(p, level, r.urn));
                } catch (e) {
                    if (isUnknownValueError(e)) undecided(p, e, r.urn);
                    else if (!(e instanceof NotApplicable)) throw new PolicyRunError(p.name, e);
                }
            }
        }
    }

    // AnalyzeStack: the stack through each stack policy.
    for (const p of policies.filter(isStackPolicy) as StackValidationPolicy[]) {
        const level = levelOf(p, config, pack);
        if (level === "disabled") continue;
        const policyResources: PolicyResource[] = resources.map((r) => {
            const props = outputsOf(r);
            return {
                type: r.type,
                props,
                urn: r.urn,
                name: r.name,
                opts: options(r),
                dependencies: [],
                propertyDependencies: {},
                ...typeTest(r.type),
                asType: ((cls: never) => (typeTest(r.type).isType(cls) ? props : undefined)) as PolicyResource["asType"],
            } as PolicyResource;
        });
        const index = new Map(policyResources.map((pr) => [pr.urn, pr]));
        resources.forEach((r, i) => {
            const pr = policyResources[i];
            if (r.parent && index.has(r.parent)) pr.parent = index.get(r.parent);
            pr.dependencies = r.dependencies.map((d) => index.get(d)).filter((d): d is PolicyResource => !!d);
        });
        const args: StackValidationArgs = {
            resources: policyResources,
            getConfig: getConfigFun(config, p.name),
            stackTags: new Map(),
            notApplicable: throwNotApplicable,
        } as StackValidationArgs;
        try {
            await p.validateStack(args, reporter(p, level));
        } catch (e) {
            if (isUnknownValueError(e)) undecided(p, e);
            else if (!(e instanceof NotApplicable)) throw new PolicyRunError(p.name, e);
        }
    }
    return out;
}

/** The CLI's order in its "Policies:" section: enforcement level, policy name, resource URN. */
export function cliOrder(vs: readonly Violation[]): Violation[] {
    const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    return [...vs].sort((a, b) => cmp(a.level, b.level) || cmp(a.policy, b.policy) || cmp(a.urn, b.urn));
}


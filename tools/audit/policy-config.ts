// `--policy-pack-config FILE`, read and reconciled the way the Pulumi CLI does it (pkg/resource/analyzer/config.go):
//
// - the file is JSON: `{ "<policy>": "<level>" }` or `{ "<policy>": { "enforcementLevel"?: "<level>", ...props } }`,
//   levels advisory, mandatory, remediate, disabled; an empty file is no config;
// - start from every policy's defaults (its enforcement level, and the `default` of each `configSchema` property),
//   apply the `"all"` key's level to every policy, then each policy's own entry (its level, its properties merged
//   over the defaults);
// - validate each policy's properties against `{ type: "object", properties, required }` of its configSchema.
//
// One deliberate difference: the CLI silently ignores a policy name the pack does not have; here it is an error
// (a typo would otherwise turn a mandatory check off without a word).

import Ajv from "ajv";
import { escapeText } from "../../lib/config";
import { didYouMean } from "../cli";
import { decodeText, MAX_STACK_FILE_BYTES, readInputFile, showPath, StackFileError } from "../stack-config";
import type { EnforcementLevel } from "@pulumi/policy";
import type { SeedPolicy } from "../../policy/policies";

export const LEVELS: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

export interface PolicyConfigEntry {
    enforcementLevel: EnforcementLevel | undefined;
    properties: Record<string, unknown>;
}

/** Policy name → level and properties, defaults filled in. */
export type ReconciledConfig = Record<string, PolicyConfigEntry>;

export class PolicyConfigError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "PolicyConfigError";
    }
}

interface Given {
    enforcementLevel?: EnforcementLevel;
    properties?: Record<string, unknown>;
}

function isLevel(v: unknown): v is EnforcementLevel {
    return typeof v === "string" && (LEVELS as readonly string[]).includes(v);
}

/** Parse the CLI's config format. `where` names the source in errors. */
export function parsePolicyConfig(text: string, where: string): Record<string, Given> {
    if (text.trim() === "") return {};
    let doc: unknown;
    try {
        doc = JSON.parse(text);
    } catch (e) {
        throw new PolicyConfigError(`${where}: not valid JSON: ${escapeText((e as Error).message, 200)}`);
    }
    if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
        throw new PolicyConfigError(`${where}: expected a JSON object of policy names`);
    }
    const out: Record<string, Given> = {};
    for (const [name, v] of Object.entries(doc as Record<string, unknown>)) {
        if (typeof v === "string") {
            if (!isLevel(v)) {
                throw new PolicyConfigError(
                    `${where}: parsing enforcement level for "${escapeText(name)}": "${escapeText(v)}" is not a valid enforcement level (${LEVELS.join(", ")})`,
                );
            }
            out[name] = { enforcementLevel: v };
        } else if (typeof v === "object" && v !== null && !Array.isArray(v)) {
            const { enforcementLevel, ...properties } = v as Record<string, unknown>;
            if (enforcementLevel !== undefined && !isLevel(enforcementLevel)) {
                throw new PolicyConfigError(
                    `${where}: parsing enforcement level for "${escapeText(name)}": ${brief(enforcementLevel)} is not a valid ` +
                        `enforcement level (${LEVELS.join(", ")})`,
                );
            }
            out[name] = { enforcementLevel: enforcementLevel as EnforcementLevel | undefined, properties };
        } else {
            throw new PolicyConfigError(`${where}: parsing "${escapeText(name)}": ${brief(v)} is not a valid value; must be a string or object`);
        }
    }
    return out;
}

/** A value as a message shows it: scalars (escaped, bounded), else only its kind (no deep serialisation). */
function brief(v: unknown): string {
    if (Array.isArray(v)) return "a list";
    if (typeof v === "object" && v !== null) return "an object";
    return escapeText(JSON.stringify(v) ?? String(v));
}

export function readPolicyConfigFile(file: string): Record<string, Given> {
    let text: string;
    try {
        // regular files only, bounded (a FIFO or /dev/zero is refused, not read)
        text = decodeText(readInputFile(file, MAX_STACK_FILE_BYTES, "policy pack config"), file);
    } catch (e) {
        if (e instanceof StackFileError) throw new PolicyConfigError(e.message);
        throw e;
    }
    return parsePolicyConfig(text, showPath(file));
}

let ajv: Ajv | undefined;

/** Defaults + "all" + each policy's entry, validated against the policies' config schemas. */
export function reconcilePolicyConfig(policies: readonly SeedPolicy[], given: Record<string, Given>, where = "policy pack config"): ReconciledConfig {
    const names = new Set(policies.map((p) => p.name));
    const unknown = Object.keys(given).filter((k) => k !== "all" && !names.has(k));
    if (unknown.length > 0) {
        throw new PolicyConfigError(
            `${where}: unknown polic${unknown.length > 1 ? "ies" : "y"} ${unknown.map((u) => `"${escapeText(u, 100)}"${didYouMean(u, [...names, "all"])}`).join(", ")}; ` +
                `the pack's policies are ${[...names].join(", ")} (and "all")`,
        );
    }
    if (given.all?.properties && Object.keys(given.all.properties).length > 0) {
        throw new PolicyConfigError(`${where}: "all" takes an enforcement level only`);
    }
    // The CLI passes unknown settings on and the pack ignores them: a typo (minHostPerRole) would loosen a check
    // without a word. Here a setting the policy's configSchema does not declare is an error naming the closest one.
    for (const p of policies) {
        const props = given[p.name]?.properties;
        if (!props) continue;
        const known = Object.keys(p.configSchema?.properties ?? {});
        const bad = Object.keys(props).filter((k) => !known.includes(k));
        if (bad.length > 0) {
            throw new PolicyConfigError(
                `${where}: ${p.name}: unknown setting${bad.length > 1 ? "s" : ""} ${bad.map((k) => `"${escapeText(k, 100)}"${didYouMean(k, known)}`).join(", ")}; ` +
                    (known.length ? `its settings are ${known.join(", ")} (and enforcementLevel)` : "it takes no settings, only enforcementLevel"),
            );
        }
    }
    const result: ReconciledConfig = {};
    for (const p of policies) {
        const defaults: Record<string, unknown> = {};
        for (const [k, s] of Object.entries(p.configSchema?.properties ?? {})) {
            const d = (s as { default?: unknown }).default;
            if (d !== undefined) defaults[k] = structuredClone(d);
        }
        result[p.name] = { enforcementLevel: p.enforcementLevel, properties: defaults };
    }
    if (given.all?.enforcementLevel) {
        for (const e of Object.values(result)) e.enforcementLevel = given.all.enforcementLevel;
    }
    for (const [name, g] of Object.entries(given)) {
        if (name === "all") continue;
        const e = result[name];
        if (g.enforcementLevel) e.enforcementLevel = g.enforcementLevel;
        Object.assign(e.properties, g.properties ?? {});
    }
    ajv ??= new Ajv({ allErrors: true, strict: false });
    const errors: string[] = [];
    for (const p of policies) {
        if (!p.configSchema) continue;
        const schema = { type: "object", properties: p.configSchema.properties, ...(p.configSchema.required ? { required: p.configSchema.required } : {}) };
        const validate = ajv.compile(schema);
        if (!validate(result[p.name].properties)) {
            for (const err of validate.errors ?? []) {
                const at = err.instancePath ? err.instancePath.slice(1).replace(/\//g, ".") : "(root)";
                errors.push(`${p.name}: ${at} ${err.message}${err.params && "allowedValues" in err.params ? ` (${(err.params.allowedValues as unknown[]).join(", ")})` : ""}`);
            }
        }
    }
    if (errors.length > 0) throw new PolicyConfigError(`${where}: invalid policy config: ${errors.join("; ")}`);
    return result;
}

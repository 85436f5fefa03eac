// Policy configuration: the JSON schema each policy declares (`configSchema`) is also the source of its defaults.
//
// The Pulumi CLI fills in schema defaults and validates values before calling `getConfig()`. Other callers (tests,
// the offline audit) may pass nothing or anything, so `readSettings` applies the same defaults and checks the types
// itself; a bad value is an error naming the policy and the property, never a silent fallback.
//
// Unknown settings: the Pulumi CLI validates a policy's settings against `{type: object, properties, required}` only
// (@pulumi/policy sends nothing else of the schema over gRPC, and the CLI builds no `additionalProperties`), so a
// misspelt setting (`minHostPerRole`) reaches the pack unchecked. `readSettings` refuses it, with the closest known
// name: under the real CLI the policy fails with that message when it first runs (the preview before any resource
// is created), instead of running with the default the typo left in place.

import type { PolicyConfigSchema } from "@pulumi/policy";
import { didYouMean } from "./names";

export type SettingsSpec<T> = { [K in keyof T]: { description: string; default: T[K] } & SettingType<T[K]> };

type SettingType<V> = V extends number[]
    ? { type: "array"; items: { type: "integer"; minimum?: number; maximum?: number }; kind: "integers" }
    : V extends string[]
      ? { type: "array"; items: { type: "string"; enum?: string[] }; kind: "strings" }
      : V extends number
        ? { type: "integer"; minimum?: number; maximum?: number; kind: "integer" }
        : V extends boolean
          ? { type: "boolean"; kind: "boolean" }
          : never;

/** The `configSchema` of a policy from its settings spec (the `kind` tags are ours, not JSON schema). */
export function configSchema<T>(spec: SettingsSpec<T>): PolicyConfigSchema {
    const properties: PolicyConfigSchema["properties"] = {};
    for (const [key, s] of Object.entries(spec) as [string, Record<string, unknown>][]) {
        const { kind: _kind, ...schema } = s;
        properties[key] = schema as PolicyConfigSchema["properties"][string];
    }
    return { properties };
}

export class SettingsError extends Error {
    /** A bad value (`key = value: expected ...`), or without a value: `detail` alone after the policy's name. */
    constructor(policy: string, key: string, value: unknown, expected?: string) {
        super(`invalid config for policy ${policy}: ${expected === undefined ? key : `${key} = ${JSON.stringify(value)}: expected ${expected}`}`);
        this.name = "SettingsError";
    }
}

/** `getConfig()` merged over the defaults, with every value type-checked. `enforcementLevel` is ignored. */
export function readSettings<T>(policy: string, spec: SettingsSpec<T>, given: Record<string, unknown> | undefined): T {
    const known = Object.keys(spec);
    const unknown = Object.keys(given ?? {}).filter((k) => k !== "enforcementLevel" && !known.includes(k));
    if (unknown.length > 0) {
        const names = unknown.map((k) => JSON.stringify(k.slice(0, 100)) + didYouMean(k, known)).join(", ");
        throw new SettingsError(
            policy,
            `unknown setting${unknown.length > 1 ? "s" : ""} ${names}; ` +
                (known.length ? `its settings are ${known.join(", ")} (and enforcementLevel)` : "it takes no settings, only enforcementLevel"),
            undefined,
        );
    }
    const out: Record<string, unknown> = {};
    for (const [key, s] of Object.entries(spec) as [string, { default: unknown; kind: string; items?: { enum?: string[]; minimum?: number; maximum?: number }; minimum?: number; maximum?: number }][]) {
        const v = given?.[key] === undefined ? s.default : given[key];
        const int = (x: unknown, lim: { minimum?: number; maximum?: number } | undefined) =>
            typeof x === "number" && Number.isInteger(x) &&
            (lim?.minimum === undefined || x >= lim.minimum) && (lim?.maximum === undefined || x <= lim.maximum);
        switch (s.kind) {
            case "integers":
                if (!Array.isArray(v) || !v.every((x) => int(x, s.items))) {
                    throw new SettingsError(policy, key, v, "a list of integers" + range(s.items));
                }
                break;
            case "strings":
                if (!Array.isArray(v) || !v.every((x) => typeof x === "string" && (!s.items?.enum || s.items.enum.includes(x)))) {
                    throw new SettingsError(policy, key, v, s.items?.enum ? `a list from ${s.items.enum.join(", ")}` : "a list of strings");
                }
                break;
            case "integer":
                if (!int(v, s)) throw new SettingsError(policy, key, v, "an integer" + range(s));
                break;
            case "boolean":
                if (typeof v !== "boolean") throw new SettingsError(policy, key, v, "true or false");
                break;
        }
        out[key] = Array.isArray(v) ? [...v] : v;
    }
    return out as T;
}

function range(lim: { minimum?: number; maximum?: number } | undefined): string {
    if (lim?.minimum !== undefined && lim.maximum !== undefined) return ` from ${lim.minimum} to ${lim.maximum}`;
    if (lim?.minimum !== undefined) return ` of at least ${lim.minimum}`;
    return "";
}

// The raw config and its scalar readers: each reads one key's string, or its fallback, and throws a ConfigError naming
// the key when the value is refused.

import { ConfigError, escapeText } from "./errors";
import { MAX_DEPTH, MAX_LIST_LENGTH } from "./limits";
import { isAddressOrCidr } from "./validate";

/** Raw config as the engine gives it: keys without the project prefix, values as strings. */
export type RawConfig = Record<string, string>;

export function str(raw: RawConfig, key: string, fallback: string): string {
    return raw[key] ?? fallback;
}

/** One word of a closed list (the contract's: TLS modes, engines, JIT modes): `what` names the kind in the error, with
 * the list and an optional note after it. */
export function oneOf<T extends string>(raw: RawConfig, key: string, fallback: T, words: readonly T[], what: string, note = ""): T {
    const v = str(raw, key, fallback);
    if (!(words as readonly string[]).includes(v)) throw new ConfigError(key, v, `unknown ${what}; expected one of ${words.join(", ")}${note}`);
    return v as T;
}

export function bool(raw: RawConfig, key: string, fallback: boolean): boolean {
    const v = raw[key];
    if (v === undefined) return fallback;
    if (v === "true") return true;
    if (v === "false") return false;
    throw new ConfigError(key, v, "expected true or false");
}

export function json(raw: RawConfig, key: string): unknown {
    let v: unknown;
    try {
        v = JSON.parse(raw[key]);
    } catch {
        // the text of a structured value may hold anything (a host's fields): shown only for the simple lists
        throw new ConfigError(key, raw[key], "expected a YAML/JSON list", key === "hosts");
    }
    const at = tooDeep(v, MAX_DEPTH);
    if (at !== undefined) throw new ConfigError(`${key}${at}`, undefined, `nested deeper than ${MAX_DEPTH} levels`, true);
    return v;
}

/** The path of the first value nested deeper than `max` (iterative: no recursion on hostile input), or undefined. */
function tooDeep(root: unknown, max: number): string | undefined {
    const stack: [unknown, number, string][] = [[root, 0, ""]];
    while (stack.length > 0) {
        const [v, depth, at] = stack.pop()!;
        if (typeof v !== "object" || v === null) continue;
        if (depth >= max) return at;
        if (Array.isArray(v)) v.forEach((x, i) => stack.push([x, depth + 1, `${at}[${i}]`]));
        else for (const [k, x] of Object.entries(v)) stack.push([x, depth + 1, `${at}.${escapeText(k, 40)}`]);
    }
    return undefined;
}

export function port(raw: RawConfig, key: string, fallback: number): number {
    const v = raw[key];
    return v === undefined ? fallback : portValue(/^\d+$/.test(v) ? Number(v) : v, key);
}

export function portValue(v: unknown, key: string): number {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 65535) {
        throw new ConfigError(key, v, "expected a TCP port, an integer from 1 to 65535");
    }
    return v;
}

export function portList(raw: RawConfig, key: string, fallback: number[]): number[] {
    if (raw[key] === undefined) return fallback;
    const v = list(raw, key, "expected a list of TCP ports");
    return v.map((p, i) => portValue(p, `${key}[${i}]`));
}

/** A list setting's JSON value: a ConfigError unless it is a list of at most MAX_LIST_LENGTH entries. */
export function list(raw: RawConfig, key: string, expected: string): unknown[] {
    const v = json(raw, key);
    if (!Array.isArray(v)) throw new ConfigError(key, v, expected);
    if (v.length > MAX_LIST_LENGTH) throw new ConfigError(key, undefined, `${v.length} entries: at most ${MAX_LIST_LENGTH}`, true);
    return v;
}

export function integer(raw: RawConfig, key: string, fallback: number, min: number, max: number): number {
    const v = raw[key];
    if (v === undefined) return fallback;
    const n = /^-?\d+$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(key, v, `expected an integer from ${min} to ${max}`);
    return n;
}

export function addressList(raw: RawConfig, key: string, fallback: string[]): string[] {
    if (raw[key] === undefined) return fallback;
    const v = list(raw, key, "expected a list of IPv4 addresses or CIDR ranges");
    return v.map((a, i) => {
        if (typeof a !== "string" || !isAddressOrCidr(a, 4)) {
            // the firewall (ufw rules) and the status pages take IPv4 only
            throw new ConfigError(`${key}[${i}]`, a, "expected an IPv4 address or CIDR range such as 10.0.0.0/24 (IPv6 is not supported)");
        }
        return a;
    });
}

export function identifier(raw: RawConfig, key: string, fallback: string): string {
    const v = str(raw, key, fallback);
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,31}$/.test(v)) {
        throw new ConfigError(key, v, "expected a MySQL identifier: letters, digits and _, at most 32 characters");
    }
    return v;
}

export function object(v: unknown, at: string): Record<string, unknown> {
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new ConfigError(at, v, "expected a mapping");
    return v as Record<string, unknown>;
}

export function unknownKeys(o: Record<string, unknown>, at: string, known: Set<string>): void {
    for (const k of Object.keys(o)) {
        if (!known.has(k)) throw new ConfigError(`${at}.${k}`, undefined, `unknown key; expected one of ${[...known].join(", ")}`, true);
    }
}

/** "auto" (also when unset), or an integer from min to max. */
export function autoOrInteger(raw: RawConfig, key: string, min: number, max: number): "auto" | number {
    const v = raw[key];
    if (v === undefined || v === "auto") return "auto";
    const n = /^\d+$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(key, v, `expected auto or an integer from ${min} to ${max}`);
    return n;
}

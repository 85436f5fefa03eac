// The config's errors and their redaction: an error names the key, and shows the refused value only when it cannot be
// a secret.

import { PROJECT } from "./vocabulary";

/** A config error: always names the key, and shows the refused value unless it may be a secret (see `showValue`). */
export class ConfigError extends Error {
    constructor(
        readonly key: string,
        readonly value: unknown,
        reason: string,
        /** Never show the value (unknown keys, anything that may hold a secret). */
        hide = false,
    ) {
        const shown = hide ? undefined : showValue(key, value);
        super(`invalid config ${PROJECT}:${escapeText(key, 200)}${shown === undefined ? " (value not shown)" : ` = ${shown}`}: ${reason}`);
        this.name = "ConfigError";
    }
}

/** Control characters, line/paragraph separators and bidirectional overrides, escaped as \uXXXX. */
export function escapeText(text: string, max = 120): string {
    const cut = text.length > max ? `${text.slice(0, max - 3)}...` : text;
    return cut.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** A value that looks like key material (a private key, an SSH key, a long base64 blob): never shown, whatever its key. */
export function looksLikeKeyMaterial(text: string): boolean {
    return (
        /-----BEGIN|PRIVATE KEY|PuTTY-User-Key|b3BlbnNzaC1rZXktdjE|(ssh-(ed25519|rsa|dss)|ecdsa-sha2-|sk-ssh-)\S*\s+AAAA/i.test(text) ||
        /[A-Za-z0-9+/=_-]{40,}/.test(text)
    );
}

/** The value as an error shows it (bounded, escaped), or undefined when it must not be shown. */
/**
 * The credentials a URL may carry, redacted: the user information (`https://user:password@host` →
 * `https://***@host`, a bare `user@` as well) and the query and fragment (`?token=…` → `?***`). Applies to any text
 * an error shows (a value is shown only when it cannot be a secret, and a URL can be one).
 */
export function redactUrls(text: string): string {
    return text
        .replace(/\b([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^\s/?#"]*@/g, "$1***@")
        .replace(/(\b[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s?#"]*)[?#][^\s"]*/g, "$1?***");
}

export function showValue(key: string, value: unknown): string | undefined {
    const last = key.replace(/\[\d+\]$/, "").split(".").pop() ?? key;
    if (isSecretKey(last) && !(last === "privateKeyConfig" && typeof value === "string" && /^[A-Za-z][A-Za-z0-9_.:-]{0,99}$/.test(value))) {
        return undefined;
    }
    if (value === undefined) return "(unset)";
    const budget = { chars: 160, hidden: false };
    const text = render(value, 0, budget);
    if (budget.hidden) return undefined;
    return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

const SHOWN_FIELDS = new Set(["name", "roles", "connection", "type", "address", "port", "user", "privateAddress", "bindAddress", "sshPort", "httpPort", "httpsPort", "dbPort"]);

/** Bounded rendering: no recursion past depth 3, no more than a few items, fields of a mapping only when known. */
function render(v: unknown, depth: number, budget: { chars: number; hidden: boolean }): string {
    if (budget.chars <= 0) return "...";
    let out: string;
    if (typeof v === "string") {
        const cut = redactUrls(v.length > 200 ? v.slice(0, 200) : v);
        if (looksLikeKeyMaterial(v)) budget.hidden = true;
        out = `"${escapeText(cut.replace(/\\/g, "\\\\").replace(/"/g, '\\"'), 120)}"`;
    } else if (typeof v === "number" || typeof v === "boolean" || v === null) {
        out = String(v);
    } else if (Array.isArray(v)) {
        if (depth >= 3) out = "[...]";
        else {
            const items: string[] = [];
            for (let i = 0; i < v.length && i < 8 && budget.chars > 0; i++) items.push(render(v[i], depth + 1, budget));
            if (v.length > items.length) items.push("...");
            out = `[${items.join(", ")}]`;
        }
    } else if (typeof v === "object") {
        if (depth >= 3) out = "{...}";
        else {
            const items: string[] = [];
            const keys = Object.keys(v as object);
            for (const k of keys.slice(0, 8)) {
                if (budget.chars <= 0) break;
                const shown = SHOWN_FIELDS.has(k) ? render((v as Record<string, unknown>)[k], depth + 1, budget) : "(not shown)";
                items.push(`${escapeText(k, 40)}: ${shown}`);
            }
            if (keys.length > items.length) items.push("...");
            out = `{${items.join(", ")}}`;
        }
    } else {
        out = `(${typeof v})`;
    }
    budget.chars -= out.length;
    return out;
}

/** Config keys whose values are secrets or look like one: never echoed in errors. */
export function isSecretKey(key: string): boolean {
    return /priv(ate)?_?key|pass|pwd|secret|token|key|cred|auth|cert|salt|cookie|session|signature|otp/i.test(key);
}

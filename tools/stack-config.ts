// Read a stack file (Pulumi.<stack>.yaml) into the program's raw config, the way the engine hands it over:
// keys of the project's namespace without the prefix, scalars as strings, lists and maps as JSON.
//
// Hostile files end in a StackFileError naming the file (and line:column for YAML errors), fast: only regular files
// up to MAX_STACK_FILE_BYTES are read, UTF-16 (with its BOM) is decoded as the Pulumi CLI does, nesting and key
// counts are bounded, and no error quotes the file's text (a line may hold a secret).

import * as fs from "fs";
import * as path from "path";
import { isMap, isScalar, isSeq, LineCounter, Node, parseDocument } from "yaml";
import { escapeText, KNOWN_KEYS, PROJECT, RawConfig } from "../lib/config";
import { closestName, didYouMean } from "./cli";

import { PROJECT_DIR } from "../lib/root";

export { PROJECT_DIR };

/** Largest stack file (and policy config file) read, in bytes. */
export const MAX_STACK_FILE_BYTES = 64 * 1024;
/** Most lines plus flow-collection items (commas) in a stack file: bounds the YAML parser's work. */
export const MAX_YAML_LINES = 1000;
/** Deepest nesting of flow collections ([ { ) and compact block entries (- - -) in a stack file. */
export const MAX_YAML_NESTING = 64;
/** Most keys in one mapping of a stack file (the config mapping included). */
export const MAX_YAML_KEYS = 500;

/** A stack file (or another input file) that cannot be used: the message names the file, never quotes its text. */
export class StackFileError extends Error {
    constructor(
        readonly file: string,
        message: string,
    ) {
        super(message);
        this.name = "StackFileError";
    }
}

/** The top-level keys of a stack file (Pulumi.<stack>.yaml) the Pulumi CLI knows; `environment` is refused above. */
export const STACK_FILE_KEYS = ["config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment"];
const KNOWN_KEY_SET: Record<string, true> = Object.fromEntries([...KNOWN_KEYS].map((k) => [k, true]));

export interface StackFile {
    raw: RawConfig;
    /** Keys whose values are encrypted in the file ({ secure: … }); their values are not readable offline. */
    secureKeys: string[];
    /** The decoded text of the file. */
    text: string;
}

/** A file name as messages show it: control characters escaped. */
export function showPath(file: string): string {
    return escapeText(file, 300);
}

/**
 * The bytes of a regular file of at most `maxBytes`. Opening does not block (a FIFO opens and is refused), a device
 * or directory is refused, and no more than `maxBytes + 1` bytes are ever read.
 */
export function readInputFile(file: string, maxBytes: number, what: string): Buffer {
    let fd: number;
    try {
        fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY);
    } catch (e) {
        throw new StackFileError(file, `cannot read ${what} ${showPath(file)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    try {
        const st = fs.fstatSync(fd);
        if (!st.isFile()) throw new StackFileError(file, `cannot read ${what} ${showPath(file)}: not a regular file`);
        if (st.size > maxBytes) {
            throw new StackFileError(file, `cannot read ${what} ${showPath(file)}: ${st.size} bytes, more than the limit of ${maxBytes}`);
        }
        const buf = Buffer.alloc(maxBytes + 1);
        let n = 0;
        while (n < buf.length) {
            const r = fs.readSync(fd, buf, n, buf.length - n, null);
            if (r === 0) break;
            n += r;
        }
        if (n > maxBytes) throw new StackFileError(file, `cannot read ${what} ${showPath(file)}: more than the limit of ${maxBytes} bytes`);
        return buf.subarray(0, n);
    } catch (e) {
        if (e instanceof StackFileError) throw e;
        throw new StackFileError(file, `cannot read ${what} ${showPath(file)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    } finally {
        fs.closeSync(fd);
    }
}

/** Text of a YAML file as the Pulumi CLI reads it: UTF-8 (BOM dropped), or UTF-16 LE/BE with its BOM. Strict. */
export function decodeText(buf: Buffer, file: string): string {
    let encoding = "utf-8";
    if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) {
        encoding = "utf-16le";
    } else if (buf.length >= 2 && buf[0] === 0xfe && buf[1] === 0xff) {
        encoding = "utf-16be";
    }
    try {
        // TextDecoder drops the BOM of the encoding it decodes
        return new TextDecoder(encoding, { fatal: true, ignoreBOM: false }).decode(buf);
    } catch {
        throw new StackFileError(file, `${showPath(file)}: not valid ${encoding.toUpperCase()} text`);
    }
}

/** Line and column (1-based) of an offset. */
function lineCol(lines: LineCounter, offset: number): string {
    const p = lines.linePos(offset);
    return `${p.line}:${p.col}`;
}

/** Refuse nesting the YAML composer would recurse into without bound (cheap scan of the text, before parsing). */
function checkNesting(text: string, file: string): void {
    let items = 0;
    for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if ((c === 10 || c === 44) && ++items > MAX_YAML_LINES) {
            throw new StackFileError(file, `${showPath(file)}: more than ${MAX_YAML_LINES} lines and list items`);
        }
    }
    let depth = 0;
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c === 10) {
            line++;
            lineStart = i + 1;
        } else if (c === 91 || c === 123) {
            if (++depth > MAX_YAML_NESTING) {
                throw new StackFileError(file, `${showPath(file)}:${line}:${i - lineStart + 1}: nested deeper than ${MAX_YAML_NESTING} levels`);
            }
        } else if (c === 93 || c === 125) {
            if (depth > 0) depth--;
        }
    }
    // compact block entries: "- - - x" or "? ? x" on one line, or indentation deeper than the nesting limit allows
    const compact = new RegExp(`^[ \\t]*(?:[-?:][ \\t]+){${MAX_YAML_NESTING + 1}}`);
    const all = text.split("\n");
    for (let n = 0; n < all.length; n++) {
        if (compact.test(all[n])) throw new StackFileError(file, `${showPath(file)}:${n + 1}:1: nested deeper than ${MAX_YAML_NESTING} levels`);
        const indent = all[n].length - all[n].trimStart().length;
        if (indent > MAX_YAML_NESTING * 8) {
            throw new StackFileError(file, `${showPath(file)}:${n + 1}:1: indented more than ${MAX_YAML_NESTING * 8} columns`);
        }
    }
}

/** Duplicate keys, checked with a Set per mapping (the parser's own check is quadratic), and the key count. */
function checkKeys(root: Node | null, lines: LineCounter, file: string): void {
    const stack: unknown[] = [root];
    while (stack.length > 0) {
        const node = stack.pop();
        if (isMap(node)) {
            if (node.items.length > MAX_YAML_KEYS) {
                throw new StackFileError(file, `${showPath(file)}:${lineCol(lines, node.range?.[0] ?? 0)}: more than ${MAX_YAML_KEYS} keys in one mapping`);
            }
            const seen = new Set<string>();
            for (const pair of node.items) {
                const k = pair.key;
                const name = isScalar(k) ? String(k.value) : JSON.stringify(k);
                if (seen.has(name)) {
                    const at = isScalar(k) && k.range ? lineCol(lines, k.range[0]) : lineCol(lines, node.range?.[0] ?? 0);
                    throw new StackFileError(file, `${showPath(file)}:${at}: duplicate key ${JSON.stringify(escapeText(name, 100))}`);
                }
                seen.add(name);
                stack.push(pair.value);
            }
        } else if (isSeq(node)) {
            for (const item of node.items) stack.push(item);
        }
    }
}

/**
 * The parser's reason without any text of the file: several of its messages quote the offending source (a tag, a
 * directive, an escape sequence, a block scalar header, a scalar), which may be part of a secret.
 */
export function yamlReason(message: string): string {
    let reason = message.split("\n")[0];
    const colon = reason.indexOf(": ");
    if (colon >= 0) reason = reason.slice(0, colon);
    reason = reason
        .replace(/^(Unknown directive|Unsupported YAML version|Invalid escape sequence|Unresolved plain scalar|Not a valid tag|Could not resolve tag|Unresolved tag)\b.*$/, "$1")
        .replace(/^The .* tag has no suffix$/, "A tag has no suffix")
        .replace(/^Verbatim tags aren't resolved, so .* is invalid\.?$/, "Verbatim tags aren't resolved")
        .replace(/^Plain value cannot start with .*$/, "Plain value cannot start with this character")
        .replace(/^Unexpected (.*) (in|at) /, (m, what: string, where: string) => `Unexpected ${/^[a-z-]+$|^.$/.test(what) ? what : "token"} ${where} `);
    // anything else long enough to be a value is left out
    return reason.split(" ").map((w) => (w.length > 20 ? "(...)" : w)).join(" ");
}

/** Parse a stack file's text: errors name file:line:column and the parser's reason, never the line's text. */
export function parseStackText(text: string, file: string): unknown {
    checkNesting(text, file);
    const lines = new LineCounter();
    const doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false, logLevel: "silent", lineCounter: lines });
    const err = doc.errors[0];
    if (err) {
        const reason = escapeText(yamlReason(err.message), 200);
        throw new StackFileError(file, `${showPath(file)}:${lineCol(lines, err.pos[0])}: invalid YAML: ${reason}`);
    }
    checkKeys(doc.contents, lines, file);
    try {
        return doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
        throw new StackFileError(file, `${showPath(file)}: invalid YAML: ${escapeText(yamlReason((e as Error).message), 200)}`);
    }
}

export function readStackFile(file: string): StackFile {
    const text = decodeText(readInputFile(file, MAX_STACK_FILE_BYTES, "stack config"), file);
    const doc = parseStackText(text, file);
    if (doc !== null && doc !== undefined && (typeof doc !== "object" || Array.isArray(doc))) {
        throw new StackFileError(file, `${showPath(file)}: expected a mapping (with a "config" key)`);
    }
    const top = Object.keys((doc as Record<string, unknown> | null) ?? {});
    // Pulumi's own ESC environments: their values are not readable offline, and they may set any key of the stack.
    if (top.includes("environment")) {
        const env = (doc as { environment?: unknown }).environment;
        const list = Array.isArray(env) ? env : typeof env === "object" && env !== null && Array.isArray((env as { imports?: unknown }).imports) ? (env as { imports: unknown[] }).imports : [env];
        const names = list.map((e) => JSON.stringify(escapeText(typeof e === "string" ? e : "(an object)", 100))).join(", ");
        throw new StackFileError(
            file,
            `${showPath(file)}: "environment" imports the Pulumi ESC environment${list.length > 1 ? "s" : ""} ${names}, which the offline tools cannot read: ` +
                `judged without their values, the result would not be this stack's. Copy their values under "config:" in a copy of the file (\`pulumi env open NAME\`) and give that with --config`,
        );
    }
    const unknownTop = top.filter((k) => !STACK_FILE_KEYS.includes(k));
    if (unknownTop.length > 0) {
        const k = unknownTop[0];
        const why = k.startsWith(`${PROJECT}:`) || Object.hasOwn(KNOWN_KEY_SET, k)
            ? `a config key outside "config:" (indent it under "config:")`
            : `not a stack file key (${STACK_FILE_KEYS.join(", ")})${didYouMean(k, STACK_FILE_KEYS)}`;
        throw new StackFileError(file, `${showPath(file)}: unknown top-level key ${JSON.stringify(escapeText(k, 100))}: ${why}`);
    }
    const config = (doc as { config?: Record<string, unknown> } | null)?.config ?? {};
    if (typeof config !== "object" || config === null || Array.isArray(config)) {
        throw new StackFileError(file, `${showPath(file)}: "config" is not a mapping`);
    }
    const raw: RawConfig = Object.create(null) as RawConfig;   // a key named __proto__ is a key like any other
    const secureKeys: string[] = [];
    for (const [key, value] of Object.entries(config)) {
        const [ns, name] = key.includes(":") ? key.split(/:(.*)/s, 2) : [PROJECT, key];
        if (ns !== PROJECT) {
            // another project's or provider's key (aws:region) is not ours; a misspelt project name is a typo
            if (closestName(ns, [PROJECT]) || ns.toLowerCase() === PROJECT) {
                throw new StackFileError(file, `${showPath(file)}: config key ${JSON.stringify(escapeText(key, 100))}: namespace "${escapeText(ns, 100)}" is not the project's (did you mean "${PROJECT}:${escapeText(name, 100)}"?)`);
            }
            continue;
        }
        if (typeof value === "object" && value !== null && !Array.isArray(value) && "secure" in value) {
            secureKeys.push(name);
            raw[name] = "(secure)";
        } else {
            raw[name] = typeof value === "string" ? value : JSON.stringify(value);
        }
    }
    return { raw, secureKeys, text };
}

export function stackFilePath(stack: string): string {
    return path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`);
}

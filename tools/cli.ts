// The command-line layer shared by the tools (audit, verify, diagram) and the benchmarks: argument parsing
// (node:util parseArgs) with usage on --help and on bad arguments, paths taken from the user's directory, the
// output file (or `-` for stdout) checked before any work, errors printed as one line, and the exit codes.
//
// Paths: `npm run X -- --config FILE` runs the tool in the package's directory; npm keeps the directory the user
// typed the command in as INIT_CWD. A relative path given on the command line is resolved from there.
//
// Nothing heavy loads here (no SDK, no YAML parser): --help and argument errors answer at once.

import * as fs from "fs";
import * as path from "path";
import { parseArgs, ParseArgsConfig } from "util";
import { escapeText } from "../lib/config";

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_BAD_INPUT = 2;

/** Bad input: printed as `error: <message>`, exit code 2. */
export class CliInputError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "CliInputError";
    }
}

/** The directory the user ran the command in: npm's INIT_CWD when run through npm, else the process's own. */
export function userDir(env: NodeJS.ProcessEnv = process.env): string {
    const init = env.INIT_CWD;
    if (init && path.isAbsolute(init)) {
        try {
            if (fs.statSync(init).isDirectory()) return init;
        } catch {
            // gone since: fall back to the process's directory
        }
    }
    return process.cwd();
}

/** A path given by the user, resolved from the user's directory (`-` stays `-`). */
export function userPath(file: string, env: NodeJS.ProcessEnv = process.env): string {
    if (file === "-") return file;
    return path.resolve(userDir(env), file);
}

/** A path as messages show it: relative to the user's directory when below it, control characters escaped. */
export function shownPath(file: string, env: NodeJS.ProcessEnv = process.env): string {
    if (file === "-") return "-";
    const rel = path.relative(userDir(env), file);
    return escapeText(rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : file, 300);
}

// The closest-name helpers live in the policy pack (its analyzer process refuses a misspelt setting too).
import { didYouMean } from "../policy/lib/names";
export { closestName, didYouMean } from "../policy/lib/names";

export interface Command<O extends NonNullable<ParseArgsConfig["options"]>> {
    /** What `npm run NAME` the usage names. */
    usage: string;
    options: O;
    /** Deprecated spellings kept working: alias → the option's name (the usage names the old spelling). */
    aliases?: Record<string, keyof O & string>;
}

/** The options naming the stack file: `--stack NAME` (the project's Pulumi.NAME.yaml) or `--config FILE` (any stack
 * file; see requireStackOrConfig). */
export const STACK_FILE_OPTIONS = {
    stack: { type: "string" },
    config: { type: "string" },
} as const;

/** The options of a tool that reports the policies' verdicts: their levels and settings, the report's format (text by
 * default) and where it goes (see checkOutputFile). */
export const REPORT_OPTIONS = {
    "policy-pack-config": { type: "string" },
    format: { type: "string", default: "text" },
    output: { type: "string" },
} as const;

/**
 * Parse `argv` strictly (no positionals). `--help`/`-h` → the usage on stdout, exit 0. A bad argument → the reason
 * and the usage on stderr, exit 2 (a CliInputError carries them); an unknown option names the closest known one.
 */
export type Values = Record<string, string | boolean | string[] | undefined>;

export function parseCommand<O extends NonNullable<ParseArgsConfig["options"]>>(cmd: Command<O>, argv: string[]): { help: true } | { help: false; values: Values } {
    const options = { ...cmd.options, help: { type: "boolean" as const, short: "h" } } as O;
    const aliasOptions: Record<string, { type: "string" | "boolean"; multiple?: boolean }> = {};
    for (const [alias, target] of Object.entries(cmd.aliases ?? {})) {
        const t = cmd.options[target] as { type: "string" | "boolean"; multiple?: boolean };
        aliasOptions[alias] = { type: t.type, ...(t.multiple ? { multiple: true } : {}) };
    }
    let values: Record<string, unknown>;
    try {
        values = parseArgs({ args: argv, strict: true, allowPositionals: false, options: { ...options, ...aliasOptions } }).values as Record<string, unknown>;
    } catch (e) {
        const message = (e as Error).message;
        const unknown = /Unknown option '(-{1,2}[^']*)'/.exec(message)?.[1];
        const hint = unknown ? didYouMean(unknown.replace(/^-+/, ""), Object.keys(options)).replace(/"([^"]+)"/, '"--$1"') : "";
        const positional = /Unexpected argument '([^']*)'/.exec(message)?.[1];
        const reason = positional !== undefined
            ? `unexpected argument ${JSON.stringify(escapeText(positional, 100))}: every argument is an option (--help lists them)`
            : `${escapeText(message.split(". ")[0], 300)}${hint}`;
        throw new CliInputError(`${reason}\n${cmd.usage}`);
    }
    if (values.help) return { help: true };
    for (const [alias, target] of Object.entries(cmd.aliases ?? {})) {
        if (values[alias] === undefined) continue;
        if (values[target] !== undefined) throw new CliInputError(`--${alias} and --${target} are the same option: give one`);
        values[target] = values[alias];
        delete values[alias];
    }
    delete values.help;
    return { help: false, values: values as Values };
}

/** parseCommand, with --help answered here: the usage on stdout and undefined (the command returns EXIT_OK). */
export function parseOrHelp<O extends NonNullable<ParseArgsConfig["options"]>>(cmd: Command<O>, argv: string[]): Values | undefined {
    const parsed = parseCommand(cmd, argv);
    if (!parsed.help) return parsed.values;
    process.stdout.write(cmd.usage + "\n");
    return undefined;
}

/** A stack name as `--stack` takes it (the characters of a Pulumi.NAME.yaml file name). */
export const STACK_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

/** A stack name that names no hidden file either (`--stack .x`). */
export function isStackName(name: string): boolean {
    return STACK_NAME.test(name) && !name.startsWith(".");
}

/** `--stack NAME` or `--config FILE`: neither given is bad input (the reason, then the usage). */
export function requireStackOrConfig(args: { stack?: string; config?: string }, usage: string): void {
    if (!args.stack && !args.config) throw new CliInputError(`give --stack NAME or --config FILE\n${usage}`);
}

/** The report formats of audit and verify. */
export type Format = "text" | "json" | "sarif";

/** `--format`'s value, or a CliInputError naming it (shown by `quote`). */
export function formatOf(format: string, quote: (s: string) => string = (s) => JSON.stringify(escapeText(s))): Format {
    if (!["text", "json", "sarif"].includes(format)) throw new CliInputError(`--format must be text, json or sarif, not ${quote(format)}`);
    return format as Format;
}

/** A value quoted for a message: JSON-escaped, cut at 200 characters. */
export function quoted(s: string): string {
    return JSON.stringify(s.length > 200 ? s.slice(0, 200) + "…" : s);
}

/** Why `file` is no readable regular file (an errno code, "not a regular file"), or undefined when it is one. */
export function unreadable(file: string): string | undefined {
    try {
        const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
        try {
            if (!fs.fstatSync(fd).isFile()) return "not a regular file";
            fs.readSync(fd, Buffer.alloc(1), 0, 1, 0);
        } finally {
            fs.closeSync(fd);
        }
        return undefined;
    } catch (e) {
        return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    }
}

/** Check an input file given as `option` before any work: a CliInputError `OPTION "FILE": cannot read it (WHY)`. */
export function checkInputFile(file: string, option: string): void {
    const why = unreadable(file);
    if (why) throw new CliInputError(`${option} ${quoted(shownPath(file))}: cannot read it (${why})`);
}

/** A file's or stdin's (fd 0) text, at most `maxBytes` (undefined when larger); a non-blocking stdin is waited for. */
export function readBounded(file: string | number, maxBytes: number): string | undefined {
    const fd = typeof file === "number" ? file : fs.openSync(file, "r");
    try {
        const chunks: Buffer[] = [];
        let size = 0;
        const buf = Buffer.alloc(64 * 1024);
        for (;;) {
            let n: number;
            try {
                n = fs.readSync(fd, buf, 0, buf.length, null);
            } catch (e) {
                if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
                // a non-blocking stdin: wait for the writer
                Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
                continue;
            }
            if (n === 0) break;
            size += n;
            if (size > maxBytes) return undefined;
            chunks.push(Buffer.from(buf.subarray(0, n)));
        }
        return Buffer.concat(chunks).toString("utf8");
    } finally {
        if (typeof file !== "number") fs.closeSync(fd);
    }
}

/**
 * Check that `file` (already resolved) can be written, before any work: its directory exists and is a directory, and
 * the file itself, when it exists, is a regular file (not a directory, FIFO or device). `-` is stdout.
 */
export function checkOutputFile(file: string, option = "--output"): void {
    if (file === "-") return;
    const dir = path.dirname(file);
    let st: fs.Stats | undefined;
    try {
        st = fs.statSync(dir);
    } catch (e) {
        throw new CliInputError(`${option} ${shownPath(file)}: its directory ${shownPath(dir)} does not exist (${(e as NodeJS.ErrnoException).code ?? "unreadable"})`);
    }
    if (!st.isDirectory()) throw new CliInputError(`${option} ${shownPath(file)}: ${shownPath(dir)} is not a directory`);
    try {
        st = fs.statSync(file);
    } catch {
        st = undefined;
    }
    if (st && st.isDirectory()) throw new CliInputError(`${option} ${shownPath(file)}: is a directory; give a file name`);
    if (st && !st.isFile()) throw new CliInputError(`${option} ${shownPath(file)}: not a regular file`);
    try {
        fs.accessSync(st ? file : dir, fs.constants.W_OK);
    } catch (e) {
        throw new CliInputError(`${option} ${shownPath(file)}: cannot write there (${(e as NodeJS.ErrnoException).code ?? "denied"})`);
    }
}

/**
 * Write `text` to `file` (`-` = stdout). A failure (the disk full, the file gone read-only since the check) is a
 * CliInputError naming the file.
 */
export function writeOutput(file: string, text: string, option = "--output"): void {
    if (file === "-") {
        process.stdout.write(text);
        return;
    }
    try {
        fs.writeFileSync(file, text);
    } catch (e) {
        throw new CliInputError(`${option} ${shownPath(file)}: cannot write it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
}

/** Print `error: <message>` on stderr and give the exit code (2 unless said otherwise). */
export function fail(message: string, code = EXIT_BAD_INPUT): number {
    process.stderr.write(`error: ${message}\n`);
    return code;
}

/** A warning on stderr. */
export function warn(message: string): void {
    process.stderr.write(`warning: ${message}\n`);
}

/** The warnings a policy configuration deserves: every policy disabled means nothing is checked. */
export function policyLevelWarnings(policies: readonly { name: string; level: string }[], where: string | undefined): string[] {
    if (policies.length > 0 && policies.every((p) => p.level === "disabled")) {
        return [`every policy of the pack is disabled${where ? ` by ${where}` : ""}: nothing is checked, and the result says nothing about the stack`];
    }
    return [];
}

/**
 * A command's body with its errors printed: a CliInputError (or one of `inputErrors`, the command's own bad-input
 * errors) → `error: <message>`, exit 2; anything else → `error: <stack>`, exit 1.
 */
export async function guard(body: () => Promise<number>, ...inputErrors: (abstract new (...args: never[]) => Error)[]): Promise<number> {
    try {
        return await body();
    } catch (e) {
        if (e instanceof CliInputError || inputErrors.some((t) => e instanceof t)) return fail((e as Error).message);
        return fail(`${(e as Error).stack ?? String(e)}`, EXIT_ERROR);
    }
}

/**
 * Run `main(argv)` as the process's main: exit with its code once stdout is flushed; an unexpected error → its
 * stack on stderr, exit 1; a CliInputError → its message, exit 2.
 */
export function runMain(main: (argv: string[]) => Promise<number>): void {
    main(process.argv.slice(2)).then(
        (code) => process.stdout.write("", () => process.exit(code)),
        (e) => {
            if (e instanceof CliInputError) process.exit(fail(e.message));
            process.stderr.write(`error: ${(e as Error).stack ?? String(e)}\n`);
            process.exit(EXIT_ERROR);
        },
    );
}

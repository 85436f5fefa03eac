// Offline policy audit: run the real program under Pulumi mocks with a stack's config, capture every resource it
// registers, and evaluate the policy pack over them the way the engine does (tools/audit/evaluate.ts), without the
// Pulumi CLI, a backend or any host.
//
//   npm run audit -- --stack dev                      (reads Pulumi.dev.yaml)
//   npm run audit -- --config path/to/Pulumi.x.yaml   (any stack file; the stack name comes from the file name)
//   options: --policy-pack-config FILE   the CLI's policy config format (levels, settings, "all")
//            --format text|json|sarif    text = the CLI's "Policies:" section (default)
//            --output FILE               write the report there instead of stdout
//            --preview                   evaluate as during `pulumi preview` (computed outputs unknown)
//
// Exit codes: 0 no mandatory violation, 5 mandatory violation(s) (the CLI's policy-violation code), 2 bad input
// (arguments, stack file, program config, policy config), 1 anything else.

import * as fs from "fs";
import * as path from "path";
import { ConfigError, escapeText, PROJECT } from "../lib/config";
import { PROJECT_DIR } from "../lib/root";
import * as cli from "./cli";
import { EXIT_BAD_INPUT, EXIT_ERROR, EXIT_OK, Format } from "./cli";
import type { Capture } from "./capture";
import type { PackIdentity } from "./audit/evaluate";
import type { ReconciledConfig } from "./audit/policy-config";
import type { AuditResult } from "./audit/report";

// The SDK, the program, the pack and the YAML parser load on first use, not at start-up: --help and argument errors
// answer at once (lib/config and lib/root need nothing but Node). `typeof import()` is a type only: nothing loads here.
function lazy<T>(load: () => T): () => T {
    let m: T | undefined;
    return () => (m ??= load());
}
const yaml = lazy(() => require("yaml") as typeof import("yaml"));
const thePack = lazy(() => require("../policy/policies") as typeof import("../policy/policies"));
const settings = lazy(() => require("../policy/lib/settings") as typeof import("../policy/lib/settings"));
const captureLib = lazy(() => require("./capture") as typeof import("./capture"));
const stackConfig = lazy(() => require("./stack-config") as typeof import("./stack-config"));
const evaluation = lazy(() => require("./audit/evaluate") as typeof import("./audit/evaluate"));
const policyConfig = lazy(() => require("./audit/policy-config") as typeof import("./audit/policy-config"));
const report = lazy(() => require("./audit/report") as typeof import("./audit/report"));

export { EXIT_BAD_INPUT, EXIT_ERROR, EXIT_OK };
export const EXIT_POLICY_VIOLATION = 5;

export const POLICY_DIR = path.join(PROJECT_DIR, "policy");

export type { Format };

export interface AuditOptions {
    /** Stack file to read. */
    configFile: string;
    /** Stack name (URNs); default: from the file name Pulumi.<stack>.yaml. */
    stack?: string;
    policyConfigFile?: string;
    preview?: boolean;
    /** Secret config values the stack file holds encrypted (default: a placeholder, never printed). */
    secrets?: Record<string, string>;
    /** Keep stack traces during the capture (slow on large stacks; for debugging the program). */
    stackTraces?: boolean;
    /** Called with the capture (tests). */
    inspect?(capture: Capture): void;
}

/** Bad input: printed as is, exit code 2. */
export class AuditInputError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "AuditInputError";
    }
}

/** The pack's name (policy/policies: PACK_NAME, what policy/index.ts serves) and version (policy/package.json). */
export function packIdentity(): PackIdentity & { path: string } {
    const pkg = JSON.parse(fs.readFileSync(path.join(POLICY_DIR, "package.json"), "utf8")) as { version?: string };
    if (!pkg.version) throw new Error("policy/package.json has no version (the analyzer server requires one)");
    const manifest = yaml().parse(fs.readFileSync(path.join(POLICY_DIR, "PulumiPolicy.yaml"), "utf8")) as { version?: string; name?: string } | null;
    if (manifest?.version && String(manifest.version) !== pkg.version) {
        process.emitWarning(`policy/PulumiPolicy.yaml says version ${manifest.version}, policy/package.json ${pkg.version}; using the latter (the server does)`);
    }
    const rel = path.relative(process.cwd(), POLICY_DIR) || ".";
    return { name: thePack().PACK_NAME, version: pkg.version, enforcementLevel: thePack().PACK_ENFORCEMENT_LEVEL, path: rel };
}

/** The stacks of the project: NAME of every Pulumi.NAME.yaml beside Pulumi.yaml, sorted. */
export function stackNames(): string[] {
    return fs
        .readdirSync(PROJECT_DIR)
        .map((f) => stackNameOf(f))
        .filter((s): s is string => s !== undefined)
        .sort();
}

export function stackNameOf(file: string): string | undefined {
    return /^Pulumi\.(.+)\.ya?ml$/.exec(path.basename(file))?.[1];
}

/**
 * The stack name a stack file stands for when none is given: NAME of Pulumi.NAME.yaml, else the file's name without
 * its extension (my-server.yaml → my-server), in the characters a stack name may have. It names the URNs only.
 */
export function defaultStackName(file: string): string {
    const named = stackNameOf(file);
    if (named) return named;
    const base = path.basename(file).replace(/\.ya?ml$/i, "").replace(/[^A-Za-z0-9_.-]+/g, "-").replace(/^[.-]+/, "").slice(0, 100);
    return base || "stack";
}

/** Every string held in a secret (inputs and stack outputs) plus the secrets the mocks generated. */
function secretStrings(c: Capture): string[] {
    const out = [...c.generatedSecrets];
    const walk = (v: unknown, secret: boolean) => {
        if (captureLib().isSecretValue(v)) return walk(v.value, true);
        if (typeof v === "string") {
            if (secret && v.length >= 16) out.push(v);
        } else if (Array.isArray(v)) v.forEach((x) => walk(x, secret));
        else if (typeof v === "object" && v !== null) Object.values(v).forEach((x) => walk(x, secret));
    };
    for (const r of c.resources) {
        walk(r.inputs, false);
        walk(r.state, false);
        for (const k of r.additionalSecretOutputs) walk(r.state[k], true);
    }
    for (const k of c.secretOutputs) walk(c.outputs[k], true);
    return out;
}

export async function runAudit(o: AuditOptions): Promise<AuditResult> {
    const stack = o.stack ?? defaultStackName(o.configFile);
    let file;
    try {
        // a regular file of bounded size, decoded like the CLI does; errors name file:line:column, never its text
        file = stackConfig().readStackFile(o.configFile);
    } catch (e) {
        if (e instanceof stackConfig().StackFileError) throw new AuditInputError(e.message);
        throw e;
    }
    const stackFileText = file.text;
    const pack = packIdentity();
    let config: ReconciledConfig;
    try {
        const { readPolicyConfigFile, reconcilePolicyConfig } = policyConfig();
        config = reconcilePolicyConfig(thePack().policies, o.policyConfigFile ? readPolicyConfigFile(o.policyConfigFile) : {}, o.policyConfigFile);
    } catch (e) {
        if (e instanceof policyConfig().PolicyConfigError) throw new AuditInputError(e.message);
        throw e;
    }
    // Encrypted values cannot be read offline; the program only passes them on as secrets, so a placeholder will do.
    const secrets: Record<string, string> = {};
    for (const k of file.secureKeys) secrets[k] = o.secrets?.[k] ?? `(secure value of ${k}, not decrypted by the audit)`;
    let capture: Capture;
    try {
        // Hosts that use the SSH agent need one to exist (lib/config.ts); nothing connects, so any socket path will do.
        const sshAgentSocket = process.env.SSH_AUTH_SOCK || "/nonexistent/ssh-agent.sock";
        // @pulumi/pulumi records `new Error().stack` for every promise it makes (runtime/debuggable.ts), and ts-node's
        // source-map-support maps every frame of it: most of the capture's time on a large stack. No stack traces
        // during the capture (a ConfigError keeps its message; the audit prints messages, not stacks).
        const limit = Error.stackTraceLimit;
        Error.stackTraceLimit = o.stackTraces ? limit : 0;
        try {
            capture = await captureLib().captureProgram({ raw: file.raw, secrets, stack, preview: o.preview ?? false, sshAgentSocket });
        } finally {
            Error.stackTraceLimit = limit;
        }
    } catch (e) {
        if (e instanceof ConfigError) throw new AuditInputError(`${stackConfig().showPath(o.configFile)}: ${e.message}`);
        throw e;
    }
    o.inspect?.(capture);
    const { analyzedResources, evaluate, PolicyRunError } = evaluation();
    const resources = analyzedResources(capture, { stack, project: PROJECT, preview: o.preview });
    let violations;
    try {
        violations = await evaluate(resources, thePack().policies, config, pack);
    } catch (e) {
        const cause = e instanceof PolicyRunError ? e.cause : e;
        if (cause instanceof settings().SettingsError) throw new AuditInputError(cause.message);
        throw e;
    }
    const secretValues = secretStrings(capture);
    const projectRel = path.relative(PROJECT_DIR, path.resolve(o.configFile));
    return {
        stack,
        stackFile: (projectRel.startsWith("..") || path.isAbsolute(projectRel) ? path.resolve(o.configFile) : projectRel).split(path.sep).join("/"),
        stackFileText,
        preview: o.preview ?? false,
        pack: { name: pack.name, version: pack.version, path: pack.path },
        policies: thePack().catalog.map(({ policy: p, metadata }) => ({
            name: p.name,
            description: p.description,
            level: config[p.name]?.enforcementLevel ?? p.enforcementLevel ?? pack.enforcementLevel,
            severity: p.severity,
            kind: thePack().isStackPolicy(p) ? ("stack" as const) : ("resource" as const),
            metadata,
        })),
        resourceCount: resources.length,
        violations: violations.map((v) => ({ ...v, message: report().maskSecrets(v.message, secretValues), description: report().maskSecrets(v.description, secretValues) })),
        policyConfigFile: o.policyConfigFile,
    };
}

export function render(r: AuditResult, format: Format): string {
    switch (format) {
        case "json":
            return JSON.stringify(report().toJson(r), null, 2) + "\n";
        case "sarif":
            return JSON.stringify(report().toSarif(r), null, 2) + "\n";
        default:
            return report().formatText(r);
    }
}

export function exitCodeOf(r: AuditResult): number {
    return report().counts(r.violations).mandatory > 0 ? EXIT_POLICY_VIOLATION : EXIT_OK;
}

const USAGE = `usage: npm run audit -- (--stack NAME | --config FILE) [--policy-pack-config FILE] [--format text|json|sarif]
                      [--output FILE] [--preview]
  --stack NAME               audit Pulumi.NAME.yaml of the project
  --config FILE              audit any stack file (stack name from Pulumi.<stack>.yaml, else the file's name; or give --stack too)
  --policy-pack-config FILE  policy levels and settings, the CLI's --policy-pack-config format
  --format                   text (the CLI's "Policies:" section; default), json, sarif (SARIF 2.1.0)
  --output FILE              write the report to FILE instead of stdout (- = stdout)
  --preview                  evaluate as during a preview (computed outputs unknown)
relative paths are taken from the directory you run npm in
exit codes: 0 no mandatory violation, 5 mandatory violation(s), 2 bad input, 1 other error`;

export const COMMAND = {
    usage: USAGE,
    options: {
        ...cli.STACK_FILE_OPTIONS,
        ...cli.REPORT_OPTIONS,
        preview: { type: "boolean", default: false },
    },
} as const;

/** The stack file of `--stack NAME` (the project's) or `--config FILE` (from the user's directory). */
export function stackFileOf(args: { stack?: string; config?: string }): string {
    cli.requireStackOrConfig(args, USAGE);
    if (args.stack !== undefined && !cli.isStackName(args.stack)) {
        throw new cli.CliInputError(`invalid stack name ${JSON.stringify(escapeText(args.stack))}`);
    }
    if (args.config !== undefined) return cli.userPath(args.config);
    const configFile = path.join(PROJECT_DIR, `Pulumi.${args.stack}.yaml`);
    if (!fs.existsSync(configFile)) {
        const stacks = stackNames();
        throw new cli.CliInputError(
            `cannot read stack config ${escapeText(path.relative(cli.userDir(), configFile) || configFile, 300)}: ENOENT: no stack "${args.stack}"; ` +
                (stacks.length ? `the stacks here: ${stacks.join(", ")}` : `no Pulumi.<stack>.yaml in ${escapeText(PROJECT_DIR, 300)}`),
        );
    }
    return configFile;
}

export function formatOf(format: string): Format {
    return cli.formatOf(format);
}

export async function main(argv: string[]): Promise<number> {
    return cli.guard(async () => {
        const values = cli.parseOrHelp(COMMAND, argv);
        if (!values) return EXIT_OK;
        const args = values as { stack?: string; config?: string; "policy-pack-config"?: string; format: string; output?: string; preview: boolean };
        const format = formatOf(args.format);
        const configFile = stackFileOf(args);
        const output = args.output === undefined ? "-" : cli.userPath(args.output);
        cli.checkOutputFile(output);
        const policyConfigFile = args["policy-pack-config"] === undefined ? undefined : cli.userPath(args["policy-pack-config"]);
        const result = await runAudit({ configFile, stack: args.stack, policyConfigFile, preview: args.preview });
        for (const w of cli.policyLevelWarnings(result.policies, policyConfigFile && cli.shownPath(policyConfigFile))) cli.warn(w);
        cli.writeOutput(output, render(result, format));
        if (output !== "-") {
            // stdout stays empty (the report is in the file); the summary goes where messages go
            const c = report().counts(result.violations);
            process.stderr.write(`${result.stack}: ${c.mandatory} mandatory, ${c.advisory} advisory violation(s); ${format} report written to ${cli.shownPath(output)}\n`);
        }
        return exitCodeOf(result);
    }, AuditInputError);
}

if (require.main === module) cli.runMain(main);

// Verify live hosts: the policy pack over what the hosts of a stack really are, and the drift from what it declares.
//
//   npm run verify -- --stack dev                      (Pulumi.dev.yaml's hosts)
//   npm run verify -- --config my-server.yaml          (any stack file; one that only lists hosts = a hand-built server)
//   npm run -s pulumi -- stack output --stack dev --json --show-secrets | npm run verify -- --stack dev --stack-outputs -
//                                                      (the dev stack's Docker host: its keys come from the state)
//   options: --identity KEY_FILE (else the SSH agent), --known-hosts FILE (hosts without a hostKey), --ca FILE
//            (certificates trusted besides the system roots), --host NAME (repeatable), --policy-pack-config FILE,
//            --format text|json|sarif, --output FILE
//
// Exit codes: 0 clean, 3 a host unreachable (named; the others are still checked), 5 a mandatory violation, 6 drift
// without a mandatory violation, 2 bad input, 1 anything else. Arguments are checked before any heavy import.

import * as fs from "fs";
import * as path from "path";
import * as cli from "./cli";
import { MAX_STACK_OUTPUTS_BYTES } from "./verify/stack-outputs";

export const EXIT_BAD_INPUT = 2;

const USAGE = `usage: npm run verify -- (--stack NAME | --config FILE) [--stack-outputs FILE|-] [--identity KEY_FILE]
                       [--known-hosts FILE] [--ca FILE] [--host NAME]... [--policy-pack-config FILE]
                       [--format text|json|sarif] [--output FILE]
  --stack NAME               verify the hosts of Pulumi.NAME.yaml of the project
  --stack-outputs FILE|-     the stack's \`pulumi stack output --json --show-secrets\` (- = stdin): the host keys the
                             state recorded, and a Docker host's generated client key (needed for the dev stack)
  --config FILE              any stack file (stack name from Pulumi.<stack>.yaml, else the file's name); one that
                             lists only seed-web:hosts audits servers built by hand (no drift)
  --identity KEY_FILE        SSH private key (default: the SSH agent, SSH_AUTH_SOCK)
  --known-hosts FILE         known_hosts for hosts whose connection has no hostKey (default: ssh's ~/.ssh/known_hosts)
  --ca FILE                  PEM certificates trusted for the served certificates, besides the system roots
  --host NAME                only this host of the stack (repeatable)
  --policy-pack-config FILE  policy levels and settings, as for npm run audit
  --format                   text (default), json, sarif (SARIF 2.1.0)
  --output FILE              write the report to FILE instead of stdout (- = stdout)
relative paths are taken from the directory you run npm in
exit codes: 0 clean, 3 a host unreachable, 5 mandatory violation(s), 6 drift without a mandatory violation,
            2 bad input, 1 other error`;

export const COMMAND = {
    usage: USAGE,
    options: {
        stack: { type: "string" },
        config: { type: "string" },
        "stack-outputs": { type: "string" },
        identity: { type: "string" },
        "known-hosts": { type: "string" },
        ca: { type: "string" },
        host: { type: "string", multiple: true },
        "policy-pack-config": { type: "string" },
        format: { type: "string", default: "text" },
        output: { type: "string" },
    },
} as const;

function escape(s: string): string {
    return JSON.stringify(s.length > 200 ? s.slice(0, 200) + "…" : s);
}

/** A readable regular file, or the reason it is not. */
function unreadable(file: string): string | undefined {
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

/** The stack outputs' text (at most MAX_STACK_OUTPUTS_BYTES; undefined when larger): a file, or stdin (fd 0). */
function readBounded(file: string | number): string | undefined {
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
            if (size > MAX_STACK_OUTPUTS_BYTES) return undefined;
            chunks.push(Buffer.from(buf.subarray(0, n)));
        }
        return Buffer.concat(chunks).toString("utf8");
    } finally {
        if (typeof file !== "number") fs.closeSync(fd);
    }
}

interface VerifyArgs {
    stack?: string;
    config?: string;
    "stack-outputs"?: string;
    identity?: string;
    "known-hosts"?: string;
    ca?: string;
    host?: string[];
    "policy-pack-config"?: string;
    format: string;
    output?: string;
}

export async function main(argv: string[]): Promise<number> {
    let args: VerifyArgs;
    try {
        const parsed = cli.parseCommand(COMMAND, argv);
        if (parsed.help) {
            process.stdout.write(USAGE + "\n");
            return 0;
        }
        args = parsed.values as unknown as VerifyArgs;
    } catch (e) {
        if (e instanceof cli.CliInputError) return cli.fail(e.message);
        throw e;
    }
    const fail = (message: string, code = EXIT_BAD_INPUT) => cli.fail(message, code);
    const format = args.format;
    if (!["text", "json", "sarif"].includes(format)) return fail(`--format must be text, json or sarif, not ${escape(format)}`);
    if (!args.stack && !args.config) return fail(`give --stack NAME or --config FILE\n${USAGE}`);
    if (args.stack !== undefined && !/^[A-Za-z0-9_.-]{1,100}$/.test(args.stack)) return fail(`invalid stack name ${escape(args.stack)}`);
    // every path from the user's directory (npm runs the tool in the package's)
    const at = (f: string | undefined) => (f === undefined ? undefined : cli.userPath(f));
    const files = { stackOutputs: at(args["stack-outputs"]), identity: at(args.identity), knownHosts: at(args["known-hosts"]), ca: at(args.ca), policyConfig: at(args["policy-pack-config"]), config: at(args.config) };
    for (const [opt, file] of [["--stack-outputs", files.stackOutputs === "-" ? undefined : files.stackOutputs], ["--identity", files.identity], ["--known-hosts", files.knownHosts], ["--ca", files.ca], ["--policy-pack-config", files.policyConfig]] as const) {
        if (file === undefined) continue;
        const why = unreadable(file);
        if (why) return fail(`${opt} ${escape(cli.shownPath(file))}: cannot read it (${why})`);
    }
    const output = args.output === undefined ? "-" : cli.userPath(args.output);
    try {
        cli.checkOutputFile(output);
    } catch (e) {
        if (e instanceof cli.CliInputError) return fail(e.message);
        throw e;
    }
    if (!files.identity && !files.stackOutputs && !process.env.SSH_AUTH_SOCK) return fail("no --identity KEY_FILE, no --stack-outputs and no SSH agent (SSH_AUTH_SOCK is not set)");
    let stackOutputs: { text: string; where: string } | undefined;
    if (files.stackOutputs) {
        const where = `--stack-outputs ${files.stackOutputs === "-" ? "(stdin)" : escape(cli.shownPath(files.stackOutputs))}`;
        const text = readBounded(files.stackOutputs === "-" ? 0 : files.stackOutputs);
        if (text === undefined) return fail(`${where}: larger than ${MAX_STACK_OUTPUTS_BYTES} bytes: not the outputs of a seed-web stack`);
        stackOutputs = { text, where };
    }
    for (const h of args.host ?? []) if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(h)) return fail(`--host ${escape(h)}: not a host name`);

    // Heavy imports (the program, @pulumi/pulumi, the policy pack) only now.
    const { runVerify, VerifyInputError, verifyExitCode } = await import("./verify/run");
    const { renderVerify } = await import("./verify/report");
    const { PROJECT_DIR } = await import("./stack-config");
    const configFile = files.config ?? path.join(PROJECT_DIR, `Pulumi.${args.stack}.yaml`);
    let text: string;
    let code: number;
    try {
        const result = await runVerify({
            configFile,
            stack: args.stack,
            policyConfigFile: files.policyConfig,
            identity: files.identity,
            knownHosts: files.knownHosts,
            ca: files.ca ? fs.readFileSync(files.ca, "utf8") : undefined,
            hosts: args.host,
            stackOutputs,
        });
        for (const w of cli.policyLevelWarnings(result.offline.policies, files.policyConfig && cli.shownPath(files.policyConfig))) cli.warn(w);
        text = renderVerify(result, format as "text" | "json" | "sarif");
        code = verifyExitCode(result);
    } catch (e) {
        if (e instanceof VerifyInputError) return fail(e.message);
        return fail(`${(e as Error).stack ?? String(e)}`, 1);
    }
    try {
        cli.writeOutput(output, text);
    } catch (e) {
        // the run is not lost: the report goes to stdout instead
        process.stdout.write(text);
        return fail(`${(e as Error).message}; the report is on stdout instead`);
    }
    return code;
}

if (require.main === module) cli.runMain(main);

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

export { EXIT_BAD_INPUT } from "./cli";

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
        ...cli.STACK_FILE_OPTIONS,
        "stack-outputs": { type: "string" },
        identity: { type: "string" },
        "known-hosts": { type: "string" },
        ca: { type: "string" },
        host: { type: "string", multiple: true },
        ...cli.REPORT_OPTIONS,
    },
} as const;

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

interface Checked {
    args: VerifyArgs;
    format: cli.Format;
    /** The paths given, from the user's directory. */
    files: { stackOutputs?: string; identity?: string; knownHosts?: string; ca?: string; policyConfig?: string; config?: string };
    output: string;
    stackOutputs?: { text: string; where: string };
}

/** The arguments, checked before any heavy import (a CliInputError says what is wrong); undefined after --help. */
function checkArgs(argv: string[]): Checked | undefined {
    const values = cli.parseOrHelp(COMMAND, argv);
    if (!values) return undefined;
    const args = values as unknown as VerifyArgs;
    const format = cli.formatOf(args.format, cli.quoted);
    cli.requireStackOrConfig(args, USAGE);
    if (args.stack !== undefined && !cli.STACK_NAME.test(args.stack)) throw new cli.CliInputError(`invalid stack name ${cli.quoted(args.stack)}`);
    // every path from the user's directory (npm runs the tool in the package's)
    const at = (f: string | undefined) => (f === undefined ? undefined : cli.userPath(f));
    const files = { stackOutputs: at(args["stack-outputs"]), identity: at(args.identity), knownHosts: at(args["known-hosts"]), ca: at(args.ca), policyConfig: at(args["policy-pack-config"]), config: at(args.config) };
    for (const [opt, file] of [["--stack-outputs", files.stackOutputs === "-" ? undefined : files.stackOutputs], ["--identity", files.identity], ["--known-hosts", files.knownHosts], ["--ca", files.ca], ["--policy-pack-config", files.policyConfig]] as const) {
        if (file !== undefined) cli.checkInputFile(file, opt);
    }
    const output = args.output === undefined ? "-" : cli.userPath(args.output);
    cli.checkOutputFile(output);
    if (!files.identity && !files.stackOutputs && !process.env.SSH_AUTH_SOCK) throw new cli.CliInputError("no --identity KEY_FILE, no --stack-outputs and no SSH agent (SSH_AUTH_SOCK is not set)");
    let stackOutputs: { text: string; where: string } | undefined;
    if (files.stackOutputs) {
        const where = `--stack-outputs ${files.stackOutputs === "-" ? "(stdin)" : cli.quoted(cli.shownPath(files.stackOutputs))}`;
        const text = cli.readBounded(files.stackOutputs === "-" ? 0 : files.stackOutputs, MAX_STACK_OUTPUTS_BYTES);
        if (text === undefined) throw new cli.CliInputError(`${where}: larger than ${MAX_STACK_OUTPUTS_BYTES} bytes: not the outputs of a seed-web stack`);
        stackOutputs = { text, where };
    }
    for (const h of args.host ?? []) if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(h)) throw new cli.CliInputError(`--host ${cli.quoted(h)}: not a host name`);
    return { args, format, files, output, stackOutputs };
}

export async function main(argv: string[]): Promise<number> {
    let checked: Checked | undefined;
    try {
        checked = checkArgs(argv);
    } catch (e) {
        if (e instanceof cli.CliInputError) return cli.fail(e.message);
        throw e;
    }
    if (!checked) return cli.EXIT_OK;
    const { args, format, files, output, stackOutputs } = checked;

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
        text = renderVerify(result, format);
        code = verifyExitCode(result);
    } catch (e) {
        if (e instanceof VerifyInputError) return cli.fail(e.message);
        return cli.fail(`${(e as Error).stack ?? String(e)}`, cli.EXIT_ERROR);
    }
    try {
        cli.writeOutput(output, text);
    } catch (e) {
        // the run is not lost: the report goes to stdout instead
        process.stdout.write(text);
        return cli.fail(`${(e as Error).message}; the report is on stdout instead`);
    }
    return code;
}

if (require.main === module) cli.runMain(main);

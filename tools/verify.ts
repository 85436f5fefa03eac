// Verify live hosts: the policy pack over what the hosts of a stack really are, and the drift from what it declares.
//
//   npm run verify -- --stack dev                      (Pulumi.dev.yaml's hosts)
//   npm run verify -- --config my-server.yaml          (any stack file; one that only lists hosts = a hand-built server)
//   options: --identity KEY_FILE (else the SSH agent), --known-hosts FILE (hosts without a hostKey), --ca FILE
//            (certificates trusted besides the system roots), --host NAME (repeatable), --policy-pack-config FILE,
//            --format text|json|sarif, --output FILE
//
// Exit codes: 0 clean, 3 a host unreachable (named; the others are still checked), 5 a mandatory violation, 6 drift
// without a mandatory violation, 2 bad input, 1 anything else. Arguments are checked before any heavy import.

import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";

export const EXIT_BAD_INPUT = 2;

const USAGE = `usage: npm run verify -- (--stack NAME | --config FILE) [--identity KEY_FILE] [--known-hosts FILE] [--ca FILE]
                       [--host NAME]... [--policy-pack-config FILE] [--format text|json|sarif] [--output FILE]
  --stack NAME               verify the hosts of Pulumi.NAME.yaml of the project
  --config FILE              any stack file; one that lists only seed-web:hosts audits servers built by hand (no drift)
  --identity KEY_FILE        SSH private key (default: the SSH agent, SSH_AUTH_SOCK)
  --known-hosts FILE         known_hosts for hosts whose connection has no hostKey (default: ssh's ~/.ssh/known_hosts)
  --ca FILE                  PEM certificates trusted for the served certificates, besides the system roots
  --host NAME                only this host of the stack (repeatable)
  --policy-pack-config FILE  policy levels and settings, as for npm run audit
  --format                   text (default), json, sarif (SARIF 2.1.0)
  --output FILE              write the report to FILE instead of stdout
exit codes: 0 clean, 3 a host unreachable, 5 mandatory violation(s), 6 drift without a mandatory violation,
            2 bad input, 1 other error`;

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

export async function main(argv: string[]): Promise<number> {
    let args;
    try {
        args = parseArgs({
            args: argv,
            strict: true,
            allowPositionals: false,
            options: {
                stack: { type: "string" },
                config: { type: "string" },
                identity: { type: "string" },
                "known-hosts": { type: "string" },
                ca: { type: "string" },
                host: { type: "string", multiple: true },
                "policy-pack-config": { type: "string" },
                format: { type: "string", default: "text" },
                output: { type: "string" },
                help: { type: "boolean", short: "h", default: false },
            },
        }).values;
    } catch (e) {
        process.stderr.write(`error: ${(e as Error).message.slice(0, 300)}\n${USAGE}\n`);
        return EXIT_BAD_INPUT;
    }
    if (args.help) {
        process.stdout.write(USAGE + "\n");
        return 0;
    }
    const fail = (message: string, code = EXIT_BAD_INPUT) => {
        process.stderr.write(`error: ${message}\n`);
        return code;
    };
    const format = args.format as string;
    if (!["text", "json", "sarif"].includes(format)) return fail(`--format must be text, json or sarif, not ${escape(format)}`);
    if (!args.stack && !args.config) return fail(`give --stack NAME or --config FILE\n${USAGE}`);
    if (args.stack !== undefined && !/^[A-Za-z0-9_.-]{1,100}$/.test(args.stack)) return fail(`invalid stack name ${escape(args.stack)}`);
    for (const [opt, file] of [["--identity", args.identity], ["--known-hosts", args["known-hosts"]], ["--ca", args.ca], ["--policy-pack-config", args["policy-pack-config"]]] as const) {
        if (file === undefined) continue;
        const why = unreadable(file);
        if (why) return fail(`${opt} ${escape(file)}: cannot read it (${why})`);
    }
    if (!args.identity && !process.env.SSH_AUTH_SOCK) return fail("no --identity KEY_FILE and no SSH agent (SSH_AUTH_SOCK is not set)");
    for (const h of args.host ?? []) if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(h)) return fail(`--host ${escape(h)}: not a host name`);

    // Heavy imports (the program, @pulumi/pulumi, the policy pack) only now.
    const { runVerify, VerifyInputError, verifyExitCode } = await import("./verify/run");
    const { renderVerify } = await import("./verify/report");
    const { PROJECT_DIR } = await import("./stack-config");
    const configFile = args.config ?? path.join(PROJECT_DIR, `Pulumi.${args.stack}.yaml`);
    try {
        const result = await runVerify({
            configFile,
            stack: args.stack,
            policyConfigFile: args["policy-pack-config"],
            identity: args.identity,
            knownHosts: args["known-hosts"],
            ca: args.ca ? fs.readFileSync(args.ca, "utf8") : undefined,
            hosts: args.host,
        });
        const text = renderVerify(result, format as "text" | "json" | "sarif");
        if (args.output) fs.writeFileSync(args.output, text);
        else process.stdout.write(text);
        return verifyExitCode(result);
    } catch (e) {
        if (e instanceof VerifyInputError) return fail(e.message);
        return fail(`${(e as Error).stack ?? String(e)}`, 1);
    }
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.stdout.write("", () => process.exit(code)),
        (e) => {
            process.stderr.write(`error: ${(e as Error).stack ?? String(e)}\n`);
            process.exit(1);
        },
    );
}

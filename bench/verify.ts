// Benchmark of one host's pass of `npm run verify` (npm run bench:verify -- --config FILE --identity KEY):
// the probe script in one ssh session, and the runner's probes (ports, a TLS handshake per version, the redirect) in
// parallel with it, then the observed facts — what tools/verify/run.ts does per host, without the offline capture
// that runs once per stack. Goal: ≤ 2 s per host on a test host (test/e2e/hosts.sh).
//
// Options: --runs N (default 5), --host NAME (default: every host of the file, in parallel, as verify does),
//          --strict (exit 1 when the goal is missed).

import * as fs from "fs";
import { BACKUP_DIR, NODE_EXPORTER_PORT, STATUS_PORT } from "@seed-web/facts";
import { loadConfig } from "../lib/config";
import * as cli from "../tools/cli";
import { readStackFile } from "../tools/stack-config";
import { HostTarget, observeHost, parseSections } from "../tools/verify/observe";
import { runnerProbe, sshProbe } from "../tools/verify/probe";

const GOAL_MS = 2000;

const USAGE = `usage: npm run bench:verify -- --config STACK_FILE --identity KEY_FILE [--runs N] [--host NAME]... [--strict]
  --config FILE      the stack file of the hosts to measure
  --identity FILE    the SSH private key
  --runs N           passes per host (default 5)
  --host NAME        only this host (repeatable; default every host, in parallel)
  --strict           exit 1 when the goal is missed
relative paths are taken from the directory you run npm in
exit codes: 0 measured, 1 goal missed (--strict) or failed, 2 bad arguments`;

async function main(argv: string[]): Promise<number> {
    const parsed = cli.parseCommand(
        {
            usage: USAGE,
            options: {
                config: { type: "string" },
                identity: { type: "string" },
                runs: { type: "string", default: "5" },
                host: { type: "string", multiple: true },
                strict: { type: "boolean", default: false },
            },
        },
        argv,
    );
    if (parsed.help) {
        process.stdout.write(USAGE + "\n");
        return 0;
    }
    const values = parsed.values as { config?: string; identity?: string; runs: string; host?: string[]; strict: boolean };
    if (!values.config || !values.identity) throw new cli.CliInputError(`give --config STACK_FILE and --identity KEY_FILE\n${USAGE}`);
    if (!/^[1-9][0-9]{0,2}$/.test(values.runs)) throw new cli.CliInputError(`--runs must be a number from 1 to 999`);
    values.config = cli.userPath(values.config);
    values.identity = cli.userPath(values.identity);
    if (!fs.existsSync(values.identity)) throw new cli.CliInputError(`--identity ${cli.shownPath(values.identity)}: no such file`);
    if (!fs.existsSync(values.config)) throw new cli.CliInputError(`--config ${cli.shownPath(values.config)}: no such file`);
    const { raw } = readStackFile(values.config);
    const config = loadConfig(raw, { hasSshAgent: true });
    const hosts: HostTarget[] = config.hosts
        .filter((h) => !values.host || values.host.includes(h.name))
        .map((h) => {
            if (h.connection.type !== "ssh") throw new Error(`${h.name}: only ssh hosts are benchmarked`);
            const c = h.connection;
            return { name: h.name, roles: h.roles, address: c.address, port: c.port, user: c.user, privateAddress: c.privateAddress, ...(c.hostKey ? { hostKey: c.hostKey } : {}) };
        });
    const runs = Number(values.runs);
    const times = new Map<string, number[]>(hosts.map((h) => [h.name, []]));
    for (let i = 0; i < runs; i++) {
        await Promise.all(
            hosts.map(async (h) => {
                const t0 = process.hrtime.bigint();
                const [text, runner] = await Promise.all([
                    sshProbe(h, { identity: values.identity }),
                    runnerProbe(h.address, config.domain, { ports: [config.db.port, NODE_EXPORTER_PORT, STATUS_PORT] }),
                ]);
                observeHost(h, { sections: parseSections(text), runner }, { hosts, backupDir: BACKUP_DIR });
                times.get(h.name)!.push(Number(process.hrtime.bigint() - t0) / 1e6);
            }),
        );
    }
    let worst = 0;
    for (const [name, ts] of times) {
        const sorted = [...ts].sort((a, b) => a - b);
        const median = sorted[Math.floor(sorted.length / 2)];
        worst = Math.max(worst, sorted[sorted.length - 1]);
        process.stdout.write(`${name}: ${runs} passes, median ${median.toFixed(0)} ms, min ${sorted[0].toFixed(0)} ms, max ${sorted[sorted.length - 1].toFixed(0)} ms\n`);
    }
    process.stdout.write(`goal: one host's pass ≤ ${GOAL_MS} ms — ${worst <= GOAL_MS ? "met" : "MISSED"} (worst ${worst.toFixed(0)} ms, ${hosts.length} host(s) in parallel)\n`);
    return values.strict && worst > GOAL_MS ? 1 : 0;
}

if (require.main === module) cli.runMain(main);

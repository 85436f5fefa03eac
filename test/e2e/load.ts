// Load while something happens (a deploy): a constant-rate stream of GETs and POSTs that write a row (autocannon,
// overallRate), slow requests in flight, and what every response said. Used by the deploy e2e suite (counts) and by
// bench/deploy.ts (rates and latencies). Traffic goes to the test hosts' addresses only (the test bridge).
import { ChildProcess, fork } from "child_process";
import * as path from "path";
import type { RunResult, RunSpec } from "./load-worker";

export interface SlowAnswer {
    status: number;
    release?: string;
    error?: string;
}

export interface LoadOptions {
    /** Where the load goes: the address of the balancer or the one server (port 80), or ADDRESS:PORT. */
    target: string;
    host: string;
    /** Requests per second, GETs and POSTs alternating. */
    rate: number;
    /** Slow requests started right before the action (each resolves with what it was answered). */
    slow?: () => Promise<SlowAnswer>[];
    /** Seconds of idle load measured first (the idle p99). */
    idleSeconds?: number;
    /** The load lasts at least this long (s), the action done or not. */
    minSeconds?: number;
}

export interface LoadReport {
    requests: number;
    /** non-2xx + socket errors + timeouts */
    failed: number;
    failures: { status: number; body: string }[];
    p99: number;
    idleP99: number;
    /** Responses whose X-Release (nginx: the release PHP ran in) differs from the application's own X-App-Release. */
    mixed: number;
    /** POSTs answered 2xx: rows the application acknowledged. */
    posts: number;
    releasesSeen: string[];
    slow: SlowAnswer[];
    seconds: number;
}

/** autocannon in a child process (test/e2e/load-worker.ts): `stop()` ends it early, `result` is what it measured. */
function run(opts: LoadOptions, seconds: number): { stop(): void; result: Promise<RunResult> } {
    const worker = path.join(__dirname, "load-worker");
    const ts = __filename.endsWith(".ts");
    const child: ChildProcess = fork(ts ? `${worker}.ts` : `${worker}.js`, [], { execArgv: ts ? ["-r", "ts-node/register/transpile-only"] : [], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    const result = new Promise<RunResult>((resolve, reject) => {
        child.on("message", (m: { result?: RunResult }) => m.result && resolve(m.result));
        child.on("exit", (code) => reject(new Error(`the load generator exited (${code}) without a result`)));
    });
    const spec: RunSpec = { target: opts.target, host: opts.host, rate: opts.rate, seconds };
    child.send({ run: spec });
    return { stop: () => child.connected && child.send("stop"), result };
}

/** Idle p99 first; then the load, slow requests, the action; the load stops 3 s after the action. */
export async function withLoad(opts: LoadOptions, action: () => Promise<void>): Promise<LoadReport> {
    const idle = await run(opts, opts.idleSeconds ?? 5).result;
    const t0 = Date.now();
    const load = run(opts, 3600);
    await new Promise((r) => setTimeout(r, 1000));
    const slow = opts.slow ? opts.slow() : [];
    await new Promise((r) => setTimeout(r, 500));
    let failure: unknown;
    try {
        await action();
    } catch (e) {
        failure = e;
    }
    const slowAnswers = await Promise.all(slow);
    await new Promise((r) => setTimeout(r, Math.max(3000, (opts.minSeconds ?? 0) * 1000 - (Date.now() - t0))));
    load.stop();
    const r = await load.result;
    if (failure !== undefined) throw Object.assign(failure as object, { load: r });
    return {
        requests: r.requests,
        failed: r.failed,
        failures: r.failures,
        p99: r.p99,
        idleP99: idle.p99,
        mixed: r.mixed,
        posts: r.posts,
        releasesSeen: r.releases,
        slow: slowAnswers,
        seconds: (Date.now() - t0) / 1000,
    };
}

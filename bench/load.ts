// The load generators the benchmarks share (bench:serve, bench:scale): Debian's wrk for throughput, and an open-loop
// generator of this file's own for latency at a constant rate (one request every 1/rate s, whatever the answers: no
// coordinated omission), counting 503s with and without Retry-After, other statuses and socket errors apart.
// All traffic goes to the test hosts on the bridge (10.200.0.0/24), with the site's Host header, port 80.
import { execFile } from "child_process";
import * as fs from "fs";
import * as http from "http";

export const WWW = "www.foobar.com";
/** wrk's connections: the same in every run of every benchmark. */
export const CONNECTIONS = 64;
const MAX_SOCKETS = 1000;
/** What one Node process on a shared 2-core runner sends on time: constant rates above it are capped (and said so). */
export const MAX_RATE = 600;

/** wrk is there (Debian's package), or a message saying how to get it. */
export async function haveWrk(): Promise<string | undefined> {
    try {
        await run("wrk", ["--version"], 10_000);
    } catch (e) {
        if (/ENOENT/.test((e as Error).message)) return "needs Debian's wrk on this machine: apt-get install wrk";
    }
    return undefined;
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The runner, named in every benchmark's output: CPUs, memory, kernel. */
export async function machine(): Promise<string> {
    const mem = Math.round(Number(/MemTotal:\s+(\d+)/.exec(fs.readFileSync("/proc/meminfo", "utf8"))?.[1]) / 1024);
    return `${(await run("nproc", [], 5000)).trim()} CPUs, ${mem} MB, ${(await run("uname", ["-r"], 5000)).trim()}`;
}

export interface WrkResult { rps: number; p99ms: number; non2xx: number; errors: number }

export function run(cmd: string, args: string[], timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) =>
        execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, out, stderr) => (err ? reject(new Error(`${cmd}: ${err.message}\n${stderr}`)) : resolve(out))),
    );
}

const ms = (v: string, unit: string) => Number(v) * ({ us: 0.001, ms: 1, s: 1000, m: 60000 }[unit] ?? NaN);

export async function wrk(ip: string, path: string, seconds: number, connections = CONNECTIONS): Promise<WrkResult> {
    const out = await run("wrk", ["-t2", `-c${connections}`, `-d${seconds}s`, "--latency", "--timeout", "30s", "-H", `Host: ${WWW}`, `http://${ip}${path}`], (seconds + 60) * 1000);
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
    const p99 = /\s99%\s+([\d.]+)(us|ms|s|m)/.exec(out);
    const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
    const e = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
    if (!Number.isFinite(rps) || !p99) throw new Error(`wrk output not understood:\n${out}`);
    return { rps, p99ms: ms(p99[1], p99[2]), non2xx, errors: e ? e.slice(1).reduce((s, n) => s + Number(n), 0) : 0 };
}

/** The median run of each measure (req/s, p99), and the runs' non-2xx answers and socket errors added. */
export function medianRun(runs: WrkResult[]): WrkResult {
    return {
        rps: median(runs.map((x) => x.rps)),
        p99ms: median(runs.map((x) => x.p99ms)),
        non2xx: runs.reduce((a, x) => a + x.non2xx, 0),
        errors: runs.reduce((a, x) => a + x.errors, 0),
    };
}

/** A wrk result on one line: req/s, p99, and the bad answers if any. */
export const formatWrk = (w: WrkResult) =>
    `${w.rps.toFixed(0).padStart(6)}/s p99 ${w.p99ms.toFixed(1).padStart(6)} ms${w.non2xx + w.errors ? ` (${w.non2xx} non-2xx, ${w.errors} errors)` : ""}`;

/**
 * The program's req/s at an equal or lower p99 than the default's (issue 21's ratio): `program` as measured at the same
 * connections when its p99 is no higher; else measured again (`measure(connections)`, a median) with fewer connections,
 * in proportion to the p99s and 5 % under, at least 8, at most twice. At saturation a closed loop's latency grows with
 * its connections and its req/s does not. Each remeasure is passed to `seen`; the last one is returned (its p99 may
 * still be the higher: the caller says so).
 */
export async function atEqualP99(
    dflt: WrkResult,
    program: WrkResult,
    measure: (connections: number) => Promise<WrkResult>,
    seen: (connections: number, w: WrkResult) => void = () => undefined,
    connections = CONNECTIONS,
): Promise<WrkResult> {
    let g = program;
    for (let attempt = 0, c = connections; attempt < 2 && g.p99ms > dflt.p99ms && c > 8; attempt++) {
        c = Math.max(8, Math.floor(((c * dflt.p99ms) / g.p99ms) * 0.95));
        g = await measure(c);
        seen(c, g);
    }
    return g;
}

export interface RateResult { sent: number; ok: number; busy: number; busyWithoutRetryAfter: number; bad: number; errors: Map<string, number>; p99ms: number; bodies: Set<string>; latencies: number[] }

/** Open-loop load: `rate` requests a second for `seconds`, each sent on time whatever the earlier ones did. */
export async function constantRate(ip: string, path: string, rate: number, seconds: number): Promise<RateResult> {
    // at most MAX_SOCKETS connections at once (a client's file descriptors are finite): a request due while they are
    // all busy waits for one, and its latency counts from when it was due (no coordinated omission)
    const agent = new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS });
    const r: RateResult = { sent: 0, ok: 0, busy: 0, busyWithoutRetryAfter: 0, bad: 0, errors: new Map(), p99ms: 0, bodies: new Set(), latencies: [] };
    const lat: number[] = [];
    const pending: Promise<void>[] = [];
    const start = process.hrtime.bigint();
    const total = Math.round(rate * seconds);
    const one = () =>
        new Promise<void>((resolve) => {
            const t0 = start + BigInt(Math.round((r.sent / rate) * 1e9));
            const req = http.get({ host: ip, port: 80, path, headers: { Host: WWW }, agent, timeout: 30_000 }, (res) => {
                let body = "";
                res.on("data", (c: Buffer) => {
                    if (body.length < 200) body += c.toString();
                });
                res.on("end", () => {
                    const status = res.statusCode ?? 0;
                    if (status === 200) {
                        r.ok++;
                        lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
                    } else if (status === 503) {
                        r.busy++;
                        if (!res.headers["retry-after"]) r.busyWithoutRetryAfter++;
                    } else {
                        r.bad++;
                        if (r.bodies.size < 5) r.bodies.add(`${status}: ${body.trim().slice(0, 160)}`);
                        r.errors.set(`HTTP ${status}`, (r.errors.get(`HTTP ${status}`) ?? 0) + 1);
                    }
                    resolve();
                });
            });
            req.on("timeout", () => req.destroy(Object.assign(new Error("timeout"), { code: "TIMEOUT" })));
            req.on("error", (e: NodeJS.ErrnoException) => {
                r.bad++;
                const k = e.code ?? e.message;
                r.errors.set(k, (r.errors.get(k) ?? 0) + 1);
                resolve();
            });
        });
    while (r.sent < total) {
        const due = Number(process.hrtime.bigint() - start) / 1e9;
        const target = Math.min(total, Math.floor(due * rate) + 1);
        while (r.sent < target) {
            pending.push(one());
            r.sent++;
        }
        await new Promise((res) => setTimeout(res, 2));
    }
    await Promise.all(pending);
    agent.destroy();
    r.latencies = lat;
    r.p99ms = p99(lat);
    return r;
}

export function oomKills(): number {
    const m = /^oom_kill (\d+)$/m.exec(fs.readFileSync("/proc/vmstat", "utf8"));
    return m ? Number(m[1]) : 0;
}

function p99(latencies: number[]): number {
    const lat = [...latencies].sort((a, b) => a - b);
    return lat.length ? lat[Math.min(lat.length - 1, Math.floor(lat.length * 0.99))] : NaN;
}

/**
 * constantRate at any rate: above MAX_RATE, the rate split over as many processes (this file, run with --worker) as
 * it takes for each to send at most MAX_RATE a second on time; their counts added, the p99 of all their latencies.
 */
export async function constantRateSplit(ip: string, path: string, rate: number, seconds: number): Promise<RateResult> {
    const n = Math.ceil(rate / MAX_RATE);
    if (n === 1) return constantRate(ip, path, rate, seconds);
    const parts = await Promise.all(
        Array.from({ length: n }, () =>
            run(process.execPath, [__filename, "--worker", ip, path, String(rate / n), String(seconds)], (seconds + 120) * 1000).then((out) => {
                const o = JSON.parse(out) as Omit<RateResult, "errors" | "bodies"> & { errors: [string, number][]; bodies: string[] };
                return { ...o, errors: new Map(o.errors), bodies: new Set(o.bodies) } as RateResult;
            }),
        ),
    );
    const sum = (k: "sent" | "ok" | "busy" | "busyWithoutRetryAfter" | "bad") => parts.reduce((a, x) => a + x[k], 0);
    const errors = new Map<string, number>();
    for (const x of parts) for (const [k, v] of x.errors) errors.set(k, (errors.get(k) ?? 0) + v);
    const latencies = parts.flatMap((x) => x.latencies);
    return {
        sent: sum("sent"), ok: sum("ok"), busy: sum("busy"), busyWithoutRetryAfter: sum("busyWithoutRetryAfter"), bad: sum("bad"),
        errors, bodies: new Set(parts.flatMap((x) => [...x.bodies]).slice(0, 5)), latencies, p99ms: p99(latencies),
    };
}

// one share of constantRateSplit: `node load.js --worker IP PATH RATE SECONDS`, the result as JSON on stdout
if (require.main === module && process.argv[2] === "--worker") {
    const [ip, path, rate, seconds] = process.argv.slice(3);
    if (!/^10\.200\.0\.\d{1,3}$/.test(ip)) throw new Error(`--worker: ${ip} is not a test host's address (10.200.0.0/24)`);
    void constantRate(ip, path, Number(rate), Number(seconds)).then((r) =>
        process.stdout.write(JSON.stringify({ ...r, errors: [...r.errors], bodies: [...r.bodies] })),
    );
}

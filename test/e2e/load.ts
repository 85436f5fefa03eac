// Load while something happens (a deploy): a constant-rate stream of GETs and POSTs that write a row (autocannon,
// overallRate), slow requests in flight, and what every response said. Used by the deploy e2e suite (counts) and by
// bench/deploy.ts (rates and latencies). Traffic goes to the test hosts' addresses only (the test bridge).
// eslint-disable-next-line @typescript-eslint/no-var-requires
const autocannon = require("autocannon") as (opts: Record<string, unknown>) => AutocannonInstance;

interface AutocannonResult {
    requests: { total: number };
    latency: { p99: number };
    non2xx: number;
    errors: number;
    timeouts: number;
    "2xx": number;
}
interface AutocannonInstance extends PromiseLike<AutocannonResult> {
    stop(): void;
}

export interface SlowAnswer {
    status: number;
    release?: string;
    error?: string;
}

export interface LoadOptions {
    /** The address the load goes to (the balancer, or the one server), port 80. */
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

function run(opts: LoadOptions, seconds: number, seen: { mixed: number; posts: number; releases: Set<string>; failures: { status: number; body: string }[] }): AutocannonInstance {
    const check = (method: string) => (status: number, body: string, _context: unknown, headers: Record<string, string>) => {
        const h = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
        if (status < 200 || status > 299) {
            if (seen.failures.length < 50) seen.failures.push({ status, body: String(body).slice(0, 200) });
            return;
        }
        if (h["x-release"] !== h["x-app-release"]) seen.mixed++;
        if (h["x-app-release"]) seen.releases.add(h["x-app-release"]);
        if (method === "POST") seen.posts++;
    };
    return autocannon({
        url: `http://${opts.target}:80`,
        connections: 10,
        overallRate: opts.rate,
        duration: seconds,
        timeout: 30,
        headers: { host: opts.host },
        requests: [
            { method: "GET", path: "/", onResponse: check("GET") },
            { method: "POST", path: "/", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "row=1", onResponse: check("POST") },
        ],
    });
}

/** Idle p99 first; then the load, slow requests, the action; the load stops 3 s after the action. */
export async function withLoad(opts: LoadOptions, action: () => Promise<void>): Promise<LoadReport> {
    const idleSeen = { mixed: 0, posts: 0, releases: new Set<string>(), failures: [] as { status: number; body: string }[] };
    const idle = await run(opts, opts.idleSeconds ?? 5, idleSeen);
    const seen = { mixed: 0, posts: 0, releases: new Set<string>(), failures: [] as { status: number; body: string }[] };
    const t0 = Date.now();
    const instance = run(opts, 3600, seen);
    const result = new Promise<AutocannonResult>((resolve) => instance.then(resolve));
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
    instance.stop();
    const r = await result;
    if (failure !== undefined) throw Object.assign(failure as object, { load: r });
    return {
        requests: r.requests.total,
        failed: r.non2xx + r.errors + r.timeouts,
        failures: seen.failures,
        p99: r.latency.p99,
        idleP99: idle === undefined ? 0 : (await idle).latency.p99,
        mixed: seen.mixed,
        posts: seen.posts,
        releasesSeen: [...seen.releases],
        slow: slowAnswers,
        seconds: (Date.now() - t0) / 1000,
    };
}

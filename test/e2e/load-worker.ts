// The load generator of test/e2e/load.ts, in a process of its own: the program's captures (CPU-bound, in the
// parent's event loop) must not stall it, nor show up in its latencies. Protocol (process.send / on "message"):
// parent → { run: RunSpec }, later "stop"; child → { result } once autocannon is done, then exits.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const autocannon = require("autocannon") as (opts: Record<string, unknown>) => { stop(): void } & PromiseLike<AutocannonResult>;

interface AutocannonResult {
    requests: { total: number };
    latency: { p99: number };
    non2xx: number;
    errors: number;
    timeouts: number;
}

export interface RunSpec {
    target: string;
    host: string;
    rate: number;
    seconds: number;
}

export interface RunResult {
    requests: number;
    failed: number;
    p99: number;
    mixed: number;
    posts: number;
    releases: string[];
    failures: { status: number; body: string }[];
}

process.on("message", (msg: { run?: RunSpec } | "stop") => {
    if (msg === "stop") {
        instance?.stop();
        return;
    }
    if (msg.run) start(msg.run);
});

let instance: ({ stop(): void } & PromiseLike<AutocannonResult>) | undefined;

function start(spec: RunSpec): void {
    const seen = { mixed: 0, posts: 0, releases: new Set<string>(), failures: [] as { status: number; body: string }[] };
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
    instance = autocannon({
        url: `http://${spec.target}`,
        connections: 10,
        overallRate: spec.rate,
        duration: spec.seconds,
        timeout: 30,
        headers: { host: spec.host },
        requests: [
            { method: "GET", path: "/", onResponse: check("GET") },
            { method: "POST", path: "/", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "row=1", onResponse: check("POST") },
        ],
    });
    instance.then((r) => {
        const result: RunResult = {
            requests: r.requests.total,
            failed: r.non2xx + r.errors + r.timeouts,
            p99: r.latency.p99,
            mixed: seen.mixed,
            posts: seen.posts,
            releases: [...seen.releases],
            failures: seen.failures,
        };
        process.send!({ result }, () => process.exit(0));
    });
}

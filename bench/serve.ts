// Benchmark: how fast the server the program builds serves, and how it holds under overload, as ratios to a default
// install of the same packages measured in the same run (issue 21).
//   npm run bench:serve                 (Linux, root, Debian's wrk on the runner; boots twin hosts sv2-a/sv2-b, ~6 min)
// Twin warm Debian 12 hosts: sv2-a built by the program (web, app, db on one host), sv2-b by a person from the same
// packages with their defaults (Debian's default site with its PHP block uncommented, a pool of 5). Three pages on
// each: a static file, a CPU-bound PHP page, a PHP page with a 20 ms database query (SELECT SLEEP(0.02)).
// (1) throughput: wrk, the same connections on both, req/s and p99 -> ratio program ÷ default at an equal or lower p99
//     (where the program's p99 is the higher, its req/s again with fewer connections, until it is not);
// (2) latency at a constant rate (bench/load.ts's open-loop generator: one request every 1/rate s, whatever the
//     answers): p99 of both at 80 % of the default install's saturation rate, in turns, medians;
// (3) overload: the program's host at 2× its saturation rate on the database page for --overload-seconds (60):
//     200s, 503s (each must carry Retry-After), 502/504, resets/errors, the kernel's OOM kills (/proc/vmstat oom_kill,
//     shared by every namespace), then the seconds until wrk sees 90 % of the saturation rate again.
// All traffic goes from the runner to the hosts on the test bridge (10.200.0.0/24), nowhere else.
import * as cli from "../tools/cli";
import type { TestHost } from "../test/e2e/lib";
import { atEqualP99, constantRate, constantRateSplit, CONNECTIONS, formatWrk, haveWrk, machine, MAX_RATE, median, medianRun, oomKills, RateResult, wrk, WrkResult } from "./load";

const USAGE = `usage: npm run bench:serve [-- --overload-seconds N] [-- --seconds N] [-- --help]
  boots twin warm Debian 12 hosts (sv2-a 10.200.0.112 built by the program, sv2-b 10.200.0.113 a default install of the
  same packages), loads both from this machine (Debian's wrk: apt-get install wrk), prints the ratios, destroys them
  --seconds N           each wrk and constant-rate run (default 10)
  --overload-seconds N  the overload run at 2x saturation (default 60)
exit codes: 0 measured, 1 failed, 2 bad arguments`;

const ROUNDS = 3;
/** The overload run's rate at most: 6 load processes, which on a 2-core runner take a good share of its CPUs. */
const MAX_OVERLOAD_RATE = 6 * MAX_RATE;
const PAGES = {
    static: "/bench-static.html",
    php: "/bench-cpu.php",
    db: "/bench-db.php",
} as const;
type Page = keyof typeof PAGES;

// the three pages, written into a document root (the same bytes on both hosts)
const pagesScript = (root: string) => `set -e
head -c 8192 /dev/zero | tr '\\0' 'x' >${root}/bench-static.html
cat >${root}/bench-cpu.php <<'EOF'
<?php $x = 0; for ($i = 0; $i < 100000; $i++) { $x += sqrt($i); } echo "cpu ", (int)$x, "\\n";
EOF
cat >${root}/bench-db.php <<'EOF'
<?php
try { $m = new mysqli('localhost', 'bench', '', ''); $m->query('SELECT SLEEP(0.02)'); echo "db ok\\n"; }
catch (Throwable $e) { http_response_code(500); echo "db failed: ", $e->getMessage(), "\\n"; }
EOF
chmod 0644 ${root}/bench-*
# a passwordless account with no privilege at all (SELECT SLEEP needs none), on a throwaway test host
mysql -e "CREATE USER IF NOT EXISTS 'bench'@'localhost'"`;

// what a person does by hand: the packages' defaults, Debian's default site with its PHP block enabled
const DEFAULT_SITE = `server {
	listen 80 default_server;
	listen [::]:80 default_server;
	root /var/www/html;
	index index.html index.htm index.nginx-debian.html;
	server_name _;
	location / {
		try_files $uri $uri/ =404;
	}
	location ~ \\.php$ {
		include snippets/fastcgi-php.conf;
		fastcgi_pass unix:/run/php/php8.2-fpm.sock;
	}
}`;

async function main(argv: string[]): Promise<number> {
    const parsed = cli.parseCommand({ usage: USAGE, options: { seconds: { type: "string" }, "overload-seconds": { type: "string" } } }, argv);
    if (parsed.help) {
        process.stdout.write(USAGE + "\n");
        return 0;
    }
    const num = (k: string, d: number) => {
        const v = parsed.values[k] as string | undefined;
        if (v === undefined) return d;
        if (!/^[1-9]\d{0,3}$/.test(v)) throw new cli.CliInputError(`--${k}: expected a number of seconds, not "${v}"`);
        return Number(v);
    };
    const seconds = num("seconds", 10);
    const overloadSeconds = num("overload-seconds", 60);
    const missing = await haveWrk();
    if (missing) {
        console.error(`bench:serve ${missing}`);
        return 1;
    }
    const { bootHosts, destroyHosts, onHost, planFor, apply } = await import("../test/e2e/lib");
    const prog: TestHost = { name: "sv2-a", ip: "10.200.0.112", roles: ["web", "app", "db"], rootfs: "warm" };
    const dflt: TestHost = { name: "sv2-b", ip: "10.200.0.113", roles: ["web", "app", "db"], rootfs: "warm" };
    destroyHosts([prog, dflt]);
    await bootHosts([prog, dflt]);
    try {
        // the default install: the warm rootfs holds the same packages, services not started
        await onHost(
            dflt.ip,
            `set -e; cat >/etc/nginx/sites-available/default <<'EOF'\n${DEFAULT_SITE}\nEOF\n` +
                "systemctl enable -q --now mariadb php8.2-fpm nginx; systemctl reload nginx; " + pagesScript("/var/www/html"),
        );
        const { plan } = await planFor([prog]);
        await apply(plan);
        await onHost(prog.ip, pagesScript("/var/www/foobar.com"));
        const profile = (await onHost(prog.ip, "grep -h '^pm.max_children' /etc/php/*/fpm/pool.d/www.conf")).trim();
        console.log(`runner: ${await machine()}; program's host: ${profile}; default install: pm.max_children = 5`);
        for (const h of [prog, dflt]) {
            for (const p of Object.keys(PAGES) as Page[]) {
                const a = await constantRate(h.ip, PAGES[p], 5, 1);
                if (a.ok !== 5) throw new Error(`${h.name} ${PAGES[p]}: not answering 200 (${JSON.stringify([...a.errors])})`);
            }
        }

        // (1) throughput at the same connections, then (2) latency at the same constant rate
        const ratios: Record<Page, number> = { static: 0, php: 0, db: 0 };
        const sat: Record<Page, number> = { static: 0, php: 0, db: 0 };
        console.log(`\n(1) wrk, ${CONNECTIONS} connections, ${seconds} s x ${ROUNDS} in turns (medians)   default            program           ratio`);
        for (const p of Object.keys(PAGES) as Page[]) {
            await wrk(prog.ip, PAGES[p], 2); // warm the opcache and the pools of both
            await wrk(dflt.ip, PAGES[p], 2);
            // the runner is shared: the two hosts in turns, ROUNDS times, the median of each
            const ds: WrkResult[] = [];
            const gs: WrkResult[] = [];
            for (let i = 0; i < ROUNDS; i++) {
                ds.push(await wrk(dflt.ip, PAGES[p], seconds));
                gs.push(await wrk(prog.ip, PAGES[p], seconds));
            }
            const d = medianRun(ds);
            let g = medianRun(gs);
            // program ÷ default, flagged where the program's p99 is the higher
            const vs = (w: WrkResult) => `${formatWrk(w)}  ${(w.rps / d.rps).toFixed(2)}x${w.p99ms > d.p99ms ? " (higher p99)" : ""}`;
            console.log(`  ${p.padEnd(7)} ${PAGES[p].padEnd(20)} ${formatWrk(d)}  ${vs(g)}`);
            sat[p] = g.rps;
            // the ratio is req/s at an equal or lower p99 (issue 21): where the program's p99 is the higher, its req/s
            // again with fewer connections, each ROUNDS runs, medians
            g = await atEqualP99(
                d,
                g,
                async (c) => {
                    const cs: WrkResult[] = [];
                    for (let i = 0; i < ROUNDS; i++) cs.push(await wrk(prog.ip, PAGES[p], seconds, c));
                    return medianRun(cs);
                },
                (c, w) => console.log(`  ${"".padEnd(28)} program at ${String(c).padStart(2)} connections:  ${vs(w)}`),
            );
            ratios[p] = g.rps / d.rps;
            (sat as Record<string, number>)[`${p}:default`] = d.rps;
        }
        console.log(`\n(2) constant rate (80 % of the default's saturation, at most ${MAX_RATE}/s), ${seconds} s x ${ROUNDS} in turns: median p99 of 200s  default  program`);
        for (const p of Object.keys(PAGES) as Page[]) {
            const rate = Math.min(MAX_RATE, Math.max(10, Math.round(0.8 * (sat as Record<string, number>)[`${p}:default`])));
            // in turns, like (1): a hiccup of the shared runner lands on one run of one host, not on a whole column
            const ds: RateResult[] = [];
            const gs: RateResult[] = [];
            for (let i = 0; i < ROUNDS; i++) {
                ds.push(await constantRate(dflt.ip, PAGES[p], rate, seconds));
                gs.push(await constantRate(prog.ip, PAGES[p], rate, seconds));
            }
            const p99 = (xs: RateResult[]) => median(xs.map((x) => x.p99ms));
            const bad = (xs: RateResult[]) => {
                const busy = xs.reduce((n, x) => n + x.busy, 0);
                const other = xs.reduce((n, x) => n + x.bad, 0);
                return busy + other ? ` (${busy} x 503, ${other} bad)` : "";
            };
            console.log(`  ${p.padEnd(7)} at ${String(rate).padStart(5)}/s   ${p99(ds).toFixed(1).padStart(8)} ms${bad(ds)}  ${p99(gs).toFixed(1).padStart(8)} ms${bad(gs)}   (runs: ${ds.map((x) => x.p99ms.toFixed(0)).join(", ")} / ${gs.map((x) => x.p99ms.toFixed(0)).join(", ")})`);
        }

        // (3) overload: 2x the program's saturation rate on the database page
        const rate = Math.min(MAX_OVERLOAD_RATE, Math.round(2 * sat.db));
        const oom0 = oomKills();
        const o = await constantRateSplit(prog.ip, PAGES.db, rate, overloadSeconds);
        const ooms = oomKills() - oom0;
        const stop = Date.now();
        let recoveredS = NaN;
        for (let i = 0; i < 30; i++) {
            const w = await wrk(prog.ip, PAGES.db, 1);
            if (w.rps >= 0.9 * sat.db) {
                recoveredS = (Date.now() - stop) / 1000;
                break;
            }
        }
        const bad = [...o.errors].map(([k, n]) => `${n} x ${k}`).join(", ");
        if (o.bad) {
            // what nginx said of them, while the host is still there (its messages without time, pid and client)
            const said = await onHost(prog.ip, "sed -E 's/^[0-9/]+ [0-9:]+ \\[([a-z]+)\\] [0-9#]+: (\\*[0-9]+ )?/[\\1] /; s/, client: .*//' /var/log/nginx/error.log | sort | uniq -c | sort -rn | head -5");
            console.log(`    nginx's error log (the most frequent):\n${said.replace(/^/gm, "      ").trimEnd()}`);
        }
        if (o.bodies.size) console.log(`    bad answers, e.g.: ${[...o.bodies].join(" | ")}`);
        console.log(`\n(3) overload: ${rate}/s (2x saturation${rate < Math.round(2 * sat.db) ? `, capped at ${MAX_OVERLOAD_RATE}/s` : ""}, from ${Math.ceil(rate / MAX_RATE)} load processes) on ${PAGES.db} for ${overloadSeconds} s: ${o.sent} sent, ${o.ok} x 200 (p99 ${o.p99ms.toFixed(0)} ms), ${o.busy} x 503 (${o.busyWithoutRetryAfter} without Retry-After), ${o.bad} bad${bad ? ` (${bad})` : ""}, ${ooms} OOM kills; back to 90 % of saturation ${Number.isNaN(recoveredS) ? "NOT within 30 s" : `${recoveredS.toFixed(1)} s`} after the load stopped`);
        const badCount = o.bad + o.busyWithoutRetryAfter;
        console.log(`serve: static ${ratios.static.toFixed(2)}x, php ${ratios.php.toFixed(2)}x, db ${ratios.db.toFixed(2)}x; overload: ${badCount} bad (502/504/reset), ${ooms} OOM`);
    } finally {
        destroyHosts([prog, dflt]);
    }
    return 0;
}

if (require.main === module) cli.runMain(main);

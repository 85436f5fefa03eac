// The serving profile on real hosts (issue 21): its values on two memory sizes (tuneMemoryMb: these hosts run
// cgroup v1 without a limit), a second apply changing nothing, an overload burst through the balancer answered 200
// or 503 with Retry-After (never 502/504/reset), and undo restoring the packages' values.
import * as assert from "assert";
import * as http from "http";
import * as https from "https";
import { PlannedCommand } from "../../tools/capture";
import { apply, bootHosts, changedCount, destroy, destroyHosts, EngineRun, onHost, planFor, summary, TestHost, up } from "./lib";
import { driftLines, verifyLive, writeStack } from "./verify-lib";

const WWW = "www.foobar.com";
const started = Date.now();
const log = (what: string, runs: EngineRun[]) => console.log(`      ${what} (${((Date.now() - started) / 1000).toFixed(0)}s): ${summary(runs)}`);

/** One GET through a fresh connection: the status and Retry-After, or the socket error's code. A web host behind the
 * balancer serves plain HTTP on its loopback only: `tls` reaches it as the balancer does, over TLS on 443 (the test
 * does not check its certificate: the balancer does, test/e2e/backend-tls.test.ts). */
function once(ip: string, path: string, tls = false): Promise<{ status: number; retryAfter?: string; error?: string }> {
    return new Promise((resolve) => {
        const options = { host: ip, path, headers: { Host: WWW }, agent: false, timeout: 30_000 };
        const req = tls ? https.get({ ...options, port: 443, rejectUnauthorized: false }, onResponse) : http.get({ ...options, port: 80 }, onResponse);
        function onResponse(res: http.IncomingMessage) {
            res.resume();
            res.on("end", () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers["retry-after"] as string | undefined }));
        }
        req.on("timeout", () => req.destroy(new Error("timeout")));
        req.on("error", (e: NodeJS.ErrnoException) => resolve({ status: 0, error: e.code ?? e.message }));
    });
}

describe("e2e: the serving profile (sizes, second apply, overload, undo)", function () {
    const lb: TestHost = { name: "sv-lb", ip: "10.200.0.110", roles: ["lb"], rootfs: "warm" };
    // booted with 12288 open files at most (a container's limit, which its PID 1 cannot raise): enough for nginx at
    // 1024 MB (9216), less than 2048 MB asks (17408)
    const web: TestHost = { name: "sv-web", ip: "10.200.0.111", roles: ["web", "app", "db"], rootfs: "warm", nofile: 12288 };
    const list = [lb, web];
    const settings = { dbBindAddress: "auto", lbServerMaxConn: "4", lbQueueTimeout: "2" };
    const passwords = new Map<string, string>();
    let current: PlannedCommand[] = [];
    const go = async (what: string, extra: Record<string, string>) => {
        const { plan } = await planFor(list, { ...settings, ...extra }, passwords);
        const runs = await up(current, plan);
        current = plan;
        log(what, runs);
    };
    const profile = async () => {
        const out = await onHost(
            web.ip,
            "grep -h '^pm.max_children\\|^listen.backlog\\|^pm.max_requests\\|^request_terminate_timeout' /etc/php/*/fpm/pool.d/www.conf; " +
                "grep -h '^process_control_timeout' /etc/php/*/fpm/php-fpm.conf; grep -h '^opcache.memory_consumption\\|^opcache.jit' /etc/php/*/fpm/conf.d/99-seed-web.ini; " +
                "grep -h 'innodb_buffer_pool_size\\|max_connections' /etc/mysql/mariadb.conf.d/99-seed-web.cnf; grep -o 'worker_connections [0-9]*' /etc/nginx/nginx.conf; " +
                "grep -o '^worker_rlimit_nofile [0-9]*' /etc/nginx/nginx.conf; echo nginx worker $(grep 'open files' /proc/$(pgrep -f 'nginx: worker' | head -1)/limits | awk '{print $4}'); " +
                "echo somaxconn = $(cat /proc/sys/net/core/somaxconn); echo listen backlog $(ss -Hltn 'sport = :443' | awk '{print $3}' | sort -u); echo open_file_cache lines = $(grep -c '^open_file_cache' /etc/nginx/conf.d/seed-web.conf)",
        );
        return out.trim().split("\n").map((l) => l.trim());
    };
    /** opcache's JIT as the running PHP-FPM has it (through Nginx on the host's loopback): on, and its buffer in MB
     * (PHP reports the buffer less a few bytes of alignment: 33554416 for 32M). */
    const liveJit = async () => {
        const page = "/var/www/foobar.com/jit-status.php";
        await onHost(web.ip, `printf '<?php $j = opcache_get_status(false)["jit"] ?? []; echo json_encode([$j["on"] ?? false, $j["buffer_size"] ?? 0]);\\n' >${page}`);
        try {
            const [on, bytes] = JSON.parse(await onHost(web.ip, `curl -fsS -H 'Host: ${WWW}' http://127.0.0.1/jit-status.php`)) as [boolean, number];
            return [on, Math.round(bytes / 1048576)];
        } finally {
            await onHost(web.ip, `rm -f ${page}`);
        }
    };

    before(async function () {
        this.timeout(900_000);
        await bootHosts(list);
        await go("up at 1024 MB", { tuneMemoryMb: "1024" });
    });
    after(() => destroyHosts(list));

    it("1024 MB, then 2048 MB: the documented arithmetic (scripts/lib/tune.sh lemp_tune), applied to every server, nginx's descriptors within the host's limit", async function () {
        this.timeout(600_000);
        // 1024 MB beside the database: (1024 - 128 - (256 + 96) - 64) / 48 = 10 workers; 2 CPUs cap at 40; opcache's
        // 64 MB share: 16 MB for the JIT, 48 for the opcodes
        assert.deepStrictEqual(await profile(), [
            "pm.max_children = 10", "pm.max_requests = 500", "listen.backlog = 128", "request_terminate_timeout = 60s",
            "process_control_timeout = 30s", "opcache.memory_consumption = 48", "opcache.jit = tracing", "opcache.jit_buffer_size = 16M",
            "innodb_buffer_pool_size = 256M", "max_connections = 90", "worker_connections 4096", "worker_rlimit_nofile 9216", "nginx worker 9216",
            "somaxconn = 4096", "listen backlog 4096", "open_file_cache lines = 4",
        ]);
        await go("up at 2048 MB", { tuneMemoryMb: "2048" });
        // (2048 - 128 - (512 + 96) - 128) / 48 = 24
        const p = await profile();
        // nginx: 8192 connections would need 17408 descriptors, more than the host's 12288; its workers get 12288 (a
        // setrlimit above the hard limit fails and leaves them at 1024), and the connections what that leaves
        for (const l of ["pm.max_children = 24", "listen.backlog = 192", "opcache.memory_consumption = 96", "opcache.jit_buffer_size = 32M", "innodb_buffer_pool_size = 512M",
            "worker_connections 5632", "worker_rlimit_nofile 12288", "nginx worker 12288"]) {
            assert.ok(p.includes(l), `${l} in ${JSON.stringify(p)}`);
        }
        // the running PHP-FPM compiles with it (not only the file says so)
        assert.deepStrictEqual(await liveJit(), [true, 32]);
    });

    it("a second apply of the same stack changes nothing", async function () {
        this.timeout(600_000);
        const runs = await apply(current);
        const changed = runs.filter((r) => changedCount(r.stdout) !== 0).map((r) => `${r.name}: ${r.stderr}`);
        assert.deepStrictEqual(changed, []);
    });

    it("verify: the profile as applied is no drift; a pool edited by hand and a buffer pool changed live are", async function () {
        this.timeout(300_000);
        const file = writeStack("sv", list, { ...settings, tuneMemoryMb: "2048" });
        const profileDrift = (r: Awaited<ReturnType<typeof verifyLive>>) => driftLines(r).filter((l) => /maxChildren|bufferPoolMb|maxConnections|php\.jit/.test(l));
        assert.deepStrictEqual(profileDrift(await verifyLive(file)).sort(), []);
        // and an ini file of someone else's, read after ours, switching the JIT off
        const noJit = "/etc/php/8.2/fpm/conf.d/99-zz-no-jit.ini";
        await onHost(web.ip, `sed -i 's/^pm.max_children = .*/pm.max_children = 7/' /etc/php/*/fpm/pool.d/www.conf; mysql -e 'SET GLOBAL max_connections = 151'; echo 'opcache.jit = disable' >${noJit}`);
        assert.deepStrictEqual(profileDrift(await verifyLive(file)).sort(), [
            "sv-web database.maxConnections: declared: max_connections = 90 (the serving profile); observed: max_connections = 151 on the running server",
            "sv-web php.jit: declared: opcache's JIT on (tracing) (seed-web:phpJit); observed: the JIT off in the configuration PHP-FPM reads (php-fpm -i)",
            "sv-web php.maxChildren: declared: pm.max_children = 24 (the serving profile computed at apply); observed: pm.max_children = 7 in the www pool",
        ]);
        // the next apply puts the pool back (the server's variable and the other ini file by hand: neither is the
        // steps' to change)
        await onHost(web.ip, `mysql -e 'SET GLOBAL max_connections = 90'; rm ${noJit}`);
        await apply(current);
        assert.deepStrictEqual(profileDrift(await verifyLive(file)).sort(), []);
    });

    it("overload through the balancer: 200 or 503 with Retry-After, never 502/504/a reset; it recovers by itself", async function () {
        this.timeout(300_000);
        await onHost(web.ip, `printf '<?php usleep(400000); echo "slow";\\n' >/var/www/foobar.com/slow.php`);
        // 4 at once on the one web host, the rest wait 2 s in HAProxy's queue: 80 requests at once overflow it
        const answers = await Promise.all(Array.from({ length: 80 }, () => once(lb.ip, "/slow.php")));
        const count = (f: (a: (typeof answers)[0]) => boolean) => answers.filter(f).length;
        const ok = count((a) => a.status === 200);
        const busy = answers.filter((a) => a.status === 503);
        const bad = answers.filter((a) => a.status !== 200 && a.status !== 503);
        console.log(`      overload: ${ok} x 200, ${busy.length} x 503, ${bad.length} bad ${JSON.stringify(bad.slice(0, 3))}`);
        assert.deepStrictEqual(bad, []);
        assert.ok(busy.length > 0, "the queue is bounded: some requests get 503");
        assert.ok(ok >= 4, "the web host kept serving");
        for (const b of busy) assert.strictEqual(b.retryAfter, "5");
        // the load gone, the site answers at once
        const after = await once(lb.ip, "/slow.php");
        assert.strictEqual(after.status, 200);
    });

    it("overload at the web host itself (the one-server design): past max_children + backlog, 503 with Retry-After at once", async function () {
        this.timeout(300_000);
        await go("up with 2 workers, the JIT off", { tuneMemoryMb: "2048", phpMaxChildren: "2", phpJit: "off" });
        // phpJit off: no JIT setting written (the packages' default), PHP-FPM restarted without it
        assert.ok(!(await profile()).some((l) => l.startsWith("opcache.jit")), "no opcache.jit line");
        assert.deepStrictEqual(await liveJit(), [false, 0]);
        // 2 workers + half the backlog of 128 at PHP at once (Nginx limit_conn 66): 200 requests at once, the rest turned away
        await onHost(web.ip, `printf '<?php usleep(100000); echo "slow";\\n' >/var/www/foobar.com/slow.php`);
        const answers = await Promise.all(Array.from({ length: 200 }, () => once(web.ip, "/slow.php", true)));
        const busy = answers.filter((a) => a.status === 503);
        const bad = answers.filter((a) => a.status !== 200 && a.status !== 503);
        console.log(`      overload at nginx: ${answers.length - busy.length - bad.length} x 200, ${busy.length} x 503, ${bad.length} bad ${JSON.stringify(bad.slice(0, 3))}`);
        if (bad.length > 0) console.log(await onHost(web.ip, "ss -xln | grep -i fpm; cat /proc/sys/net/core/somaxconn; grep -v limiting /var/log/nginx/error.log | tail -3"));
        assert.deepStrictEqual(bad, []);
        assert.ok(busy.length > 0, "the queue is bounded");
        for (const b of busy) assert.strictEqual(b.retryAfter, "5");
        assert.strictEqual((await once(web.ip, "/slow.php", true)).status, 200);
        await onHost(web.ip, "rm -f /var/www/foobar.com/slow.php");
    });

    it("undo: the packages' values back (pool of 5, worker_connections 768, no sysctl, process_control_timeout unset)", async function () {
        this.timeout(600_000);
        log("destroy", await destroy(current));
        current = [];
        const out = await onHost(
            web.ip,
            "grep -h '^pm.max_children\\|^listen.backlog\\|^pm.max_requests' /etc/php/*/fpm/pool.d/www.conf; grep -ch '^process_control_timeout' /etc/php/*/fpm/php-fpm.conf || true; " +
                "grep -o 'worker_connections [0-9]*' /etc/nginx/nginx.conf; grep -c worker_rlimit_nofile /etc/nginx/nginx.conf || true; ls /etc/sysctl.d/60-seed-web.conf 2>&1 | grep -c 'No such' || true; " +
                "ls /etc/haproxy/errors/seed-web-503.http 2>/dev/null | wc -l",
        );
        assert.deepStrictEqual(out.trim().split("\n"), ["pm.max_children = 5", "0", "worker_connections 768", "0", "1", "0"]);
        assert.strictEqual((await onHost(lb.ip, "ls /etc/haproxy/errors/seed-web-503.http 2>/dev/null | wc -l")).trim(), "0");
    });
});

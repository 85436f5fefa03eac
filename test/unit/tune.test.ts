// The serving profile's arithmetic (scripts/lib/tune.sh, lemp_tune), run by bash at the edges: a 512 MB host, a 64-core
// host, the database on the same host or not; the memory read from MemTotal, a cgroup v1 or v2 limit, or the
// override; the config keys that feed it refused with the key named.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigError, loadConfig } from "../../lib/config";
import { SCRIPTS_DIR } from "../../lib/steps";
import { buildTopology } from "../../lib/topology";

const LIB = path.join(SCRIPTS_DIR, "lib.sh");
const VARS = [
    "TUNE_MEM_MB", "TUNE_CPUS", "TUNE_PHP_MAX_CHILDREN", "TUNE_PHP_BACKLOG", "TUNE_OPCACHE_MB", "TUNE_DB_BUFFER_POOL_MB",
    "TUNE_DB_MAX_CONNECTIONS", "TUNE_NGINX_QUEUE", "TUNE_NGINX_WORKER_CONNECTIONS", "TUNE_PHP_MAX_REQUESTS", "TUNE_PHP_JIT_MB", "TUNE_NGINX_NOFILE", "TUNE_NOFILE_MAX",
];

/** lemp_tune FOR under `env`; the TUNE_* values, or the error. */
function tune(env: Record<string, string>, forStep = "php"): { code: number | null; v: Record<string, number>; stderr: string } {
    const script = `. ${JSON.stringify(LIB)}\nLEMP_STEP=t\nlemp_tune ${forStep}\n${VARS.map((k) => `echo ${k}=$${k}`).join("\n")}`;
    // the open files nginx may have: a fixed 524288 (Debian's default hard limit), not this runner's, unless the case
    // names one
    const r = spawnSync("bash", ["-c", script], { env: { PATH: process.env.PATH, LEMP_TUNE_NOFILE_MAX: "524288", ...env }, encoding: "utf8" });
    const v: Record<string, number> = {};
    for (const line of r.stdout.split("\n")) {
        const m = /^(\w+)=(\d+)$/.exec(line);
        if (m) v[m[1]] = Number(m[2]);
    }
    return { code: r.status, v, stderr: r.stderr };
}

describe("the serving profile (lib/tune.sh lemp_tune)", function () {
    this.timeout(90000);

    it("a 512 MB host: 2 workers beside the database, 6 without it; a smaller shared host is an error naming what to change", () => {
        const shared = tune({ LEMP_TUNE_MEM_MB: "512", LEMP_TUNE_CPUS: "1", LEMP_TUNE_SHARED: "1" });
        assert.strictEqual(shared.code, 0, shared.stderr);
        // 512 - 128 system - (128 pool + 96) database - 64 opcache = 96 MB = 2 workers of 48 MB
        assert.deepStrictEqual([shared.v.TUNE_PHP_MAX_CHILDREN, shared.v.TUNE_DB_BUFFER_POOL_MB, shared.v.TUNE_OPCACHE_MB], [2, 128, 64]);
        const alone = tune({ LEMP_TUNE_MEM_MB: "512", LEMP_TUNE_CPUS: "1", LEMP_TUNE_SHARED: "0" });
        assert.strictEqual(alone.v.TUNE_PHP_MAX_CHILDREN, 6); // (512 - 128 - 64) / 48
        const small = tune({ LEMP_TUNE_MEM_MB: "448", LEMP_TUNE_CPUS: "1", LEMP_TUNE_SHARED: "1" });
        assert.strictEqual(small.code, 1);
        assert.match(small.stderr, /host too small for the serving profile: 448 MB .*phpMaxChildren/);
        // the database's own step on a small host of its own: its pool must fit
        assert.strictEqual(tune({ LEMP_TUNE_MEM_MB: "512", LEMP_TUNE_SHARED: "0" }, "db").code, 0);
        const tinyDb = tune({ LEMP_TUNE_MEM_MB: "384", LEMP_TUNE_SHARED: "0" }, "db");
        assert.strictEqual(tinyDb.code, 1);
        assert.match(tinyDb.stderr, /host too small for the database: 384 MB/);
        // an explicit max_children is taken as given (the user's choice), even on a small host
        assert.strictEqual(tune({ LEMP_TUNE_MEM_MB: "448", LEMP_TUNE_SHARED: "1", LEMP_PHP_MAX_CHILDREN: "3" }).v.TUNE_PHP_MAX_CHILDREN, 3);
    });

    it("a 64-core host: workers bounded by the memory, then by 256; the database's share grows with the memory", () => {
        const big = tune({ LEMP_TUNE_MEM_MB: "262144", LEMP_TUNE_CPUS: "64", LEMP_TUNE_SHARED: "0", LEMP_TUNE_WEB_HOSTS: "3" });
        assert.strictEqual(big.code, 0, big.stderr);
        assert.deepStrictEqual(
            [big.v.TUNE_PHP_MAX_CHILDREN, big.v.TUNE_OPCACHE_MB, big.v.TUNE_PHP_BACKLOG, big.v.TUNE_DB_BUFFER_POOL_MB, big.v.TUNE_DB_MAX_CONNECTIONS],
            [256, 256, 2048, 131072, 2 * 3 * 256 + 10],
        );
        // 64 cores, 4 GB shared: the memory decides ((4096 - 128 - 1120 - 256) / 48 = 54)
        const mem = tune({ LEMP_TUNE_MEM_MB: "4096", LEMP_TUNE_CPUS: "64", LEMP_TUNE_SHARED: "1" });
        assert.deepStrictEqual([mem.v.TUNE_PHP_MAX_CHILDREN, mem.v.TUNE_DB_BUFFER_POOL_MB], [54, 1024]);
        // nginx's descriptors follow its connections: 2 per connection (client + PHP) and 1024 for files
        assert.deepStrictEqual([big.v.TUNE_NGINX_WORKER_CONNECTIONS, big.v.TUNE_NGINX_NOFILE], [16384, 2 * 16384 + 1024]);
        // nginx's connections: 4 per MB (a 1 GB host 4096), at least the PHP queue's worth (children x 16 + 1024)
        const small = tune({ LEMP_TUNE_MEM_MB: "1024", LEMP_TUNE_CPUS: "2", LEMP_TUNE_SHARED: "1" });
        assert.deepStrictEqual([small.v.TUNE_NGINX_WORKER_CONNECTIONS, small.v.TUNE_NGINX_NOFILE], [4096, 9216]);
        // ...but no more descriptors than the unit may have (a hard limit of 20000: nginx's setrlimit above it fails and
        // its workers keep 1024): the limit itself, and the connections what it leaves after 1024 for files
        const capped = tune({ LEMP_TUNE_MEM_MB: "262144", LEMP_TUNE_CPUS: "64", LEMP_TUNE_SHARED: "0", LEMP_TUNE_NOFILE_MAX: "20000" });
        assert.deepStrictEqual([capped.v.TUNE_NGINX_WORKER_CONNECTIONS, capped.v.TUNE_NGINX_NOFILE], [(20000 - 1024) / 2, 20000]);
        const low = tune({ LEMP_TUNE_MEM_MB: "1024", LEMP_TUNE_CPUS: "2", LEMP_TUNE_SHARED: "1", LEMP_TUNE_NOFILE_MAX: "1200" });
        assert.deepStrictEqual([low.v.TUNE_NGINX_WORKER_CONNECTIONS, low.v.TUNE_NGINX_NOFILE], [(1200 - 400) / 2, 1200]);
        assert.match(tune({ LEMP_TUNE_NOFILE_MAX: "lots" }).stderr, /LEMP_TUNE_NOFILE_MAX: expected auto or a number/);
        const tiny = tune({ LEMP_TUNE_MEM_MB: "256", LEMP_TUNE_CPUS: "1", LEMP_TUNE_SHARED: "0", LEMP_PHP_MAX_CHILDREN: "40" });
        assert.strictEqual(tiny.v.TUNE_NGINX_WORKER_CONNECTIONS, 40 * 16 + 1024);
        // 1 core, plenty of memory: the CPUs decide (16 x 1 + 8)
        assert.strictEqual(tune({ LEMP_TUNE_MEM_MB: "65536", LEMP_TUNE_CPUS: "1", LEMP_TUNE_SHARED: "0" }).v.TUNE_PHP_MAX_CHILDREN, 24);
    });

    it("the database on the same host or not: a quarter of the memory beside PHP, half alone; the overrides win", () => {
        const env = { LEMP_TUNE_MEM_MB: "2048", LEMP_TUNE_CPUS: "2" };
        const same = tune({ ...env, LEMP_TUNE_SHARED: "1" });
        const apart = tune({ ...env, LEMP_TUNE_SHARED: "0" });
        assert.deepStrictEqual([same.v.TUNE_DB_BUFFER_POOL_MB, apart.v.TUNE_DB_BUFFER_POOL_MB], [512, 1024]);
        assert.ok(same.v.TUNE_PHP_MAX_CHILDREN < apart.v.TUNE_PHP_MAX_CHILDREN, "the database's share is set aside first");
        const pinned = tune({ ...env, LEMP_TUNE_SHARED: "1", LEMP_DB_BUFFER_POOL_MB: "256", LEMP_TUNE_PHP_WORKER_MB: "64" });
        assert.deepStrictEqual([pinned.v.TUNE_DB_BUFFER_POOL_MB, pinned.v.TUNE_PHP_MAX_CHILDREN], [256, 22]); // (2048 - 128 - (256 + 96) - 128) / 64
        // max_connections covers every web host's pool twice (a connection PHP closed holds its server thread a moment
        // after the worker opened the next: npm run bench:serve saw "Too many connections" at 50 for 40 workers), plus
        // room for the administrators
        assert.strictEqual(tune({ ...env, LEMP_TUNE_WEB_HOSTS: "2", LEMP_PHP_MAX_CHILDREN: "100" }).v.TUNE_DB_MAX_CONNECTIONS, 410);
        assert.strictEqual(tune({ ...env, LEMP_TUNE_WEB_HOSTS: "1" }).v.TUNE_DB_MAX_CONNECTIONS, 90); // 2 CPUs: a pool of at most 40
        // the same inputs, the same profile (a second apply changes nothing)
        assert.deepStrictEqual(tune({ ...env, LEMP_TUNE_SHARED: "1" }).v, same.v);
    });

    it("memory: MemTotal, lowered by a cgroup v2 or v1 limit (v1's 'no limit' ignored), replaced by the override", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-tune-"));
        try {
            fs.writeFileSync(path.join(dir, "meminfo"), "MemTotal:        4194304 kB\nMemFree: 1 kB\n");
            const cg = path.join(dir, "cg");
            fs.mkdirSync(path.join(cg, "memory"), { recursive: true });
            const mem = (env: Record<string, string> = {}) => tune({ LEMP_MEMINFO: path.join(dir, "meminfo"), LEMP_CGROUP_DIR: cg, ...env }).v.TUNE_MEM_MB;
            assert.strictEqual(mem(), 4096);
            fs.writeFileSync(path.join(cg, "memory", "memory.limit_in_bytes"), "9223372036854771712\n");
            assert.strictEqual(mem(), 4096, "v1 without a limit");
            fs.writeFileSync(path.join(cg, "memory", "memory.limit_in_bytes"), `${1024 * 1048576}\n`);
            assert.strictEqual(mem(), 1024, "v1 limit");
            fs.writeFileSync(path.join(cg, "memory.max"), `${768 * 1048576}\n`);
            assert.strictEqual(mem(), 768, "v2 limit (the lower one)");
            assert.strictEqual(mem({ LEMP_TUNE_MEM_MB: "2048" }), 2048, "the override");
            const bad = tune({ LEMP_TUNE_MEM_MB: "lots" });
            assert.strictEqual(bad.code, 1);
            assert.match(bad.stderr, /LEMP_TUNE_MEM_MB: expected auto or a number of MB/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("open files nginx may have: PID 1's hard limit (a container's, where PID 1 cannot raise it), replaced by the override", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-tune-nofile-"));
        try {
            const limits = path.join(dir, "limits");
            const head = "Limit                     Soft Limit           Hard Limit           Units     \nMax processes             95704                95704                processes \n";
            // no override: read from the file (the systemd unit's LimitNOFILE, read where systemd runs, is no lower here)
            const max = () => tune({ LEMP_TUNE_MEM_MB: "4096", LEMP_PROC1_LIMITS: limits, LEMP_TUNE_NOFILE_MAX: "auto" }).v.TUNE_NOFILE_MAX;
            fs.writeFileSync(limits, head + "Max open files            20000                20000                files     \n");
            const systemd = fs.existsSync("/run/systemd/system");
            if (!systemd) assert.strictEqual(max(), 20000);
            else assert.ok(max() <= 20000);
            fs.writeFileSync(limits, head + "Max open files            1024                 4194304              files     \n");
            if (!systemd) assert.strictEqual(max(), 1048576, "at most the kernel's default nr_open");
            fs.writeFileSync(limits, head);
            if (!systemd) assert.strictEqual(max(), 1048576, "no line: no limit read");
            assert.strictEqual(tune({ LEMP_TUNE_NOFILE_MAX: "8192" }).v.TUNE_NOFILE_MAX, 8192, "the override");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("CPUs: the online ones, fewer under a cgroup v2 or v1 CPU quota (rounded up; 'max' and -1 are none), replaced by the override", () => {
        const cg = fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-tune-cpu-"));
        try {
            const online = os.availableParallelism();
            const cpus = (env: Record<string, string> = {}) => tune({ LEMP_TUNE_MEM_MB: "4096", LEMP_CGROUP_DIR: cg, ...env }).v.TUNE_CPUS;
            assert.strictEqual(cpus(), online, "no cgroup files");
            fs.mkdirSync(path.join(cg, "cpu"));
            fs.writeFileSync(path.join(cg, "cpu", "cpu.cfs_period_us"), "100000\n");
            fs.writeFileSync(path.join(cg, "cpu", "cpu.cfs_quota_us"), "-1\n");
            assert.strictEqual(cpus(), online, "v1 without a quota");
            fs.writeFileSync(path.join(cg, "cpu", "cpu.cfs_quota_us"), "50000\n");
            assert.strictEqual(cpus(), 1, "v1: half a CPU counts 1");
            fs.writeFileSync(path.join(cg, "cpu.max"), "max 100000\n");
            assert.strictEqual(cpus(), online, "v2 without a quota (v2 read first)");
            fs.writeFileSync(path.join(cg, "cpu.max"), "150000 100000\n");
            assert.strictEqual(cpus(), Math.min(online, 2), "v2: 1.5 CPUs count 2");
            fs.writeFileSync(path.join(cg, "cpu.max"), "20000 100000\n");
            // the profile follows: 1 CPU caps the pool at 16 + 8
            const t = tune({ LEMP_TUNE_MEM_MB: "65536", LEMP_TUNE_SHARED: "0", LEMP_CGROUP_DIR: cg });
            assert.deepStrictEqual([t.v.TUNE_CPUS, t.v.TUNE_PHP_MAX_CHILDREN], [1, 24]);
            assert.strictEqual(cpus({ LEMP_TUNE_CPUS: "8" }), 8, "the override");
        } finally {
            fs.rmSync(cg, { recursive: true, force: true });
        }
    });

    it("opcache's JIT: a quarter of opcache's share (16 MB on a 512 MB host, 64 at most), none when off; the workers unchanged", () => {
        for (const [mem, opcache, jit] of [["512", 64, 16], ["2048", 128, 32], ["262144", 256, 64]] as const) {
            const on = tune({ LEMP_TUNE_MEM_MB: mem, LEMP_TUNE_CPUS: "2", LEMP_TUNE_SHARED: "1" });
            const off = tune({ LEMP_TUNE_MEM_MB: mem, LEMP_TUNE_CPUS: "2", LEMP_TUNE_SHARED: "1", LEMP_PHP_JIT: "off" });
            assert.deepStrictEqual([on.v.TUNE_OPCACHE_MB, on.v.TUNE_PHP_JIT_MB, off.v.TUNE_PHP_JIT_MB], [opcache, jit, 0], mem);
            // the buffer comes out of opcache's share: a JIT never costs a worker (the 512 MB host keeps its 2)
            assert.strictEqual(on.v.TUNE_PHP_MAX_CHILDREN, off.v.TUNE_PHP_MAX_CHILDREN, mem);
        }
        assert.strictEqual(tune({ LEMP_TUNE_MEM_MB: "1024", LEMP_PHP_JIT: "function" }).v.TUNE_PHP_JIT_MB, 16);
        const bad = tune({ LEMP_TUNE_MEM_MB: "1024", LEMP_PHP_JIT: "1255" });
        assert.strictEqual(bad.code, 1);
        assert.match(bad.stderr, /LEMP_PHP_JIT: expected tracing, function or off/);
    });

    it("config: the keys reach each host's steps; a bad value is refused naming the key", () => {
        const c = loadConfig({ tuneMemoryMb: "1024", phpMaxChildren: "12", lbServerMaxConn: "20" });
        assert.deepStrictEqual(c.tuning, { memoryMb: 1024, phpMaxChildren: 12, phpWorkerMb: 48, phpJit: "tracing", dbBufferPoolMb: "auto", lbServerMaxConn: 20, lbQueueTimeout: 10 });
        assert.strictEqual(buildTopology(loadConfig({ phpJit: "off" })).hosts[0].tuning.LEMP_PHP_JIT, "off");
        const node = buildTopology(c).hosts[0];
        assert.deepStrictEqual(
            [node.tuning.LEMP_TUNE_MEM_MB, node.tuning.LEMP_PHP_MAX_CHILDREN, node.tuning.LEMP_TUNE_SHARED, node.tuning.LEMP_TUNE_WEB_HOSTS],
            ["1024", "12", "1", "1"],
        );
        for (const [key, value] of [["tuneMemoryMb", "128"], ["phpMaxChildren", "0"], ["phpWorkerMb", "big"], ["dbBufferPoolMb", "32"], ["lbServerMaxConn", "0"], ["lbQueueTimeout", "-1"], ["phpJit", "1255"], ["phpJit", "on"]]) {
            assert.throws(
                () => loadConfig({ [key]: value }),
                (e: unknown) => e instanceof ConfigError && e.key === key && e.message.includes(`seed-web:${key} = `),
                key,
            );
        }
    });
});

// pools-fit-memory: the PHP-FPM pool and the database declared for a host fit the memory declared for it.

import * as assert from "assert";
import { FakeHost, fixedDesign, policy, resources, runPolicy, seedDesign } from "../fixtures";

async function messages(hosts: FakeHost[]): Promise<string[]> {
    const out = await runPolicy(policy("pools-fit-memory"), resources(hosts));
    assert.strictEqual(out.undecided, undefined, `undecided: ${out.undecided?.message}`);
    return out.violations.map((v) => v.message);
}

const seedWith = (tuning: FakeHost["tuning"]): FakeHost[] => seedDesign().map((h) => ({ ...h, tuning }));
const fixedWith = (host: string, tuning: FakeHost["tuning"]): FakeHost[] => fixedDesign().map((h) => (h.name === host ? { ...h, tuning } : h));

describe("pools-fit-memory", () => {
    it("passes when the memory is read on the host (auto, the default): the step sizes the pool and refuses a host too small", async () => {
        assert.deepStrictEqual(await messages(seedDesign()), []);
        assert.deepStrictEqual(await messages(seedWith({ maxChildren: 500 })), []);
        assert.deepStrictEqual(await messages(fixedDesign()), []);
    });

    it("passes for a declared pool that fits: 1024 MB beside the database, 10 workers of 48 MB (128 + 352 + 64 + 480 = 1024)", async () => {
        assert.deepStrictEqual(await messages(seedWith({ memoryMb: 1024, maxChildren: 10 })), []);
        assert.deepStrictEqual(await messages(seedWith({ memoryMb: 1024 })), []);
    });

    it("flags declared workers beyond the memory, naming the host, the sum and the keys", async () => {
        const m = await messages(seedWith({ memoryMb: 1024, maxChildren: 11 }));
        assert.strictEqual(m.length, 1);
        assert.match(m[0], /^web-01 needs 1072 MB \(128 MB system \+ 352 MB database \(buffer pool 256 MB \+ 96\) \+ 64 MB opcache \+ 11 PHP-FPM workers of 48 MB\), more than its 1024 MB/);
        assert.match(m[0], /seed-web:phpMaxChildren/);
        assert.match(m[0], /seed-web:tuneMemoryMb/);
    });

    it("counts a declared buffer pool and worker size", async () => {
        assert.deepStrictEqual(await messages(seedWith({ memoryMb: 2048, maxChildren: 10, workerMb: 100 })), []);
        const m = await messages(seedWith({ memoryMb: 2048, maxChildren: 10, workerMb: 100, dbBufferPoolMb: 1024 }));
        assert.match(m[0], /^web-01 needs 2376 MB \(.*buffer pool 1024 MB.*10 PHP-FPM workers of 100 MB\)/);
    });

    it("flags an auto pool on a host too small for 2 workers (the php step would refuse it)", async () => {
        // 512 MB: 512 - 128 - (128 + 96) - 64 = 96 MB, just 2 workers; 448 MB: 48 MB, not one
        assert.deepStrictEqual(await messages(seedWith({ memoryMb: 512 })), []);
        const m = await messages(seedWith({ memoryMb: 448 }));
        assert.strictEqual(m.length, 1);
        assert.match(m[0], /^web-01 leaves 48 MB for PHP-FPM \(448 MB - 128 MB system - 208 MB database \(buffer pool 112 MB \+ 96\) - 64 MB opcache\), less than 2 workers of 48 MB/);
    });

    it("a web host without the database keeps no database share; a database host of its own checks its buffer pool", async () => {
        // 512 MB, no database: 512 - 128 - 64 = 320 MB = 6 workers of 48 MB
        assert.deepStrictEqual(await messages(fixedWith("web-01", { memoryMb: 512, maxChildren: 6 })), []);
        assert.match((await messages(fixedWith("web-01", { memoryMb: 512, maxChildren: 7 })))[0], /^web-01 needs 528 MB/);
        assert.deepStrictEqual(await messages(fixedWith("db-01", { memoryMb: 512 })), []);
        const m = await messages(fixedWith("db-01", { memoryMb: 512, dbBufferPoolMb: 400 }));
        assert.strictEqual(m.length, 1);
        assert.match(m[0], /^db-01 needs 624 MB \(128 MB system \+ 496 MB database \(buffer pool 400 MB \+ 96\)\), more than its 512 MB/);
    });
});

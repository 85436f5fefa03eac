// bench/load.ts's arithmetic, without a host: the median run, and bench:serve's ratio at an equal or lower p99.
import * as assert from "assert";
import { atEqualP99, medianRun, WrkResult } from "../../bench/load";

const w = (rps: number, p99ms: number, non2xx = 0, errors = 0): WrkResult => ({ rps, p99ms, non2xx, errors });

describe("bench/load.ts: the median run and the ratio at an equal or lower p99", function () {
    it("the median of each measure apart; the bad answers of all runs added", () => {
        assert.deepStrictEqual(medianRun([w(100, 9, 1), w(300, 7), w(200, 8, 0, 2)]), w(200, 8, 1, 2));
    });

    it("a program whose p99 is no higher is taken as measured: nothing measured again", async () => {
        const asked: number[] = [];
        const g = await atEqualP99(w(700, 116), w(1000, 113), async (c) => (asked.push(c), w(0, 0)));
        assert.deepStrictEqual([g, asked], [w(1000, 113), []]);
    });

    it("a higher p99: measured again with fewer connections, in proportion and 5 % under, until it is no higher (twice at most)", async () => {
        const asked: number[] = [];
        const seen: number[] = [];
        // a closed loop at saturation: the same req/s, its latency in proportion to the connections
        const measure = async (c: number) => (asked.push(c), w(1000, (c / 64) * 120));
        const g = await atEqualP99(w(700, 100), w(1000, 120), measure, (c) => seen.push(c));
        assert.deepStrictEqual(asked, [Math.floor(((64 * 100) / 120) * 0.95)]); // 50
        assert.deepStrictEqual(seen, asked);
        assert.ok(g.p99ms <= 100 && g.rps === 1000, JSON.stringify(g));
        // a p99 that will not come down: two tries, the last one returned (the caller prints it as higher)
        const stubborn: number[] = [];
        const h = await atEqualP99(w(700, 100), w(1000, 120), async (c) => (stubborn.push(c), w(900, 130)));
        assert.deepStrictEqual([stubborn.length, h], [2, w(900, 130)]);
        assert.ok(stubborn.every((c) => c >= 8));
    });
});

// monitoring-enabled: the policy passing and failing on hand-built stacks.

import * as assert from "assert";
import { fixedDesign, fixedWith, messages, seedDesign } from "../fixtures";

describe("monitoring-enabled", () => {
    it("one violation per host without monitoring", async () => {
        const m = await messages("monitoring-enabled", seedDesign());
        assert.deepStrictEqual(m.length, 1);
        assert.match(m[0], /^web-01 is not monitored.*seed-web:monitoring true/);
        assert.deepStrictEqual(await messages("monitoring-enabled", fixedDesign()), []);
        const partial = await messages("monitoring-enabled", fixedWith("db-01", { monitoring: false }));
        assert.strictEqual(partial.length, 1);
        assert.match(partial[0], /^db-01/);
    });
});

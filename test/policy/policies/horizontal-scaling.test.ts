// horizontal-scaling: the policy passing and failing on hand-built stacks.

import * as assert from "assert";
import { fixedDesign, fixedWith, messages, seedDesign } from "../fixtures";

describe("horizontal-scaling", () => {
    it("fails without a load balancer, passes with one", async () => {
        const m = await messages("horizontal-scaling", seedDesign());
        assert.strictEqual(m.length, 1);
        assert.match(m[0], /no load balancer in front of the web tier \(web-01\)/);
        assert.match(m[0], /seed-web:hosts/);
        assert.deepStrictEqual(await messages("horizontal-scaling", fixedDesign()), []);
    });

    it("an lb host that runs no load balancer does not count", async () => {
        const m = await messages("horizontal-scaling", fixedWith("lb-01", { omit: ["lb"] }));
        assert.match(m[0], /lb-01 has the lb role but runs no load balancer/);
    });
});

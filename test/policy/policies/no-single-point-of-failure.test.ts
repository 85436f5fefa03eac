// no-single-point-of-failure: the policy passing and failing on hand-built stacks.

import * as assert from "assert";
import { fixedDesign, messages, seedDesign } from "../fixtures";

describe("no-single-point-of-failure", () => {
    it("one violation per role held by a single host", async () => {
        const seed = await messages("no-single-point-of-failure", seedDesign());
        assert.strictEqual(seed.length, 2);
        assert.match(seed[0], /the web\/app role is held by a single host, web-01/);
        assert.match(seed[1], /the database role is held by a single host, web-01/);
        const fixed = await messages("no-single-point-of-failure", fixedDesign());
        assert.strictEqual(fixed.length, 2);
        assert.match(fixed[0], /the load balancer role is held by a single host, lb-01/);
        assert.match(fixed[1], /the database role is held by a single host, db-01/);
        assert.match(fixed.join("\n"), /seed-web:hosts/);
    });

    it("minHostsPerRole and roles settings", async () => {
        const m = await messages("no-single-point-of-failure", fixedDesign(), { minHostsPerRole: 3, roles: ["web"] });
        assert.strictEqual(m.length, 1);
        assert.match(m[0], /the web\/app role is held by only 2 hosts \(web-01 and web-02\)/);
        assert.deepStrictEqual(await messages("no-single-point-of-failure", fixedDesign(), { minHostsPerRole: 1 }), []);
    });
});

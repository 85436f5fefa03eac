// zero-downtime-maintenance: the policy passing and failing on hand-built stacks.

import * as assert from "assert";
import { fixedDesign, fixedWith, messages, seedDesign } from "../fixtures";

describe("zero-downtime-maintenance", () => {
    it("fails without a load balancer", async () => {
        const m = await messages("zero-downtime-maintenance", seedDesign());
        assert.strictEqual(m.length, 1);
        assert.match(m[0], /no load balancer: web-01 serves the site directly, so restarting web-01/);
        assert.match(m[0], /seed-web:hosts/);
    });

    it("passes with two web hosts behind the load balancer", async () => {
        assert.deepStrictEqual(await messages("zero-downtime-maintenance", fixedDesign()), []);
    });

    it("counts only web hosts that are backends of the load balancer", async () => {
        const m = await messages("zero-downtime-maintenance", fixedWith("lb-01", { lb: { backends: ["web-01", "db-01"], tls: "letsencrypt" } }));
        assert.strictEqual(m.length, 1);
        assert.match(m[0], /only 1 web host \(web-01\) behind the load balancer lb-01/);
    });

    it("minWebHosts setting", async () => {
        const m = await messages("zero-downtime-maintenance", fixedDesign(), { minWebHosts: 3 });
        assert.strictEqual(m.length, 1);
        assert.match(m[0], /at least 3 web hosts/);
    });
});

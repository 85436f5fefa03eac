// app-db-separation: the policy passing and failing on hand-built stacks.

import * as assert from "assert";
import { fixedDesign, messages, seedDesign } from "../fixtures";

describe("app-db-separation", () => {
    it("fails when the database shares a host with web/app, passes on its own host", async () => {
        const m = await messages("app-db-separation", seedDesign());
        assert.strictEqual(m.length, 1);
        assert.match(m[0], /the database shares web-01 with the web\/app role/);
        assert.match(m[0], /seed-web:hosts/);
        assert.deepStrictEqual(await messages("app-db-separation", fixedDesign()), []);
    });
});

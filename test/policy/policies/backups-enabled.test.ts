// backups-enabled: the policy passing and failing on hand-built stacks.

import * as assert from "assert";
import { fixedDesign, messages, seedDesign } from "../fixtures";

describe("backups-enabled", () => {
    it("fails for a db host without backups; a backup elsewhere does not count", async () => {
        const m = await messages("backups-enabled", seedDesign());
        assert.strictEqual(m.length, 1);
        assert.match(m[0], /the database on web-01 is not backed up.*seed-web:backups true/);
        assert.deepStrictEqual(await messages("backups-enabled", fixedDesign()), []);
        const elsewhere = fixedDesign().map((h) => ({ ...h, backup: h.name === "web-01" }));
        assert.match((await messages("backups-enabled", elsewhere))[0], /db-01/);
    });
});

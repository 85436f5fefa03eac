// The pack on what the real program registers (captured under Pulumi mocks by tools/capture.ts), so the facts the
// program attaches and the facts the policies read cannot drift apart unnoticed.

import * as assert from "assert";
import { Capture, captureProgram, reveal } from "../../tools/capture";
import { readStackFile, stackFilePath } from "../../tools/stack-config";
import { DEV_VERDICTS, RawResource, runPack, summary, toPolicyResource } from "./fixtures";

/** As the engine hands them to a stack policy: outputs (the state), secrets unwrapped; custom resources only. */
function policyResources(c: Capture) {
    return c.resources
        .filter((r) => r.custom)
        .map((r) => toPolicyResource({ type: r.type, name: r.name, props: reveal(r.state) as RawResource["props"] }));
}

describe("policy pack on the program's resources", () => {
    it("the dev stack (the seed design on a local Docker host publishing on 127.0.0.1)", async () => {
        const dev = await captureProgram({ raw: readStackFile(stackFilePath("dev")).raw, stack: "dev" });
        const out = await runPack(policyResources(dev));
        assert.deepStrictEqual(out.undecided, []);
        assert.deepStrictEqual(summary(out.violations), DEV_VERDICTS);
    });

    it("the dev stack publishing 3306 on 0.0.0.0: the container is reported too", async () => {
        const raw = readStackFile(stackFilePath("dev")).raw;
        const hosts = JSON.parse(raw.hosts) as { connection: { bindAddress?: string } }[];
        hosts[0].connection.bindAddress = "0.0.0.0";
        const dev = await captureProgram({ raw: { ...raw, hosts: JSON.stringify(hosts) }, stack: "dev" });
        const out = await runPack(policyResources(dev));
        const db = out.violations.filter((v) => v.policy === "database-not-exposed").map((v) => v.message);
        assert.strictEqual(db.length, 2);
        assert.match(db[1], /container web-01 publishes the database port 3306 on 0\.0\.0\.0:3306/);
    });
});

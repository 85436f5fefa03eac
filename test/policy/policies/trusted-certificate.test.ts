// trusted-certificate: the policy passing and failing on hand-built stacks.

import * as assert from "assert";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { fixedDesign, fixedWith, messages, policy, rawResources, runResource, seedDesign, toPolicyResource } from "../fixtures";

describe("trusted-certificate", () => {
    const p = () => policy<ResourceValidationPolicy>("trusted-certificate");

    it("is a resource policy: the nginx or lb step alone decides", () => {
        assert.strictEqual(typeof p().validateResource, "function");
        assert.strictEqual(p().enforcementLevel, "advisory");
    });

    it("fails for a self-signed certificate on a web host and on a load balancer", async () => {
        const m = await messages("trusted-certificate", seedDesign().map((h) => ({ ...h, tls: "self-signed" as const })));
        assert.strictEqual(m.length, 1);
        assert.match(m[0], /web-01 serves HTTPS with a self-signed certificate \(nginx step\)/);
        assert.match(m[0], /seed-web:tls letsencrypt/);
        const lb = await messages("trusted-certificate", fixedWith("lb-01", { lb: { backends: ["web-01", "web-02"], tls: "self-signed" } }));
        assert.strictEqual(lb.length, 1);
        assert.match(lb[0], /lb-01 .*\(lb step\)/);
    });

    it("passes for letsencrypt and for no TLS (https-required reports that)", async () => {
        assert.deepStrictEqual(await messages("trusted-certificate", fixedDesign()), []);
        assert.deepStrictEqual(await messages("trusted-certificate", seedDesign()), []);
    });

    it("ignores other resources", async () => {
        const container = rawResources(seedDesign()).find((r) => r.type.startsWith("docker:"))!;
        const out = await runResource(p(), toPolicyResource(container));
        assert.deepStrictEqual(out.violations, []);
        assert.strictEqual(out.undecided, undefined);
    });
});

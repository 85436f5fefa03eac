// https-required: the policy passing and failing on hand-built stacks.

import * as assert from "assert";
import { FakeHost, fixedDesign, fixedWith, messages, seedDesign } from "../fixtures";

describe("https-required", () => {
    it("fails for a web entry point serving plain HTTP, naming the tls switch", async () => {
        const m = await messages("https-required", seedDesign());
        assert.strictEqual(m.length, 1);
        assert.match(m[0], /entry point web-01 \(web host\) serves plain HTTP only/);
        assert.match(m[0], /seed-web:tls letsencrypt/);
    });

    it("passes for TLS on 443 with HTTP redirected (letsencrypt or self-signed)", async () => {
        for (const tls of ["letsencrypt", "self-signed"] as const) {
            assert.deepStrictEqual(await messages("https-required", seedDesign().map((h) => ({ ...h, tls }))), []);
        }
    });

    it("fails when plain HTTP is not redirected", async () => {
        const m = await messages("https-required", seedDesign().map((h) => ({ ...h, tls: "letsencrypt" as const, redirectHttp: false })));
        assert.strictEqual(m.length, 1);
        assert.match(m[0], /answers plain HTTP without redirecting/);
    });

    it("fails for TLS on another port; the httpsPort setting changes the port", async () => {
        const hosts = seedDesign().map((h) => ({ ...h, tls: "letsencrypt" as const, httpsPort: 8443 }));
        assert.match((await messages("https-required", hosts))[0], /serves TLS on port 8443, not 443/);
        assert.deepStrictEqual(await messages("https-required", hosts, { httpsPort: 8443 }), []);
    });

    it("behind a load balancer only the load balancer is the entry point", async () => {
        assert.deepStrictEqual(await messages("https-required", fixedDesign()), []);
        const m = await messages("https-required", fixedWith("lb-01", { lb: { backends: ["web-01", "web-02"], tls: "none" } }));
        assert.strictEqual(m.length, 1);
        assert.match(m[0], /entry point lb-01 \(load balancer\) serves plain HTTP only/);
    });

    it("without a load balancer every web host is an entry point", async () => {
        const hosts: FakeHost[] = [
            { name: "web-01", roles: ["web", "app", "db"], tls: "letsencrypt" },
            { name: "web-02", roles: ["web", "app"] },
        ];
        const m = await messages("https-required", hosts);
        assert.strictEqual(m.length, 1);
        assert.match(m[0], /web-02/);
    });

    it("an lb host without an lb step is not assumed to serve HTTPS", async () => {
        const m = await messages("https-required", fixedWith("lb-01", { omit: ["lb"] }));
        assert.match(m[0], /entry point lb-01 \(load balancer\) has no lb step/);
    });
});

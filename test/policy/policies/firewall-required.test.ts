// firewall-required: the policy passing and failing on hand-built stacks.

import * as assert from "assert";
import type { StackValidationPolicy } from "@pulumi/policy";
import { fixedDesign, fixedWith, messages, policy, PUBLIC_RULES, rawResources, runStack, seedDesign, toPolicyResources } from "../fixtures";
import { firewallRequiredMetadata } from "../../../policy/policies/firewall-required";

const stack = (name: string) => policy<StackValidationPolicy>(name);

describe("firewall-required", () => {
    it("fails for a host without a firewall, naming the host and the switch", async () => {
        const m = await messages("firewall-required", seedDesign());
        assert.strictEqual(m.length, 1);
        assert.match(m[0], /^web-01 has no firewall/);
        assert.match(m[0], /seed-web:firewall true/);
    });

    it("passes when every host denies inbound traffic by default and opens only 22, 80, 443 to everybody", async () => {
        assert.deepStrictEqual(await messages("firewall-required", fixedDesign()), []);
    });

    it("flags exactly the hosts without a firewall", async () => {
        const m = await messages("firewall-required", fixedWith("web-02", { firewall: false }));
        assert.strictEqual(m.length, 1);
        assert.match(m[0], /^web-02 has no firewall/);
    });

    it("fails for a firewall that accepts inbound traffic by default", async () => {
        const m = await messages("firewall-required", fixedWith("web-01", { firewall: { defaultInbound: "allow" } }));
        assert.strictEqual(m.length, 1);
        assert.match(m[0], /web-01's firewall accepts inbound traffic by default/);
    });

    it("fails for a port outside publicPorts open to everybody; the publicPorts setting widens the list", async () => {
        const hosts = fixedWith("web-01", { firewall: { rules: [...PUBLIC_RULES, { port: 8080, proto: "tcp", from: "0.0.0.0/0" }] } });
        const m = await messages("firewall-required", hosts);
        assert.strictEqual(m.length, 1);
        assert.match(m[0], /opens port 8080 to everybody; only 22, 80, 443 may be public/);
        assert.match(m[0], /seed-web:firewallAllowPorts/);
        assert.deepStrictEqual(await messages("firewall-required", hosts, { publicPorts: [22, 80, 443, 8080] }), []);
    });

    it("the remediation tells seed-web:firewallAllowPorts (extra public ports) from the policy's publicPorts (22, 80, 443)", () => {
        const text = firewallRequiredMetadata.remediationSteps;
        assert.doesNotMatch(text, /firewallAllowPorts \(22, 80, 443\)/);
        assert.match(text, /seed-web:firewallAllowPorts \(extra public ports, none by default\)/);
        assert.match(text, /publicPorts setting \(default 22, 80, 443\)/);
    });

    it("a port open only to one address is not public", async () => {
        const hosts = fixedWith("web-01", { firewall: { rules: [...PUBLIC_RULES, { port: 9100, proto: "tcp", from: "10.0.0.5" }] } });
        assert.deepStrictEqual(await messages("firewall-required", hosts), []);
    });

    it("a Docker host known only by its container (no step ran yet) has no firewall", async () => {
        const rs = toPolicyResources(rawResources(seedDesign()).filter((r) => r.type !== "command:remote:Command"));
        const out = await runStack(stack("firewall-required"), rs);
        assert.strictEqual(out.violations.length, 1);
        assert.match(out.violations[0].message, /^web-01 has no firewall/);
    });
});

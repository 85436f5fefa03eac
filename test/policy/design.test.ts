// The seed design and the fully improved design, through the whole pack.

import * as assert from "assert";
import { catalog, isStackPolicy } from "../../policy/policies";
import { fixedDesign, FakeHost, resources, runPack, runStack, SEED_VERDICTS, seedDesign, summary } from "./fixtures";

describe("policy pack: the seed design and the improved design", () => {
    it("the seed design violates exactly the documented issues", async () => {
        const out = await runPack(resources(seedDesign()));
        assert.deepStrictEqual(out.undecided, []);
        assert.deepStrictEqual(summary(out.violations), SEED_VERDICTS);
        const spof = out.violations.filter((v) => v.policy === "no-single-point-of-failure").map((v) => v.message);
        assert.ok(spof.some((m) => m.includes("web/app role")));
        assert.ok(spof.some((m) => m.includes("database role")));
        for (const v of out.violations) {
            assert.match(v.message, /web-01/, `${v.policy} names the host: ${v.message}`);
            assert.match(v.message, /seed-web:/, `${v.policy} names the config switch: ${v.message}`);
            assert.ok(v.urn?.startsWith("urn:pulumi:"), `${v.policy} attaches a resource`);
        }
    });

    it("the improved design (lb + 2 web + separate db, firewall, letsencrypt, monitoring, backups) leaves only single-host lb and db", async () => {
        const out = await runPack(resources(fixedDesign()));
        assert.deepStrictEqual(out.undecided, []);
        assert.deepStrictEqual(summary(out.violations), ["no-single-point-of-failure:advisory", "no-single-point-of-failure:advisory"]);
        const messages = out.violations.map((v) => v.message).join("\n");
        assert.match(messages, /load balancer role is held by a single host, lb-01/);
        assert.match(messages, /database role is held by a single host, db-01/);
    });

    it("with db dropped from the redundancy roles, only the lb single point of failure is left", async () => {
        const out = await runPack(resources(fixedDesign()), { "no-single-point-of-failure": { roles: ["lb", "web"] } });
        assert.deepStrictEqual(summary(out.violations), ["no-single-point-of-failure:advisory"]);
        assert.match(out.violations[0].message, /lb-01/);
    });

    it("the seed design with the security switches on keeps only the architecture advisories", async () => {
        const hosts: FakeHost[] = seedDesign().map((h) => ({
            ...h,
            firewall: true,
            tls: "letsencrypt",
            db: { bindAddress: "127.0.0.1", port: 3306 },
            container: { ports: h.container!.ports.filter((p) => p.internal !== 3306) },
            monitoring: true,
            backup: true,
        }));
        const out = await runPack(resources(hosts));
        assert.deepStrictEqual(out.undecided, []);
        assert.deepStrictEqual(summary(out.violations), [
            "app-db-separation:advisory",
            "horizontal-scaling:advisory",
            "no-single-point-of-failure:advisory",
            "no-single-point-of-failure:advisory",
            "zero-downtime-maintenance:advisory",
        ]);
    });

    it("a stack without seed-web resources is not applicable, not passed", async () => {
        for (const { policy } of catalog) {
            if (!isStackPolicy(policy)) continue;
            const out = await runStack(policy, []);
            assert.deepStrictEqual(out.violations, []);
            assert.match(out.notApplicable ?? "", /no seed-web hosts/, policy.name);
        }
    });
});

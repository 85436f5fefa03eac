// database-not-exposed: the policy passing and failing on hand-built stacks.

import * as assert from "assert";
import { FakeHost, fixedDesign, fixedWith, messages, PUBLIC_RULES, seedDesign } from "../fixtures";

describe("database-not-exposed", () => {
    const dbHost = (change: Partial<FakeHost>) => fixedWith("db-01", change);

    it("fails twice for the seed design: MySQL on 0.0.0.0 without a firewall, and 3306 published on 0.0.0.0", async () => {
        const m = await messages("database-not-exposed", seedDesign());
        assert.strictEqual(m.length, 2);
        assert.match(m[0], /MySQL on web-01 listens on 0\.0\.0\.0:3306 and web-01 has no firewall/);
        assert.match(m[0], /seed-web:dbBindAddress 127\.0\.0\.1/);
        assert.match(m[1], /container web-01 publishes the database port 3306 on 0\.0\.0\.0:3306/);
        assert.match(m[1], /seed-web:hosts/);
    });

    it("passes for MySQL on 127.0.0.1 with no database port published", async () => {
        const hosts = seedDesign().map((h) => ({
            ...h,
            db: { bindAddress: "127.0.0.1", port: 3306 },
            container: { ports: h.container!.ports.filter((p) => p.internal !== 3306) },
        }));
        assert.deepStrictEqual(await messages("database-not-exposed", hosts), []);
    });

    it("passes for MySQL on 0.0.0.0 on the shared host when the firewall denies by default and keeps 3306 closed", async () => {
        const hosts = seedDesign().map((h) => ({ ...h, firewall: true, container: undefined }));
        assert.deepStrictEqual(await messages("database-not-exposed", hosts), []);
    });

    it("passes for a database on its own host that only the application hosts may reach", async () => {
        assert.deepStrictEqual(await messages("database-not-exposed", fixedDesign()), []);
    });

    it("fails for a separate db host without a firewall, with the firewall switch as the fix", async () => {
        const m = await messages("database-not-exposed", dbHost({ firewall: false }));
        assert.strictEqual(m.length, 1);
        assert.match(m[0], /MySQL on db-01 listens on 0\.0\.0\.0:3306 and db-01 has no firewall/);
        assert.match(m[0], /seed-web:firewall true/);
        assert.doesNotMatch(m[0], /dbBindAddress/);
    });

    it("fails for a firewall that accepts inbound traffic by default", async () => {
        const m = await messages("database-not-exposed", dbHost({ firewall: { defaultInbound: "allow", rules: [] } }));
        assert.match(m[0], /a firewall that accepts inbound traffic by default/);
    });

    it("fails for a firewall that opens 3306 to everybody", async () => {
        const m = await messages("database-not-exposed", dbHost({ firewall: { rules: [...PUBLIC_RULES, { port: 3306, proto: "tcp", from: "any" }] } }));
        assert.strictEqual(m.length, 1);
        assert.match(m[0], /db-01's firewall opens 3306 to everybody/);
    });

    it("fails for a firewall that lets a non-application address reach 3306", async () => {
        const rules = [...PUBLIC_RULES, { port: 3306, proto: "tcp" as const, from: "10.0.0.11" }, { port: 3306, proto: "tcp" as const, from: "10.0.0.0/8" }];
        const m = await messages("database-not-exposed", dbHost({ firewall: { rules } }));
        assert.strictEqual(m.length, 1);
        assert.match(m[0], /lets 10\.0\.0\.0\/8 reach 3306, which is not an application host \(10\.0\.0\.11 and 10\.0\.0\.12\)/);
    });

    it("accepts single-host CIDRs of the application hosts", async () => {
        const rules = [...PUBLIC_RULES, { port: 3306, proto: "tcp" as const, from: "10.0.0.11/32" }];
        assert.deepStrictEqual(await messages("database-not-exposed", dbHost({ firewall: { rules } })), []);
    });

    it("a published database port: loopback passes, an empty or missing ip means every interface", async () => {
        const withPort = (ip: string | undefined) =>
            seedDesign().map((h) => ({
                ...h,
                db: { bindAddress: "127.0.0.1", port: 3306 },
                container: { ports: [{ internal: 3306, external: 3306, ...(ip === undefined ? {} : { ip }) }] },
            }));
        assert.deepStrictEqual(await messages("database-not-exposed", withPort("127.0.0.1")), []);
        assert.strictEqual((await messages("database-not-exposed", withPort(undefined))).length, 1);
        assert.match((await messages("database-not-exposed", withPort("")))[0], /on 0\.0\.0\.0:3306/);
        assert.match((await messages("database-not-exposed", withPort("192.168.1.20")))[0], /on 192\.168\.1\.20:3306/);
    });

    it("the database step's own port counts as a database port; databasePorts adds more", async () => {
        const hosts = seedDesign().map((h) => ({
            ...h,
            firewall: false,   // the container's own firewall would filter them (next tests)
            db: { bindAddress: "127.0.0.1", port: 3307 },
            container: { ports: [{ internal: 3307, external: 3307, ip: "0.0.0.0" }, { internal: 5432, external: 5432, ip: "0.0.0.0" }] },
        }));
        const m = await messages("database-not-exposed", hosts);
        assert.strictEqual(m.length, 1);
        assert.match(m[0], /database port 3307/);
        assert.strictEqual((await messages("database-not-exposed", hosts, { databasePorts: [3306, 5432] })).length, 2);
    });

    it("a firewall already on is never the fix: a deny-by-default firewall that opens 3306 to everybody, or to a stranger", async () => {
        const open = [...PUBLIC_RULES, { port: 3306, proto: "tcp" as const, from: "any" }];
        const shared = await messages("database-not-exposed", seedDesign().map((h) => ({ ...h, firewall: { rules: open }, container: undefined })));
        assert.strictEqual(shared.length, 1);
        assert.match(shared[0], /web-01's firewall opens 3306 to everybody\. Fix: remove 3306 from `seed-web:firewallAllowPorts`, or `pulumi config set seed-web:dbBindAddress 127\.0\.0\.1`/);
        const separate = await messages("database-not-exposed", dbHost({ firewall: { rules: open } }));
        const stranger = await messages("database-not-exposed", dbHost({ firewall: { rules: [...PUBLIC_RULES, { port: 3306, proto: "tcp" as const, from: "10.0.0.0/8" }] } }));
        for (const m of [...shared, ...separate, ...stranger]) assert.doesNotMatch(m, /seed-web:firewall true/, m);
        assert.strictEqual(separate.length + stranger.length, 2);
    });

    it("a published database port bypasses the Docker machine's firewall; the container's own deny-by-default firewall still filters it", async () => {
        const published = (firewall: FakeHost["firewall"]) =>
            seedDesign().map((h) => ({ ...h, firewall, container: { ports: [{ internal: 3306, external: 3306, ip: "0.0.0.0" }] } }));
        // firewall on, 3306 closed: MySQL on 0.0.0.0 inside the container, the published port reaches nothing
        assert.deepStrictEqual(await messages("database-not-exposed", published(true)), []);
        const none = await messages("database-not-exposed", published(false));
        const container = none.find((m) => m.startsWith("container "))!;
        assert.match(container, /a published port bypasses the Docker machine's firewall, and the container has no firewall of its own/);
        assert.doesNotMatch(container, /firewall inside the container/);
        assert.match(container, /seed-web:firewall true/);
        const open = await messages("database-not-exposed", published({ rules: [...PUBLIC_RULES, { port: 3306, proto: "tcp", from: "any" }] }));
        assert.match(open.find((m) => m.startsWith("container "))!, /the container's firewall accepts inbound traffic by default or opens 3306 to everybody/);
        const allow = await messages("database-not-exposed", published({ defaultInbound: "allow", rules: [] }));
        assert.ok(allow.some((m) => m.startsWith("container web-01 publishes")), allow.join("\n"));
    });

    it("a host with the db role whose database step carries no facts is not assumed safe", async () => {
        const m = await messages("database-not-exposed", dbHost({ omit: ["database"] }));
        assert.strictEqual(m.length, 1);
        assert.match(m[0], /db-01 has the db role but no database step carrying facts/);
    });
});

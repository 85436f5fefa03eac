// Each policy passing and failing on hand-built stacks.

import * as assert from "assert";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
    FakeHost,
    fixedDesign,
    policy,
    PUBLIC_RULES,
    rawResources,
    resources,
    runPolicy,
    runResource,
    runStack,
    seedDesign,
    toPolicyResource,
    toPolicyResources,
} from "./fixtures";
import { firewallRequiredMetadata } from "../../policy/policies/firewall-required";

const stack = (name: string) => policy<StackValidationPolicy>(name);

/** Fixed design with one host changed. */
function fixedWith(host: string, change: Partial<FakeHost>): FakeHost[] {
    return fixedDesign().map((h) => (h.name === host ? { ...h, ...change } : h));
}

async function messages(name: string, hosts: FakeHost[], config?: Record<string, unknown> | string): Promise<string[]> {
    const out = await runPolicy(policy(name), resources(hosts), config);
    assert.strictEqual(out.undecided, undefined, `undecided: ${out.undecided?.message}`);
    return out.violations.map((v) => v.message);
}

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

describe("horizontal-scaling", () => {
    it("fails without a load balancer, passes with one", async () => {
        const m = await messages("horizontal-scaling", seedDesign());
        assert.strictEqual(m.length, 1);
        assert.match(m[0], /no load balancer in front of the web tier \(web-01\)/);
        assert.match(m[0], /seed-web:hosts/);
        assert.deepStrictEqual(await messages("horizontal-scaling", fixedDesign()), []);
    });

    it("an lb host that runs no load balancer does not count", async () => {
        const m = await messages("horizontal-scaling", fixedWith("lb-01", { omit: ["lb"] }));
        assert.match(m[0], /lb-01 has the lb role but runs no load balancer/);
    });
});

describe("app-db-separation", () => {
    it("fails when the database shares a host with web/app, passes on its own host", async () => {
        const m = await messages("app-db-separation", seedDesign());
        assert.strictEqual(m.length, 1);
        assert.match(m[0], /the database shares web-01 with the web\/app role/);
        assert.match(m[0], /seed-web:hosts/);
        assert.deepStrictEqual(await messages("app-db-separation", fixedDesign()), []);
    });
});

describe("monitoring-enabled", () => {
    it("one violation per host without monitoring", async () => {
        const m = await messages("monitoring-enabled", seedDesign());
        assert.deepStrictEqual(m.length, 1);
        assert.match(m[0], /^web-01 is not monitored.*seed-web:monitoring true/);
        assert.deepStrictEqual(await messages("monitoring-enabled", fixedDesign()), []);
        const partial = await messages("monitoring-enabled", fixedWith("db-01", { monitoring: false }));
        assert.strictEqual(partial.length, 1);
        assert.match(partial[0], /^db-01/);
    });
});

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

// Values unknown during preview: a policy answers "cannot decide yet" (an UnknownValueError the policy server turns
// into an advisory "can't run policy ... during preview"), never a pass, and still reports what it could decide.

import * as assert from "assert";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { CannotDecideYet } from "../../policy/policies";
import { fixedDesign, policy, raw, rawFacts, rawResources, RawResource, runPack, runResource, runStack, seedDesign, toPolicyResource, toPolicyResources, UNKNOWN } from "./fixtures";

// The class the policy server checks with `instanceof`.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { UnknownValueError } = require("@pulumi/policy") as { UnknownValueError: new (...a: unknown[]) => Error };

const stack = (name: string) => policy<StackValidationPolicy>(name);

function patched(base: RawResource[], patch: (rs: RawResource[]) => void) {
    patch(base);
    return toPolicyResources(base);
}

describe("unknown values during preview", () => {
    it("the proxy the server wraps props in throws on an unknown value (what the policies rely on)", () => {
        const rs = patched(rawResources(fixedDesign()), (r) => (rawFacts(r, "web-01-firewall").defaultInbound = UNKNOWN.string));
        const fw = rs.find((r) => r.name === "web-01-firewall")!;
        assert.throws(() => fw.props.triggers[0].defaultInbound, UnknownValueError);
        assert.strictEqual(fw.props.triggers[0].engine, "ufw");
    });

    it("an unknown firewall field: that host is undecided, the others are still checked", async () => {
        const rs = patched(rawResources(fixedDesign().map((h) => (h.name === "web-02" ? { ...h, firewall: false } : h))), (r) => {
            rawFacts(r, "web-01-firewall").defaultInbound = UNKNOWN.string;
        });
        const out = await runStack(stack("firewall-required"), rs);
        assert.strictEqual(out.violations.length, 1, "web-02 (no firewall) is still reported");
        assert.match(out.violations[0].message, /^web-02 has no firewall/);
        assert.ok(out.undecided instanceof UnknownValueError, "the server reports it as advisory 'can't run ... during preview'");
        assert.ok(out.undecided instanceof CannotDecideYet);
        assert.match(out.undecided.message, /^cannot check the firewall of web-01 until the values are known/);
        assert.match(out.undecided.message, /undecided, not passed/);
        assert.match(out.undecided.message, /\.triggers\.0\.defaultInbound can't be known during preview/);
    });

    it("a step whose whole triggers are unknown is attributed by its name <host>-<step>", async () => {
        const rs = patched(rawResources(fixedDesign()), (r) => (raw(r, "db-01-firewall").props.triggers = UNKNOWN.array));
        const fw = await runStack(stack("firewall-required"), rs);
        assert.deepStrictEqual(fw.violations, []);
        assert.match(fw.undecided!.message, /cannot check the firewall of db-01/);
        assert.match(fw.undecided!.message, /whether db-01 has a firewall step: the facts of db-01-firewall are unknown/);
        // A policy that does not need that step decides normally.
        const mon = await runStack(stack("monitoring-enabled"), rs);
        assert.deepStrictEqual(mon, { violations: [] });
        // The database check needs db-01's firewall: undecided, not passed.
        const db = await runStack(stack("database-not-exposed"), rs);
        assert.deepStrictEqual(db.violations, []);
        assert.match(db.undecided!.message, /cannot check database exposure of db-01/);
    });

    it("unknown facts of a base step leave the host's roles undecided", async () => {
        const rs = patched(rawResources(seedDesign()), (r) => {
            for (const x of r) if (x.type === "command:remote:Command") (x.props.triggers as unknown[])[0] = UNKNOWN.object;
        });
        for (const name of ["no-single-point-of-failure", "app-db-separation", "horizontal-scaling", "zero-downtime-maintenance", "backups-enabled"]) {
            const out = await runStack(stack(name), rs);
            assert.deepStrictEqual(out.violations, [], name);
            assert.ok(out.undecided instanceof CannotDecideYet, `${name} is undecided`);
            assert.match(out.undecided.message, /the roles of web-01/, name);
        }
    });

    it("an unknown element elsewhere in triggers (e.g. a secret output) does not matter", async () => {
        const rs = patched(rawResources(seedDesign()), (r) => {
            for (const x of r) if (x.type === "command:remote:Command") (x.props.triggers as unknown[]).push(UNKNOWN.string);
        });
        const out = await runPack(rs);
        assert.deepStrictEqual(out.undecided, []);
        assert.strictEqual(out.violations.length, 11);
    });

    it("unknown container ports: the published-port check is undecided, the MySQL check still fails", async () => {
        for (const patch of [
            (r: RawResource[]) => (raw(r, "web-01").props.ports = UNKNOWN.array),
            (r: RawResource[]) => ((raw(r, "web-01").props.ports as Record<string, unknown>[])[3].ip = UNKNOWN.string),
            (r: RawResource[]) => ((raw(r, "web-01").props.ports as unknown[])[0] = UNKNOWN.object),
        ]) {
            const out = await runStack(stack("database-not-exposed"), patched(rawResources(seedDesign()), patch));
            assert.strictEqual(out.violations.length, 1);
            assert.match(out.violations[0].message, /MySQL on web-01 listens on 0\.0\.0\.0:3306/);
            assert.match(out.undecided!.message, /cannot check database exposure of container web-01/);
        }
    });

    it("an unknown bind address is undecided, not a pass", async () => {
        const rs = patched(rawResources(fixedDesign()), (r) => (rawFacts(r, "db-01-database").bindAddress = UNKNOWN.string));
        const out = await runStack(stack("database-not-exposed"), rs);
        assert.deepStrictEqual(out.violations, []);
        assert.match(out.undecided!.message, /db-01.*\.triggers\.0\.bindAddress can't be known/);
    });

    it("an unknown TLS mode: https-required and trusted-certificate are undecided", async () => {
        const rs = patched(rawResources(fixedDesign()), (r) => (rawFacts(r, "lb-01-lb").tls = UNKNOWN.string));
        const https = await runStack(stack("https-required"), rs);
        assert.deepStrictEqual(https.violations, []);
        assert.match(https.undecided!.message, /cannot check HTTPS of lb-01/);
        const cert = await runResource(policy<ResourceValidationPolicy>("trusted-certificate"), rs.find((x) => x.name === "lb-01-lb")!);
        assert.match(cert.undecided!.message, /cannot check the certificate of lb-01-lb/);
    });

    it("trusted-certificate: unknown facts of a step that serves no TLS need no answer; of nginx they do", async () => {
        const base = rawResources(seedDesign());
        raw(base, "web-01-php").props.triggers = UNKNOWN.array;
        raw(base, "web-01-nginx").props.triggers = UNKNOWN.array;
        const p = policy<ResourceValidationPolicy>("trusted-certificate");
        assert.deepStrictEqual(await runResource(p, toPolicyResource(raw(base, "web-01-php"))), { violations: [] });
        const nginx = await runResource(p, toPolicyResource(raw(base, "web-01-nginx")));
        assert.ok(nginx.undecided instanceof CannotDecideYet);
    });

    it("a command that cannot be attributed (unknown facts, unconventional name) leaves every host-wide policy undecided", async () => {
        const base = rawResources(fixedDesign());
        base.push({ type: "command:remote:Command", name: "mystery", props: { triggers: UNKNOWN.array } });
        const out = await runPack(toPolicyResources(base));
        assert.deepStrictEqual(out.violations, []);
        const undecided = out.undecided.map((u) => u.policy).sort();
        assert.ok(undecided.includes("firewall-required"));
        assert.ok(undecided.includes("monitoring-enabled"));
        assert.ok(undecided.includes("database-not-exposed"));
        for (const u of out.undecided) assert.match(u.error.message, /mystery/);
    });
});

// The pack as a whole: names, metadata, settings and the shipped config example.

import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import type { StackValidationPolicy } from "@pulumi/policy";
import { catalog, metadataByName, PACK_NAME, policies } from "../../policy/policies";
import { SettingsError } from "../../policy/lib/settings";
import { fixedDesign, policy, resources, runPack, runStack, seedDesign, summary } from "./fixtures";
import { PROJECT_DIR } from "../../lib/root";
import { KNOWN_KEYS } from "../../lib/config";

const POLICY_DIR = path.join(PROJECT_DIR, "policy");

describe("policy pack", () => {
    it("has the expected policies with stable names, default levels and metadata", () => {
        assert.strictEqual(PACK_NAME, "seed-web");
        assert.deepStrictEqual(
            Object.fromEntries(policies.map((p) => [p.name, p.enforcementLevel])),
            {
                "firewall-required": "mandatory",
                "database-not-exposed": "mandatory",
                "https-required": "mandatory",
                "trusted-certificate": "advisory",
                "no-single-point-of-failure": "advisory",
                "zero-downtime-maintenance": "advisory",
                "horizontal-scaling": "advisory",
                "app-db-separation": "advisory",
                "monitoring-enabled": "advisory",
                "backups-enabled": "advisory",
                "pools-fit-memory": "advisory",
            },
        );
        for (const { policy: p, metadata } of catalog) {
            assert.strictEqual(metadata.name, p.name);
            assert.strictEqual(metadata.defaultLevel, p.enforcementLevel);
            assert.strictEqual(metadata.severity, p.severity);
            assert.strictEqual(metadata.remediationSteps, p.remediationSteps);
            assert.ok(p.description.length > 20 && metadata.designIssue.length > 10, p.name);
            assert.match(metadata.remediationSteps, /seed-web:/, p.name);
            assert.ok(metadataByName.get(p.name) === metadata);
        }
    });

    it("each policy names the config keys that fix it (fixKeys: where a SARIF result points) and whether it is a security finding", () => {
        for (const { metadata } of catalog) {
            for (const key of metadata.fixKeys) {
                assert.ok(KNOWN_KEYS.has(key), `${metadata.name}: fixKeys ${key} is not a config key`);
                assert.match(metadata.remediationSteps, new RegExp(`seed-web:${key}\\b`), `${metadata.name}: the remediation does not name ${key}`);
            }
        }
        // SARIF tags these "security" (with a security-severity), the rest "reliability".
        assert.deepStrictEqual(
            catalog.filter((c) => c.metadata.security).map((c) => c.policy.name),
            ["firewall-required", "database-not-exposed", "https-required", "trusted-certificate", "app-db-separation"],
        );
    });

    it("importing the policy list starts no server (policy/index.ts is the only PolicyPack)", () => {
        const files = fs.readdirSync(path.join(POLICY_DIR, "policies")).concat(fs.readdirSync(path.join(POLICY_DIR, "lib")));
        assert.ok(files.length > 10);
        for (const dir of ["policies", "lib"]) {
            for (const f of fs.readdirSync(path.join(POLICY_DIR, dir))) {
                assert.doesNotMatch(fs.readFileSync(path.join(POLICY_DIR, dir, f), "utf8"), /new PolicyPack/, `${dir}/${f}`);
            }
        }
        assert.match(fs.readFileSync(path.join(POLICY_DIR, "index.ts"), "utf8"), /new PolicyPack\(PACK_NAME/);
    });

    it("configSchema: no enforcementLevel property (the server refuses it), defaults are what the policies use", async () => {
        for (const p of policies) {
            assert.ok(p.configSchema, p.name);
            assert.ok(!("enforcementLevel" in p.configSchema.properties), p.name);
        }
        const defaults = (name: string) =>
            Object.fromEntries(Object.entries(policy(name).configSchema!.properties).map(([k, v]) => [k, (v as { default: unknown }).default]));
        assert.deepStrictEqual(defaults("firewall-required"), { publicPorts: [22, 80, 443] });
        assert.deepStrictEqual(defaults("zero-downtime-maintenance"), { minWebHosts: 2 });
        assert.deepStrictEqual(defaults("no-single-point-of-failure"), { roles: ["lb", "web", "db"], minHostsPerRole: 2 });
        // The CLI passes the defaults in getConfig(); passing them explicitly changes nothing.
        for (const p of policies) {
            const a = await runPack(resources(seedDesign()), { [p.name]: defaults(p.name) });
            const b = await runPack(resources(seedDesign()));
            assert.deepStrictEqual(a, b);
        }
    });

    it("a bad setting is an error naming the policy and the setting", async () => {
        await assert.rejects(
            runStack(policy<StackValidationPolicy>("firewall-required"), resources(seedDesign()), { publicPorts: "22" }),
            (e: Error) => e instanceof SettingsError && /firewall-required: publicPorts = "22": expected a list of integers/.test(e.message),
        );
        await assert.rejects(
            runStack(policy<StackValidationPolicy>("no-single-point-of-failure"), resources(seedDesign()), { roles: ["cache"] }),
            /no-single-point-of-failure: roles = \["cache"\]: expected a list from lb, web, db/,
        );
        await assert.rejects(
            runStack(policy<StackValidationPolicy>("zero-downtime-maintenance"), resources(seedDesign()), { minWebHosts: 0 }),
            /minWebHosts = 0: expected an integer of at least 1/,
        );
    });

    it("levels are overridable per policy, --policy-pack-config style", async () => {
        const out = await runPack(resources(seedDesign()), {
            "firewall-required": "advisory",
            "monitoring-enabled": { enforcementLevel: "mandatory" },
            "backups-enabled": "disabled",
        });
        const s = summary(out.violations);
        assert.ok(s.includes("firewall-required:advisory"));
        assert.ok(s.includes("monitoring-enabled:mandatory"));
        assert.ok(!s.some((x) => x.startsWith("backups-enabled")));
    });

    it("policy-config.example.json names real policies, levels and settings, and runs", async () => {
        const example = JSON.parse(fs.readFileSync(path.join(POLICY_DIR, "policy-config.example.json"), "utf8")) as Record<string, unknown>;
        for (const [name, value] of Object.entries(example)) {
            const p = policy(name);
            const levels = ["advisory", "mandatory", "disabled"];
            if (typeof value === "string") {
                assert.ok(levels.includes(value), `${name}: ${value}`);
                continue;
            }
            const { enforcementLevel, ...props } = value as Record<string, unknown>;
            if (enforcementLevel !== undefined) assert.ok(levels.includes(enforcementLevel as string), name);
            for (const k of Object.keys(props)) assert.ok(k in p.configSchema!.properties, `${name}.${k}`);
        }
        const seed = await runPack(resources(seedDesign()), example as Record<string, Record<string, unknown> | string>);
        assert.deepStrictEqual(summary(seed.violations), [
            "app-db-separation:advisory",
            "backups-enabled:mandatory",
            "database-not-exposed:mandatory",
            "database-not-exposed:mandatory",
            "firewall-required:mandatory",
            "horizontal-scaling:advisory",
            "https-required:advisory",
            "monitoring-enabled:advisory",
            "no-single-point-of-failure:advisory",
            "zero-downtime-maintenance:advisory",
        ]);
        const fixed = await runPack(resources(fixedDesign()), example as Record<string, Record<string, unknown> | string>);
        assert.deepStrictEqual(summary(fixed.violations), ["no-single-point-of-failure:advisory"]);
    });

    it("PulumiPolicy.yaml and the README table cover the pack", () => {
        const yaml = fs.readFileSync(path.join(POLICY_DIR, "PulumiPolicy.yaml"), "utf8");
        assert.match(yaml, /^runtime: nodejs$/m);
        const keys = yaml.split("\n").filter((l) => /^[a-z]+:/.test(l)).map((l) => l.split(":")[0]);
        for (const k of keys) assert.ok(["runtime", "version", "main", "description", "author", "website", "license"].includes(k), k);
        const pkg = JSON.parse(fs.readFileSync(path.join(POLICY_DIR, "package.json"), "utf8")) as { version: string };
        assert.match(yaml, new RegExp(`^version: ${pkg.version.replace(/\./g, "\\.")}$`, "m"));
        // The table policy ↔ design issue ↔ level ↔ fix lives in the project's README; the pack's README links to it.
        const readme = fs.readFileSync(path.join(POLICY_DIR, "..", "README.md"), "utf8");
        for (const p of policies) assert.match(readme, new RegExp(`\\| \`${p.name}\` \\|.*\\| ${p.enforcementLevel} \\|`), p.name);
        assert.match(readme, /(pulumi preview --policy-pack policy|npm run preview -- [a-z]+) --policy-pack-config policy\/policy-config\.example\.json/);
        assert.match(fs.readFileSync(path.join(POLICY_DIR, "README.md"), "utf8"), /\(\.\.\/README\.md#audit-the-policy-pack\)/);
    });
});

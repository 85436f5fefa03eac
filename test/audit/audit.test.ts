// The offline audit (tools/audit.ts): verdicts on the dev stack, policy config (levels, "all", settings), the three
// output formats (the CLI's text, JSON, SARIF 2.1.0 validated against the official schema), exit codes of the CLI as a
// child process, secrets, and the "cannot decide yet" path.

import * as assert from "assert";
import Ajv from "ajv";
import AjvDraft04 from "ajv-draft-04";
import addFormats from "ajv-formats";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { Capture } from "../../tools/capture";
import { render, runAudit } from "../../tools/audit";
import { analyzedResources, evaluate, UNKNOWN } from "../../tools/audit/evaluate";
import { reconcilePolicyConfig } from "../../tools/audit/policy-config";
import { toJson } from "../../tools/audit/report";
import { catalog, policies } from "../../policy/policies";
import { CliRun, DEV_VERDICTS, devStackText, ROOT, runCli, runInProcess, summary, tmpFile } from "./helpers";

const DEV = path.join(ROOT, "Pulumi.dev.yaml");
const FIXTURES = path.join(ROOT, "test", "fixtures");
const PACK = { name: "seed-web", version: "0.1.0", enforcementLevel: "advisory" as const };

describe("offline audit", () => {
    describe("the dev stack (the seed design)", () => {
        it("reports firewall-required, database-not-exposed and https-required as mandatory, and the single-server advisories", async () => {
            const r = await runAudit({ configFile: DEV });
            assert.strictEqual(r.stack, "dev");
            assert.strictEqual(r.stackFile, "Pulumi.dev.yaml");
            assert.deepStrictEqual(summary(r.violations), DEV_VERDICTS);
            assert.deepStrictEqual(
                [...new Set(r.violations.filter((v) => v.level === "mandatory").map((v) => v.policy))].sort(),
                ["database-not-exposed", "firewall-required", "https-required"],
            );
            // Every violation names a captured resource of the stack.
            for (const v of r.violations) {
                assert.match(v.urn, /^urn:pulumi:dev::seed-web::/);
                assert.ok(v.resourceName.startsWith("web-01"), v.resourceName);
                assert.ok(v.message.startsWith(`${v.description}\n`), v.message);
            }
        });

        it("prints them the way the Pulumi CLI prints policy violations", async () => {
            const text = render(await runAudit({ configFile: DEV }), "text");
            const lines = text.split("\n");
            assert.strictEqual(lines[0], "Policies:");
            assert.strictEqual(lines[1], "    ❌ seed-web@v0.1.0 (local: policy)");
            const heads = lines.filter((l) => l.startsWith("        - ["));
            assert.strictEqual(heads.length, 10);
            for (const h of heads) assert.match(h, /^ {8}- \[(advisory|mandatory)\] {2}[a-z-]+ {2}\([a-z]+:[a-z]+:[A-Za-z]+: [a-z0-9-]+\)$/);
            // The CLI's order: level (advisory < mandatory), then policy name, then URN.
            assert.match(heads[0], /\[advisory\] {2}app-db-separation/);
            assert.match(heads[9], /\[mandatory\] {2}https-required {2}\(command:remote:Command: web-01-nginx\)$/);
            const fw = lines.indexOf(heads.find((h) => h.includes("firewall-required"))!);
            assert.strictEqual(lines[fw + 1], `          ${catalog[0].policy.description}`);
            assert.match(lines[fw + 2], /^ {10}web-01 has no firewall/);
            assert.match(text, /\n\nAudit of stack dev \(Pulumi\.dev\.yaml\): \d+ resources, 11 policies: 3 mandatory, 7 advisory violations\.\n$/);
        });

        it("URNs are the engine's: the types of the whole parent chain joined by $ (what `pulumi up --target` matches)", async () => {
            let capture: Capture | undefined;
            await runAudit({ configFile: path.join(ROOT, "Pulumi.distributed.yaml"), inspect: (c) => (capture = c) });
            const byUrn = new Map(capture!.resources.map((r) => [r.urn, r]));
            const typeOf = (urn: string) => urn.split("::")[2];
            for (const r of capture!.resources) {
                const expected = r.parent ? `${typeOf(r.parent)}$${r.type}` : r.type;
                assert.strictEqual(r.urn, `urn:pulumi:distributed::seed-web::${expected}::${r.name}`);
                if (r.parent) assert.ok(byUrn.has(r.parent), `${r.name}'s parent is captured`);
            }
            const base = capture!.resources.find((r) => r.name === "web-01-base" && r.type === "command:remote:Command")!;
            assert.strictEqual(base.urn, "urn:pulumi:distributed::seed-web::seed-web:index:WebStack$seed-web:infra:Host$seed-web:lemp:BaseSystem$command:remote:Command::web-01-base");
            // SARIF: the logical location is the engine's URN, and the fingerprint is built over it
            const r = await runAudit({ configFile: DEV });
            const sarif = JSON.parse(render(r, "sarif"));
            const fw = r.violations.find((v) => v.policy === "firewall-required")!;
            const result = sarif.runs[0].results.find((x: { ruleId: string }) => x.ruleId === "firewall-required");
            assert.strictEqual(result.locations[0].logicalLocations[0].fullyQualifiedName, "urn:pulumi:dev::seed-web::seed-web:index:WebStack$seed-web:infra:Host$seed-web:lemp:BaseSystem$command:remote:Command::web-01-base");
            const expected = crypto.createHash("sha256").update(`firewall-required\0${fw.urn}\0${fw.message}`).digest("hex");
            assert.deepStrictEqual(result.partialFingerprints, { "seedWebViolation/v2": expected });
        });

        it("--preview: the same verdicts (the mocks know every input the policies read)", async () => {
            const r = await runAudit({ configFile: DEV, preview: true });
            assert.deepStrictEqual(summary(r.violations), DEV_VERDICTS);
        });
    });

    describe("the improved stacks", () => {
        it("hardened (one server with every fix one server can have): only what one server cannot fix, as advisories", async () => {
            const r = await runAudit({ configFile: path.join(ROOT, "Pulumi.hardened.yaml") });
            assert.strictEqual(r.violations.filter((v) => v.level === "mandatory").length, 0);
            assert.deepStrictEqual(
                [...new Set(r.violations.map((v) => v.policy))].sort(),
                ["app-db-separation", "horizontal-scaling", "no-single-point-of-failure", "zero-downtime-maintenance"],
            );
        });

        it("distributed (lb, two web hosts, primary and replica): the single load balancer is the one advisory left", async () => {
            const r = await runAudit({ configFile: path.join(ROOT, "Pulumi.distributed.yaml") });
            assert.deepStrictEqual(summary(r.violations), ["no-single-point-of-failure:advisory"]);
            assert.strictEqual(r.violations[0].resourceName, "lb-01-base");
        });
    });

    describe("--policy-pack-config", () => {
        it("levels: the three mandatory policies made advisory leave no mandatory violation", async () => {
            const cfg = tmpFile("advisory.json", JSON.stringify({
                "firewall-required": "advisory",
                "database-not-exposed": { enforcementLevel: "advisory" },
                "https-required": "advisory",
            }));
            const r = await runAudit({ configFile: DEV, policyConfigFile: cfg });
            assert.strictEqual(r.violations.filter((v) => v.level === "mandatory").length, 0);
            assert.strictEqual(r.violations.length, 10);
        });

        it('"all" sets every level, a policy\'s own entry wins; disabled drops a policy; remediate reports as mandatory', async () => {
            const cfg = tmpFile("all.json", JSON.stringify({ all: "disabled", "firewall-required": "remediate", "backups-enabled": "advisory" }));
            const r = await runAudit({ configFile: DEV, policyConfigFile: cfg });
            assert.deepStrictEqual(summary(r.violations), ["backups-enabled:advisory", "firewall-required:mandatory"]);
            const all = await runAudit({ configFile: DEV, policyConfigFile: tmpFile("all-m.json", '{"all": "mandatory"}') });
            assert.ok(all.violations.every((v) => v.level === "mandatory") && all.violations.length === 10);
        });

        it("settings: a threshold override (minHostsPerRole 1) removes the redundancy advisories; defaults apply otherwise", async () => {
            const cfg = tmpFile("threshold.json", JSON.stringify({ "no-single-point-of-failure": { minHostsPerRole: 1 } }));
            const r = await runAudit({ configFile: DEV, policyConfigFile: cfg });
            assert.deepStrictEqual(summary(r.violations), DEV_VERDICTS.filter((v) => !v.startsWith("no-single-point-of-failure")));
            const reconciled = reconcilePolicyConfig(policies, { "no-single-point-of-failure": { properties: { minHostsPerRole: 1 } } });
            assert.deepStrictEqual(reconciled["no-single-point-of-failure"], { enforcementLevel: "advisory", properties: { roles: ["lb", "web", "db"], minHostsPerRole: 1 } });
            assert.deepStrictEqual(reconciled["firewall-required"].properties, { publicPorts: [22, 80, 443] });
        });

        it("the shipped example config (policy/policy-config.example.json)", async () => {
            const r = await runAudit({ configFile: DEV, policyConfigFile: path.join(ROOT, "policy", "policy-config.example.json") });
            assert.deepStrictEqual(summary(r.violations), [
                "app-db-separation:advisory",
                "backups-enabled:mandatory",
                "database-not-exposed:mandatory",
                "firewall-required:mandatory",
                "horizontal-scaling:advisory",
                "https-required:advisory",
                "monitoring-enabled:advisory",
                "no-single-point-of-failure:advisory", // db dropped from the roles: web only
                "zero-downtime-maintenance:advisory",
            ]);
        });
    });

    describe("formats", () => {
        it("json: the documented shape (test/fixtures/audit-report.schema.json) with counts per level", async () => {
            const text = render(await runAudit({ configFile: DEV }), "json");
            const report = JSON.parse(text);
            const schema = JSON.parse(fs.readFileSync(path.join(FIXTURES, "audit-report.schema.json"), "utf8"));
            const ajv = new Ajv({ allErrors: true, strict: true });
            const validate = ajv.compile(schema);
            assert.ok(validate(JSON.parse(text)), JSON.stringify(validate.errors, null, 2));
            assert.deepStrictEqual(report.policyPack, { name: "seed-web", version: "0.1.0", path: "policy" });
            assert.deepStrictEqual(report.counts, { mandatory: 3, advisory: 7, total: 10 });
            assert.strictEqual(report.passed, false);
            const fw = report.violations.find((v: { policy: string }) => v.policy === "firewall-required");
            assert.deepStrictEqual(fw.resource, {
                type: "command:remote:Command",
                name: "web-01-base",
                urn: "urn:pulumi:dev::seed-web::seed-web:index:WebStack$seed-web:infra:Host$seed-web:lemp:BaseSystem$command:remote:Command::web-01-base",
            });
            assert.strictEqual(fw.severity, "high");
        });

        it("sarif: valid against the official SARIF 2.1.0 schema, with what GitHub code scanning needs", async () => {
            const r = await runAudit({ configFile: DEV });
            const text = render(r, "sarif");
            const sarif = JSON.parse(text);
            const schema = JSON.parse(fs.readFileSync(path.join(FIXTURES, "sarif", "sarif-2.1.0-rtm.5.json"), "utf8"));
            // The schema's language-tag pattern is not a valid unicode-mode RegExp: compile patterns without the u flag.
            const ajv = new AjvDraft04({ allErrors: true, strict: false, unicodeRegExp: false });
            addFormats(ajv);
            const validate = ajv.compile(schema);
            assert.ok(validate(JSON.parse(text)), JSON.stringify(validate.errors?.slice(0, 5), null, 2));

            assert.strictEqual(sarif.version, "2.1.0");
            const run = sarif.runs[0];
            assert.strictEqual(run.tool.driver.name, "seed-web");
            assert.strictEqual(run.tool.driver.version, "0.1.0");
            const rules = run.tool.driver.rules as { id: string; shortDescription: { text: string }; help: { text: string }; properties: Record<string, unknown> }[];
            assert.deepStrictEqual(rules.map((x) => x.id), catalog.map((c) => c.policy.name));
            for (const rule of rules) {
                assert.ok(rule.shortDescription.text.length > 10 && rule.help.text.includes("seed-web:"), rule.id);
            }
            const sev = (id: string) => rules.find((x) => x.id === id)!.properties["security-severity"];
            assert.strictEqual(sev("firewall-required"), "8.0");
            assert.strictEqual(sev("monitoring-enabled"), undefined);
            assert.strictEqual(run.results.length, 10);
            const levels = run.results.map((x: { level: string }) => x.level).sort();
            assert.deepStrictEqual(levels, [...Array(3).fill("error"), ...Array(7).fill("warning")]);
            for (const res of run.results) {
                assert.strictEqual(rules[res.ruleIndex].id, res.ruleId);
                const loc = res.locations[0];
                assert.strictEqual(loc.physicalLocation.artifactLocation.uri, "Pulumi.dev.yaml");
                assert.ok(loc.physicalLocation.region.startLine >= 1);
                assert.match(loc.logicalLocations[0].fullyQualifiedName, /^urn:pulumi:dev::seed-web::/);
            }
            // The firewall result points at the line of seed-web:firewall in the stack file.
            const fw = run.results.find((x: { ruleId: string }) => x.ruleId === "firewall-required");
            const line = devStackText().split("\n").findIndex((l) => l.startsWith("  seed-web:firewall:")) + 1;
            assert.strictEqual(fw.locations[0].physicalLocation.region.startLine, line);
        });
    });

    it("secrets: no generated or configured secret appears in any format", async () => {
        const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAthisIsTheAuditTestKeyDoNotPrint0123456789\n-----END OPENSSH PRIVATE KEY-----";
        const stackFile = tmpFile("Pulumi.ssh.yaml", [
            "config:",
            "  seed-web:sshPrivateKey:",
            "    secure: v1:AAAAencrypted",
            "  seed-web:hosts:",
            "    - name: web-01",
            "      roles: [web, app, db]",
            "      connection: { type: ssh, address: 203.0.113.10, user: ubuntu }",
        ].join("\n"));
        let capture: Capture | undefined;
        const r = await runAudit({ configFile: stackFile, secrets: { sshPrivateKey: key }, inspect: (c) => (capture = c) });
        assert.ok(capture && capture.generatedSecrets.length >= 2);
        assert.ok(capture.generatedSecrets.includes(key));
        for (const format of ["text", "json", "sarif"] as const) {
            const out = render(r, format);
            for (const s of capture.generatedSecrets) assert.ok(!out.includes(s), `${format} leaks a secret`);
            assert.ok(!out.includes("thisIsTheAuditTestKey"), format);
        }
        assert.strictEqual(r.stack, "ssh");
    });

    it("cannot decide yet: an unknown fact gives the server's advisory \"can't run policy ... during preview\" (a SARIF note)", async () => {
        const r = await runAudit({ configFile: DEV, inspect: (c) => {
            const db = c.resources.find((x) => x.name === "web-01-database" && x.type === "command:remote:Command")!;
            const facts = (db.inputs.triggers as Record<string, unknown>[])[0];
            db.inputs = { ...db.inputs, triggers: [{ ...facts, bindAddress: UNKNOWN }] };
            db.state = { ...db.state, triggers: db.inputs.triggers };
        } });
        const db = r.violations.filter((v) => v.policy === "database-not-exposed");
        assert.strictEqual(db.length, 1);
        assert.strictEqual(db[0].level, "advisory");
        assert.ok(db[0].undecided);
        assert.match(db[0].message, /^can't run policy 'database-not-exposed' from policy pack 'seed-web@v0\.1\.0' during preview: cannot check database exposure of web-01 until the values are known/);
        const sarif = JSON.parse(render(r, "sarif"));
        assert.strictEqual(sarif.runs[0].results.find((x: { ruleId: string }) => x.ruleId === "database-not-exposed").level, "note");
        assert.strictEqual(toJson(r).violations.find((v) => v.policy === "database-not-exposed")!.undecided, true);
    });

    it("evaluate() on its own: disabled policies are skipped and no policy sees a wrapped secret", async () => {
        const { captureProgram } = await import("../../tools/capture");
        const { readStackFile } = await import("../../tools/stack-config");
        const c = await captureProgram({ raw: readStackFile(DEV).raw, stack: "dev" });
        const rs = analyzedResources(c, { stack: "dev", project: "seed-web" });
        assert.strictEqual(rs.filter((x) => x.type === "pulumi:pulumi:Stack").length, 1);
        assert.strictEqual(new Set(rs.map((x) => x.urn)).size, rs.length);
        const cfg = reconcilePolicyConfig(policies, { all: { enforcementLevel: "disabled" } });
        assert.deepStrictEqual(await evaluate(rs, policies, cfg, PACK), []);
    });

    describe("the CLI: exit codes and messages (one child process each for a report and for bad input, main() for the rest)", () => {
        // A child process shows what only a process can (exit code, stdout flushed before exit, nothing else on the
        // streams); the other cases call the same main() in this process, one after the other.
        const CHILD = new Set(["dev", "unknownFlag"]);
        const runs = new Map<string, Promise<CliRun>>();
        let queue: Promise<unknown> = Promise.resolve();
        const run = (name: string, args: string[]) => {
            if (!runs.has(name)) {
                const r = CHILD.has(name) ? runCli(args) : queue.then(() => runInProcess(args));
                if (!CHILD.has(name)) queue = r.catch(() => undefined);
                runs.set(name, r);
            }
            return runs.get(name)!;
        };
        const badProgram = tmpFile("Pulumi.bad.yaml", devStackText().replace("seed-web:tls: none", "seed-web:tls: sometimes"));
        const allAdvisory = tmpFile("all-advisory.json", '{ "all": "advisory" }');
        const badLevel = tmpFile("bad-level.json", '{ "firewall-required": "strict" }');
        const badSetting = tmpFile("bad-setting.json", '{ "firewall-required": { "publicPorts": ["22"] } }');
        const unknownPolicy = tmpFile("unknown-policy.json", '{ "firewal-required": "disabled" }');
        const cases: Record<string, string[]> = {
            dev: ["--stack", "dev"],
            devConfig: ["--config", "Pulumi.dev.yaml", "--format", "json"],
            advisory: ["--stack", "dev", "--policy-pack-config", allAdvisory, "--format", "sarif"],
            unknownFlag: ["--stack", "dev", "--fromat", "json"],
            noStack: ["--stack", "nosuchstack"],
            badFormat: ["--stack", "dev", "--format", "xml"],
            badProgram: ["--config", badProgram],
            badLevel: ["--stack", "dev", "--policy-pack-config", badLevel],
            badSetting: ["--stack", "dev", "--policy-pack-config", badSetting],
            unknownPolicy: ["--stack", "dev", "--policy-pack-config", unknownPolicy],
            missingPolicyConfig: ["--stack", "dev", "--policy-pack-config", "/nonexistent/policy.json"],
        };
        before(function () {
            this.timeout(120_000);   // the two child processes (started together), on a busy machine
            return Promise.all([...CHILD].map((name) => run(name, cases[name])));
        });

        it("0 without mandatory violations, 5 with one (the CLI's policy-violation code)", async () => {
            const dev = await run("dev", cases.dev);
            assert.strictEqual(dev.code, 5, dev.stderr);
            assert.match(dev.stdout, /^Policies:\n {4}❌ seed-web@v0\.1\.0 \(local: policy\)\n/);
            assert.strictEqual(dev.stderr, "");
            const json = await run("devConfig", cases.devConfig);
            assert.strictEqual(json.code, 5, json.stderr);
            assert.strictEqual(json.stderr, "");
            assert.deepStrictEqual(JSON.parse(json.stdout).counts, { mandatory: 3, advisory: 7, total: 10 });
            const adv = await run("advisory", cases.advisory);
            assert.strictEqual(adv.code, 0, adv.stderr);
            const sarif = JSON.parse(adv.stdout);
            assert.ok(sarif.runs[0].results.every((x: { level: string }) => x.level === "warning"));
        });

        it("--output FILE: the report in the file, nothing on stdout, the summary line on stderr", async () => {
            const file = tmpFile("report.json", "");
            const r = await runInProcess(["--stack", "dev", "--format", "json", "--output", file]);
            assert.strictEqual(r.code, 5, r.stderr);
            assert.strictEqual(r.stdout, "");
            assert.match(r.stderr, /^dev: 3 mandatory, 7 advisory violation\(s\); json report written to .*report\.json\n$/);
            assert.deepStrictEqual(JSON.parse(fs.readFileSync(file, "utf8")).counts, { mandatory: 3, advisory: 7, total: 10 });
        });

        it("2 for bad input, with a clear message on stderr and nothing on stdout", async () => {
            const expect: Record<string, RegExp> = {
                unknownFlag: /Unknown option '--fromat'/,
                noStack: /cannot read stack config .*Pulumi\.nosuchstack\.yaml: ENOENT: no stack "nosuchstack"; the stacks here: dev, distributed, hardened$/m,
                badFormat: /--format must be text, json or sarif, not "xml"/,
                badProgram: /invalid config seed-web:tls = "sometimes"/,
                badLevel: /parsing enforcement level for "firewall-required": "strict" is not a valid enforcement level/,
                badSetting: /firewall-required: publicPorts\.0 must be integer/,
                unknownPolicy: /unknown policy "firewal-required"/,
                missingPolicyConfig: /cannot read policy pack config \/nonexistent\/policy\.json: ENOENT/,
            };
            for (const [name, re] of Object.entries(expect)) {
                const r = await run(name, cases[name]);
                assert.strictEqual(r.code, 2, `${name}: ${r.stderr}`);
                assert.match(r.stderr, re, name);
                assert.match(r.stderr, /^error: /, name);
                assert.strictEqual(r.stdout, "", name);
            }
        });
    });
});

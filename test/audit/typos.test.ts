// Silent typos (issue 23): a misspelt policy setting or policy name, a stack file whose keys sit outside `config:`,
// unknown top-level keys, a misspelt project namespace, Pulumi ESC imports: each refused (exit 2) with the offending
// name and the closest known one. Every policy disabled: a warning (the run checked nothing).

import * as assert from "assert";
import { closestName } from "../../tools/cli";
import { devStackText, runInProcess, tmpFile } from "./helpers";

const audit = runInProcess;

describe("audit: silent typos are refused", function () {
    this.timeout(60000);

    it("a misspelt policy setting (minHostPerRole): exit 2, the policy, the setting and the closest known one named", async () => {
        const cases: [string, RegExp][] = [
            ['{ "no-single-point-of-failure": { "minHostPerRole": 1 } }', /no-single-point-of-failure: unknown setting "minHostPerRole" \(did you mean "minHostsPerRole"\?\); its settings are roles, minHostsPerRole/],
            ['{ "no-single-point-of-failure": { "enforcementlevel": "advisory" } }', /unknown setting "enforcementlevel"/],
            ['{ "firewall-required": { "publicPort": [22] } }', /firewall-required: unknown setting "publicPort" \(did you mean "publicPorts"\?\)/],
            ['{ "monitoring-enabled": { "anything": true } }', /monitoring-enabled: unknown setting "anything"/],
            ['{ "https-requird": "advisory" }', /unknown policy "https-requird" \(did you mean "https-required"\?\)/],
            ['{ "al": "advisory" }', /unknown policy "al" \(did you mean "all"\?\)/],
        ];
        for (const [json, re] of cases) {
            const r = await audit(["--stack", "dev", "--policy-pack-config", tmpFile("typo.json", json)]);
            assert.strictEqual(r.code, 2, `${json}: ${r.stderr}`);
            assert.match(r.stderr, re, json);
            assert.strictEqual(r.stdout, "");
        }
    });

    it('{"all": "disabled"}: a warning that nothing was checked (exit 0 stays: no policy failed)', async () => {
        const r = await audit(["--stack", "dev", "--policy-pack-config", tmpFile("off.json", '{ "all": "disabled" }')]);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /^warning: every policy of the pack is disabled by .*off\.json: nothing is checked/m);
        const one = await audit(["--stack", "dev", "--policy-pack-config", tmpFile("one.json", '{ "all": "disabled", "backups-enabled": "advisory" }')]);
        assert.doesNotMatch(one.stderr, /warning/);
    });

    it("stack files: keys outside config:, unknown top-level keys, a misspelt namespace, ESC imports", async () => {
        const dev = devStackText();
        const cases: [string, RegExp][] = [
            [`${dev}seed-web:tls: self-signed\n`, /unknown top-level key "seed-web:tls": a config key outside "config:"/],
            ["firewall: true\n", /unknown top-level key "firewall": a config key outside "config:"/],
            [dev.replace(/^config:/m, "confg:"), /unknown top-level key "confg": not a stack file key .*\(did you mean "config"\?\)/],
            [`secretsprovider: passphrase\nencryptionsalt: v1:x\nbackend: file://\n${dev}`, /unknown top-level key "backend"/],
            [dev.replace("seed-web:firewall:", "seedweb:firewall:"), /config key "seedweb:firewall": namespace "seedweb" is not the project's \(did you mean "seed-web:firewall"\?\)/],
            [`environment:\n  - prod/secrets\n  - shared\n${dev}`, /"environment" imports the Pulumi ESC environments "prod\/secrets", "shared", which the offline tools cannot read/],
            [`environment: [one]\n${dev}`, /ESC environment "one"/],
        ];
        for (const [text, re] of cases) {
            const r = await audit(["--config", tmpFile("Pulumi.typo.yaml", text)]);
            assert.strictEqual(r.code, 2, `${text.slice(0, 60)}: ${r.stderr}`);
            assert.match(r.stderr, re);
        }
        // what the Pulumi CLI writes there, and another provider's keys, stay accepted
        const ok = await audit(["--config", tmpFile("Pulumi.ok.yaml", `secretsprovider: passphrase\nencryptionsalt: v1:abc\n${dev}  aws:region: eu-west-1\n`)]);
        assert.strictEqual(ok.code, 5, ok.stderr);
    });

    it("closestName: a typo's distance, not any name", () => {
        assert.strictEqual(closestName("minHostPerRole", ["roles", "minHostsPerRole"]), "minHostsPerRole");
        assert.strictEqual(closestName("MINHOSTSPERROLE", ["minHostsPerRole"]), "minHostsPerRole");
        assert.strictEqual(closestName("zzz", ["roles", "minHostsPerRole"]), undefined);
    });
});

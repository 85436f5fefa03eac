// The user's application as releases (issue 20): its config, its id, and the commands the program sends.
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigError, loadConfig, RawConfig } from "../../lib/config";
import { composerNeeds, releaseTree } from "../../lib/release";
import { PROJECT_DIR } from "../../lib/root";
import { captureProgram, plannedCommands, reveal } from "../../tools/capture";
import { driftOf } from "../../tools/verify/drift";
import { observeHost, parseSections } from "../../tools/verify/observe";
import { FACTS_SCHEMA, ReleaseFacts, StageFacts } from "@seed-web/facts";
import { HARDENED, plainHttp } from "./verify-fixtures";

const APP = "test/fixtures/app";
const SSH_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbC1mb3ItdGVzdHM=\n-----END OPENSSH PRIVATE KEY-----\n";
const ssh = (name: string, roles: string[], address: string) => ({ name, roles, connection: { type: "ssh", address } });
const DIST: RawConfig = {
    hosts: JSON.stringify([ssh("lb", ["lb"], "10.0.0.10"), ssh("w1", ["web", "app"], "10.0.0.11"), ssh("w2", ["web", "app"], "10.0.0.12"), ssh("w3", ["web", "app"], "10.0.0.13"), ssh("db", ["db"], "10.0.0.14")]),
    dbBindAddress: "auto",
};

function refuses(raw: RawConfig, key: string, says: RegExp) {
    assert.throws(
        () => loadConfig(raw),
        (e: unknown) => {
            assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${e}`);
            assert.strictEqual(e.key, key);
            assert.match(e.message, says);
            return true;
        },
    );
}

/** The id scripts/stage.sh computes on a host for a directory (its own function, run by bash). */
function scriptTreeId(dir: string): string {
    const text = fs.readFileSync(path.join(PROJECT_DIR, "scripts", "stage.sh"), "utf8");
    const fn = /^tree_id\(\) \{[^\n]*\n(.*?)\n\}$/ms.exec(text);
    assert.ok(fn, "stage.sh defines tree_id");
    return execFileSync("bash", ["-c", `set -euo pipefail\ntree_id() {\n${fn[1]}\n}\ntree_id "$1"`, "x", dir], { encoding: "utf8" }).trim();
}

describe("release: the user's application (appSource)", () => {
    let tmp: string;
    beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-release-"))));
    afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it("the release id is the one stage.sh computes on the host over the same files; one changed byte changes it", () => {
        fs.cpSync(path.join(PROJECT_DIR, APP), tmp, { recursive: true });
        fs.mkdirSync(path.join(tmp, "a b", "ü"), { recursive: true });
        fs.writeFileSync(path.join(tmp, "a b", "ü", "x.txt"), "x");
        fs.writeFileSync(path.join(tmp, "Z"), "");
        fs.writeFileSync(path.join(tmp, "a"), "sorted by bytes");
        const t = releaseTree(tmp);
        assert.ok(!("error" in t));
        assert.match(t.id, /^[0-9a-f]{20}$/);
        assert.strictEqual(t.id, scriptTreeId(tmp));
        fs.appendFileSync(path.join(tmp, "Z"), " ");
        const t2 = releaseTree(tmp);
        assert.ok(!("error" in t2));
        assert.notStrictEqual(t2.id, t.id);
        assert.strictEqual(t2.id, scriptTreeId(tmp));
    });

    it("bad input is refused naming the key, before any resource: a missing directory, a document root outside it, a link", () => {
        refuses({ appSource: "no/such/dir" }, "appSource", /no such directory/);
        refuses({ appSource: "package.json" }, "appSource", /not a directory/);
        refuses({ appSource: APP, appDocRoot: "../public" }, "appDocRoot", /inside the application/);
        refuses({ appSource: APP, appDocRoot: "/var/www" }, "appDocRoot", /inside the application/);
        refuses({ appSource: APP, appDocRoot: "public/./x" }, "appDocRoot", /inside the application/);
        refuses({ appSource: APP, appDocRoot: "web" }, "appDocRoot", /no such directory/);
        refuses({ appSource: APP, appShared: '["../etc"]' }, "appShared[0]", /inside the application/);
        refuses({ appSource: APP, appShared: '["storage", "storage/cache"]' }, "appShared[0]", /overlaps appShared\[1\]/);
        refuses({ appSource: APP, appDocRoot: "public", appShared: '["public"]' }, "appShared[0]", /document root/);
        refuses({ appSource: APP, appHealthPath: "health" }, "appHealthPath", /starting with \//);
        refuses({ appSource: APP, appHealthPath: "/health.php" }, "appHealthPath", /stack's own health check/);
        refuses({ appSource: APP, appRelease: "v1" }, "appRelease", /20 hex digits/);
        refuses({ appSource: APP, appKeepReleases: "1" }, "appKeepReleases", /from 2 to 50/);
        refuses({ appSource: APP, appMigrate: "a\nb" }, "appMigrate", /one command line/);
        refuses({ appDocRoot: "public" }, "appDocRoot", /needs appSource/);
        fs.writeFileSync(path.join(tmp, "index.php"), "<?php");
        fs.symlinkSync("/etc/passwd", path.join(tmp, "leak"));
        refuses({ appSource: tmp }, "appSource", /leak is a symbolic link/);
    });

    it("without appSource: the demo page, no stage or release step, no upload (the program as before)", async () => {
        const capture = await captureProgram({ raw: DIST, secrets: { sshPrivateKey: SSH_KEY }, sshAgentSocket: "/tmp/agent.sock" });
        assert.ok(!capture.resources.some((r) => r.type === "command:remote:CopyToRemote"));
        assert.ok(!plannedCommands(capture).some((p) => p.facts.step === "release" || p.facts.step === "stage"));
    });

    it("each web host stages the release (its files, then a stage step), all of them before the first switch; then the release steps one host after the other; nginx and smoke serve it", async () => {
        const raw = { ...DIST, appSource: APP, appDocRoot: "public", appShared: '["storage"]', appHealthPath: "/health", appMigrate: "php bin/migrate" };
        const capture = await captureProgram({ raw, secrets: { sshPrivateKey: SSH_KEY }, sshAgentSocket: "/tmp/agent.sock" });
        const id = (releaseTree(path.join(PROJECT_DIR, APP)) as { id: string }).id;
        const copies = capture.resources.filter((r) => r.type === "command:remote:CopyToRemote");
        assert.deepStrictEqual(copies.map((c) => c.name), ["w1-upload", "w2-upload", "w3-upload"]);
        for (const c of copies) {
            const inputs = reveal(c.inputs) as { remotePath: string; triggers: string[] };
            assert.strictEqual(inputs.remotePath, `/tmp/seed-web-upload-${id}`);
            assert.deepStrictEqual(inputs.triggers, [id]);
        }
        const plan = plannedCommands(capture);
        const stages = plan.filter((p) => p.facts.step === "stage");
        const releases = plan.filter((p) => p.facts.step === "release");
        assert.deepStrictEqual(stages.map((p) => p.name), ["w1-stage", "w2-stage", "w3-stage"]);
        assert.deepStrictEqual(releases.map((p) => p.name), ["w1-release", "w2-release", "w3-release"]);
        // staged one host after the other (the first one migrates), each after its host's app step
        assert.ok(stages[1].after.includes("w1-stage") && stages[2].after.includes("w2-stage"));
        assert.ok(stages.every((p) => p.after.includes(`${p.facts.host}-app`)));
        // no host switches before every host has staged and checked the release: the first release step waits for
        // the last stage; then rolling: w2's waits for w1's, w3's for w2's
        for (const r of releases) for (const st of stages) assert.ok(r.after.includes(st.name), `${r.name} after ${st.name}`);
        assert.ok(releases[1].after.includes("w1-release") && releases[2].after.includes("w2-release"));
        // in the order the harness runs them: every stage before the first release
        const order = plan.map((p) => p.name);
        assert.ok(Math.max(...stages.map((p) => order.indexOf(p.name))) < Math.min(...releases.map((p) => order.indexOf(p.name))));
        const uploadUrn = new Map(copies.map((c) => [c.name, c.urn]));
        for (const r of capture.resources.filter((x) => x.name.endsWith("-stage") && x.type === "command:remote:Command")) {
            assert.ok(r.dependsOn.includes(uploadUrn.get(r.name.replace("-stage", "-upload"))!), r.name);
        }
        // the migration on the first web host only, when it stages
        assert.deepStrictEqual(stages.map((p) => p.create.includes("LEMP_APP_MIGRATE='")), [true, false, false]);
        assert.deepStrictEqual(stages.map((p) => (p.facts as StageFacts).migrates), [true, false, false]);
        for (const p of stages) {
            assert.ok(p.create.includes(`LEMP_APP_RELEASE='${id}'`), p.name);
            assert.ok(p.create.includes(`LEMP_APP_UPLOAD='/tmp/seed-web-upload-${id}'`), p.name);
            assert.ok(p.create.includes("LEMP_APP_SHARED='storage'") && p.create.includes("LEMP_APP_HEALTH_PATH='/health'"), p.name);
            assert.strictEqual(p.stdin, undefined, "no secret reaches the stage step");
        }
        for (const p of releases) {
            assert.ok(p.create.includes(`LEMP_APP_RELEASE='${id}'`), p.name);
            assert.ok(!p.create.includes("LEMP_APP_UPLOAD='") && !p.create.includes("LEMP_APP_MIGRATE='"), `${p.name}: the release step only switches`);
            assert.ok(p.create.includes("LEMP_APP_AGENT_PORT='8008'"), `${p.name}: drained through the agent`);
            assert.strictEqual(p.stdin, undefined, "no secret reaches the release step");
        }
        const nginx = plan.find((p) => p.name === "w1-nginx")!;
        assert.ok(nginx.create.includes("LEMP_APP_BASE='/var/www/foobar.com-app'") && nginx.create.includes("LEMP_APP_DOC_ROOT='public'"));
        for (const name of ["w1-smoke", "lb-smoke"]) assert.ok(plan.find((p) => p.name === name)!.create.includes("LEMP_SMOKE_APP_PATH='/health'"), name);
        // the smoke check waits for the release
        assert.ok(plan.find((p) => p.name === "w1-smoke")!.after.includes("w1-release"));
    });

    it("a new release replaces the step (a new id in its triggers); a rollback (appRelease) uploads nothing", async () => {
        fs.cpSync(path.join(PROJECT_DIR, APP), tmp, { recursive: true });
        const steps = async (raw: RawConfig) => {
            const plan = plannedCommands(await captureProgram({ raw }));
            return { stage: plan.find((p) => p.facts.step === "stage")!, release: plan.find((p) => p.facts.step === "release")! };
        };
        const one = await steps({ appSource: tmp, appDocRoot: "public" });
        const oldId = (releaseTree(tmp) as { id: string }).id;
        fs.appendFileSync(path.join(tmp, "public", "index.php"), "\n// v2\n");
        const two = await steps({ appSource: tmp, appDocRoot: "public" });
        assert.notStrictEqual(one.release.triggers, two.release.triggers);
        assert.notStrictEqual(one.stage.triggers, two.stage.triggers);
        const back = await captureProgram({ raw: { appSource: tmp, appDocRoot: "public", appRelease: oldId } });
        assert.ok(!back.resources.some((r) => r.type === "command:remote:CopyToRemote"), "nothing uploaded on a rollback");
        const plan = plannedCommands(back);
        const stage = plan.find((p) => p.facts.step === "stage")!;
        const rel = plan.find((p) => p.facts.step === "release")!;
        assert.ok(stage.create.includes(`LEMP_APP_RELEASE='${oldId}'`) && !stage.create.includes("LEMP_APP_UPLOAD='"));
        assert.ok(rel.create.includes(`LEMP_APP_RELEASE='${oldId}'`));
        assert.strictEqual(rel.triggers, one.release.triggers, "back to the first release's step: the same triggers");
    });
});

describe("release: composer.json (composer install, the PHP extensions it declares)", () => {
    let tmp: string;
    beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-composer-"))));
    afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it("read, not run: composer install when there is one, its ext-* as package names; a bad one refused naming appSource", async () => {
        assert.deepStrictEqual(composerNeeds(path.join(PROJECT_DIR, "test/fixtures/app")), { composer: false, extensions: [] });
        assert.deepStrictEqual(composerNeeds(path.join(PROJECT_DIR, "test/fixtures/app-composer")), { composer: true, extensions: ["bcmath"] });
        fs.writeFileSync(path.join(tmp, "composer.json"), JSON.stringify({ require: { "ext-Intl": "*", "ext-intl": "*", "EXT-gd": "*", php: ">=8.1" } }));
        assert.deepStrictEqual(composerNeeds(tmp), { composer: true, extensions: ["gd", "intl"] });
        fs.writeFileSync(path.join(tmp, "composer.json"), JSON.stringify({ require: { "ext-x;rm -rf /": "*" } }));
        refuses({ appSource: tmp }, "appSource", /not an extension name/);
        fs.writeFileSync(path.join(tmp, "composer.json"), "{ not json");
        refuses({ appSource: tmp }, "appSource", /composer.json is not JSON/);
        fs.writeFileSync(path.join(tmp, "composer.json"), JSON.stringify({ require: ["ext-gd"] }));
        refuses({ appSource: tmp }, "appSource", /"require" is not an object/);
        const plan = plannedCommands(await captureProgram({ raw: { appSource: "test/fixtures/app-composer", appDocRoot: "public" } }));
        const stage = plan.find((p) => p.facts.step === "stage")!;
        assert.ok(stage.create.includes("LEMP_APP_COMPOSER='1'") && stage.create.includes("LEMP_APP_PHP_EXTENSIONS='bcmath'"), "the stage step installs them");
        assert.deepStrictEqual([(stage.facts as StageFacts).composer, (stage.facts as StageFacts).phpExtensions], [true, ["bcmath"]]);
    });
});

describe("release: verify reports the release each web host serves, and drift from the stack", () => {
    // recorded probe output: the HARDENED host with a release section
    const host = { name: "w1", roles: ["web", "app"] as ("web" | "app")[], address: "10.0.0.11", port: 22, user: "root", privateAddress: "10.0.0.11" };
    const withRelease = (body: string) => HARDENED.replace("### end", `### release\n${body}\n### end`);
    const declared: ReleaseFacts = {
        schema: FACTS_SCHEMA, step: "release", host: "w1", roles: host.roles, release: "0123456789abcdef0123", base: "/var/www/foobar.com-app",
        docRoot: "public", keepReleases: 5, healthPath: "/", frontController: false, drain: "agent",
    };
    const drift = (text: string) => {
        const o = observeHost(host, { sections: parseSections(text), runner: plainHttp }, { hosts: [host], backupDir: "/var/backups/seed-web" });
        return { note: o.notes.release, drift: driftOf([declared], o).map((d) => `${d.fact}: ${d.declared} / ${d.observed}`) };
    };

    it("the stack's release served: no drift; another one, or none: drift naming both", () => {
        assert.ok(HARDENED.includes("### end"), "the fixture ends with its end section");
        assert.deepStrictEqual(drift(withRelease("/var/www/foobar.com-app releases/0123456789abcdef0123 3")), {
            note: "serves release 0123456789abcdef0123 (3 kept in /var/www/foobar.com-app/releases)",
            drift: [],
        });
        assert.deepStrictEqual(drift(withRelease("/var/www/foobar.com-app releases/aaaaaaaaaaaaaaaaaaaa 3")).drift, [
            "release.release: release 0123456789abcdef0123 / release aaaaaaaaaaaaaaaaaaaa",
        ]);
        assert.deepStrictEqual(drift(withRelease("")).drift, ["release: release 0123456789abcdef0123 / no release served"]);
        assert.deepStrictEqual(drift(withRelease("/var/www/foobar.com-app /tmp/elsewhere 0")).drift, [
            "release: release 0123456789abcdef0123 / /var/www/foobar.com-app/current names no release (/tmp/elsewhere)",
        ]);
    });
});

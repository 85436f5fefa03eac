// Undo under mocks: every remote command carries a delete (scripts/undo/<step>.sh) of its own generation, without a
// secret in its text, with the replacement order the program chose; destroyData / purgePackages reach it.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadConfig } from "../../lib/config";
import { REMOTE_COMMAND_TYPE, STEP_NAMES } from "@seed-web/facts";
import { SCRIPTS_DIR, undoScriptText } from "../../lib/steps";
import { Capture, captureProgram, plannedCommands, PlannedCommand, reveal } from "../../tools/capture";
import { readStackFile, stackFilePath } from "../../tools/stack-config";

const SSH_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
const HOSTS = JSON.stringify([
    { name: "lb", roles: ["lb"], connection: { type: "ssh", address: "10.0.0.10", user: "ubuntu" } },
    { name: "w1", roles: ["web", "app", "db"], connection: { type: "ssh", address: "10.0.0.11" } },
    { name: "w2", roles: ["web", "app", "db"], connection: { type: "ssh", address: "10.0.0.12" } },
]);
const ALL_ON = { hosts: HOSTS, dbPrimary: "w1", firewall: "true", monitoring: "true", backups: "true", tls: "self-signed", dbBindAddress: "auto" };
const generation = (text: string) => /LEMP_GENERATION='([0-9a-f]+)'/.exec(text)?.[1];
const setting = (text: string, name: string) => new RegExp(`${name}='([^']*)'`).exec(text)?.[1];

describe("undo (under mocks)", function () {
    this.timeout(120000);   // eight captures of the real program, slow on a loaded machine
    const captures: Record<string, Capture> = {};
    const plans: Record<string, PlannedCommand[]> = {};
    before(async () => {
        const dist = readStackFile(stackFilePath("distributed"));
        const runs: [string, Parameters<typeof captureProgram>[0]][] = [
            ["dev", { raw: {} }],
            ["distributed", { raw: dist.raw, stack: "distributed", sshAgentSocket: "/tmp/agent.sock" }],
            ["on", { raw: ALL_ON, secrets: { sshPrivateKey: SSH_KEY } }],
            ["data", { raw: { ...ALL_ON, destroyData: "true", purgePackages: "true" }, secrets: { sshPrivateKey: SSH_KEY } }],
            ["port", { raw: { ...ALL_ON, dbPort: "3307" }, secrets: { sshPrivateKey: SSH_KEY } }],
            ["forget", { raw: { ...ALL_ON, forget: JSON.stringify(["w2"]) }, secrets: { sshPrivateKey: SSH_KEY } }],
            ["preexisting", { raw: { ...ALL_ON, removePreexisting: "true" }, secrets: { sshPrivateKey: SSH_KEY } }],
            ["app", { raw: { ...ALL_ON, appSource: "test/fixtures/app", appDocRoot: "public", appShared: '["storage"]' }, secrets: { sshPrivateKey: SSH_KEY } }],
        ];
        for (const [name, options] of runs) {
            captures[name] = await captureProgram(options);
            plans[name] = plannedCommands(captures[name]);
        }
    });

    it("every remote command has a delete: the step's undo script, run like its create (sudo for a non-root user)", () => {
        for (const [name, plan] of Object.entries(plans)) {
            assert.ok(plan.length > 5, name);
            for (const p of plan) {
                assert.ok(p.delete, `${name}: ${p.name} has no delete`);
                const quoted = `'${undoScriptText(p.facts.step).replace(/'/g, `'\\''`)}'`;
                assert.ok(p.delete.includes(quoted), `${name}: ${p.name}: the delete does not run scripts/undo/${p.facts.step}.sh`);
                assert.match(p.delete, new RegExp(`lemp-${p.facts.step}$`));
                assert.strictEqual(p.delete.startsWith("sudo -n env "), p.create.startsWith("sudo -n env "), p.name);
            }
        }
        assert.match(plans.on.find((p) => p.name === "lb-lb")!.delete!, /^sudo -n env LEMP_/);
    });

    it("no secret in a delete's text, and the delete is not a secret input (nothing to hide)", () => {
        for (const [name, c] of Object.entries(captures)) {
            assert.ok(c.generatedSecrets.length > 0, name);
            for (const r of c.resources.filter((x) => x.type === REMOTE_COMMAND_TYPE)) {
                const text = String(reveal(r.inputs.delete));
                for (const s of c.generatedSecrets) {
                    for (const piece of s.split("\n").filter((l) => l.length >= 16)) {
                        assert.ok(!text.includes(piece), `${name}: ${r.name}: a secret in the delete`);
                    }
                }
                assert.strictEqual(typeof r.inputs.delete, "string", `${name}: ${r.name}: delete is plain text`);
            }
        }
    });

    it("replacement options: triggers replace, create-before-delete (no deleteBeforeReplace), recorded by the capture", () => {
        for (const c of Object.values(captures)) {
            for (const r of c.resources.filter((x) => x.type === REMOTE_COMMAND_TYPE)) {
                assert.strictEqual(r.deleteBeforeReplace, false, r.name);
                // the SDK itself declares triggers replace-on-change (what the provider does)
                assert.deepStrictEqual(r.replaceOnChanges, ["triggers[*]"], r.name);
                assert.ok(Array.isArray(reveal(r.inputs.triggers)), r.name);
            }
            for (const p of plannedCommands(c)) assert.strictEqual(p.deleteBeforeReplace, false);
        }
    });

    it("the create records a generation and the delete undoes that one: a changed setting changes it, nothing else does", () => {
        const ids = new Set<string>();
        for (const p of plans.on) {
            const g = generation(p.create);
            assert.ok(g && /^[0-9a-f]{32}$/.test(g), `${p.name}: ${g}`);
            assert.strictEqual(generation(p.delete!), g, `${p.name}: the delete names its create's generation`);
            ids.add(g);
        }
        assert.strictEqual(ids.size, plans.on.length, "one generation per command");
        // dbPort 3307: the database (and what checks or reaches it) get a new generation; php, base, monitoring do not
        const by = (plan: PlannedCommand[]) => new Map(plan.map((p) => [p.name, p]));
        const on = by(plans.on);
        const port = by(plans.port);
        const changed = [...on.keys()].filter((n) => generation(on.get(n)!.create) !== generation(port.get(n)!.create));
        for (const n of ["w1-database", "w1-app", "w1-firewall"]) assert.ok(changed.includes(n), `${n} replaced: ${changed}`);
        for (const n of ["w1-base", "w1-php", "lb-lb", "lb-monitoring"]) assert.ok(!changed.includes(n), `${n} kept: ${changed}`);
        for (const n of changed) assert.notStrictEqual(on.get(n)!.triggers, port.get(n)!.triggers, `${n}: a new generation only with new triggers`);
        // destroyData / purgePackages change the delete only: same triggers and generation (an update, not a replace)
        const data = by(plans.data);
        for (const [n, p] of on) {
            assert.strictEqual(data.get(n)!.triggers, p.triggers, n);
            assert.strictEqual(data.get(n)!.create, p.create, n);
            assert.strictEqual(setting(p.delete!, "LEMP_DESTROY_DATA"), "0", n);
            assert.strictEqual(setting(p.delete!, "LEMP_PURGE_PACKAGES"), "0", n);
            assert.strictEqual(setting(data.get(n)!.delete!, "LEMP_DESTROY_DATA"), "1", n);
            assert.strictEqual(setting(data.get(n)!.delete!, "LEMP_PURGE_PACKAGES"), "1", n);
        }
    });

    it("destroyData and purgePackages: true or false, else an error naming the key", () => {
        assert.strictEqual(loadConfig({ destroyData: "true" }).destroyData, true);
        assert.strictEqual(loadConfig({}).purgePackages, false);
        assert.throws(() => loadConfig({ destroyData: "yes" }), /seed-web:destroyData = "?yes"?: expected true or false/);
        assert.throws(() => loadConfig({ purgePackages: "1" }), /seed-web:purgePackages.*expected true or false/);
    });

    it("forget: every command of the host named (and its host key scan) is retained on delete, nothing else changes", () => {
        const retained = captures.forget.resources.filter((r) => r.retainOnDelete).map((r) => r.name);
        // its commands (those dial the host); its TLS material is local and has no delete to skip
        const w2 = captures.forget.resources.filter((r) => r.type.startsWith("command:") && r.name.startsWith("w2-")).map((r) => r.name);
        assert.ok(w2.includes("w2-host-key") && w2.includes("w2-database"), w2.join(" "));
        assert.deepStrictEqual(retained.sort(), w2.sort());
        assert.deepStrictEqual(captures.on.resources.filter((r) => r.retainOnDelete), []);
        // the same commands otherwise: the `up` that sets it runs nothing on the host (an option, not an input)
        const before = new Map(plans.on.map((p) => [p.name, p]));
        for (const p of plans.forget) {
            // (stdin differs: each capture generates its own passwords)
            assert.ok(p.triggers === before.get(p.name)!.triggers, `${p.name}: triggers changed`);
            assert.ok(p.create === before.get(p.name)!.create && p.delete === before.get(p.name)!.delete, `${p.name}: command text changed`);
            assert.strictEqual(p.retainOnDelete, p.name.startsWith("w2-"), p.name);
        }
        const forgotten = captures.forget.outputs.forgotten as { name: string; address: string; left: string[] }[];
        assert.deepStrictEqual(forgotten, [{ name: "w2", address: "10.0.0.12", left: ["base", "firewall", "database", "php", "nginx", "app", "smoke", "monitoring"] }]);
        assert.deepStrictEqual(captures.on.outputs.forgotten, []);
    });

    it("forget: only a host of `hosts` (an ssh one), else an error naming the entry and the way", () => {
        const agent = { hasSshAgent: true };
        assert.deepStrictEqual(loadConfig({ hosts: HOSTS, dbPrimary: "w1", forget: '["w1"]' }, agent).forget, ["w1"]);
        assert.deepStrictEqual(loadConfig({}).forget, []);
        assert.throws(() => loadConfig({ hosts: HOSTS, dbPrimary: "w1", forget: '["w9"]' }, agent), /seed-web:forget\[0\] = "w9": not a host of `hosts`: list a host here while it is still in `hosts`, run `pulumi up`, then take it out/);
        assert.throws(() => loadConfig({ hosts: HOSTS, dbPrimary: "w1", forget: '"w1"' }, agent), /seed-web:forget.*expected a list of host names/);
        assert.throws(() => loadConfig({ forget: '["web-01"]' }), /seed-web:forget\[0\].*a Docker host is removed with its container/);
    });

    it("removePreexisting reaches the firewall and database steps only, and only when on (no new generation otherwise)", () => {
        const off = plans.on.filter((p) => setting(p.create, "LEMP_REMOVE_PREEXISTING") !== undefined);
        assert.deepStrictEqual(off, []);
        const on = plans.preexisting.filter((p) => setting(p.create, "LEMP_REMOVE_PREEXISTING") === "1").map((p) => p.facts.step);
        assert.deepStrictEqual([...new Set(on)].sort(), ["database", "firewall"]);
        assert.throws(() => loadConfig({ removePreexisting: "yes" }), /seed-web:removePreexisting.*expected true or false/);
    });

    it("every step has an undo script (set -euo pipefail) that accepts the settings the program sends", function () {
        this.timeout(300000);   // one bash per step; slow on a loaded machine
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-undo-"));
        try {
            const release = path.join(dir, "os-release");
            fs.writeFileSync(release, 'ID=ubuntu\nVERSION_ID="22.04"\nPRETTY_NAME="Ubuntu 22.04"\n');
            const seen = new Set<string>();
            for (const step of STEP_NAMES) {
                const own = fs.readFileSync(path.join(SCRIPTS_DIR, "undo", `${step}.sh`), "utf8");
                assert.match(own, /^set -euo pipefail$/m, step);
                assert.match(own, /^lemp_inputs_checked\b/m, step);
            }
            for (const p of Object.values(plans).flat()) {
                if (seen.has(p.facts.step)) continue;
                seen.add(p.facts.step);
                const r = spawnSync("sh", ["-c", p.delete!.replace(/^sudo -n /, "")], {
                    env: { PATH: process.env.PATH, LEMP_CHECK_ONLY: "1", LEMP_OS_RELEASE: release },
                    encoding: "utf8",
                    // stdin /dev/null, not an empty pipe: node's pipes are sockets, and bash with a socket on stdin
                    // takes itself to be run by sshd and reads ~/.bashrc (5× this test's time on a machine with pyenv)
                    stdio: ["ignore", "pipe", "pipe"],
                });
                assert.strictEqual(r.status, 0, `${p.name}: ${r.stderr}`);
                assert.match(r.stdout, /inputs_checked=1/, p.name);
            }
            assert.deepStrictEqual([...seen].sort(), [...STEP_NAMES].sort());
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

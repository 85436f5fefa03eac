// The drift guard (issue #9.2): every value the config accepts must pass the scripts' own input checks, so an apply
// can never fail midway on a value validation let through.
//
// For each setting: boundary values and values generated from a seeded PRNG, each kept only when loadConfig accepts
// it. Configs combine them (the i-th accepted value of every setting), the real program runs under mocks
// (captureProgram), and each remote command runs here in bash exactly as it would on a host, with LEMP_CHECK_ONLY=1
// (scripts/lib/input.sh: lemp_inputs_checked stops each step right after its settings checks, before stdin or any change)
// and LEMP_OS_RELEASE pointing at the os-release file of each supported release (test/fixtures/releases/).

import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadConfig, RawConfig } from "../../lib/config";
import { STEP_NAMES } from "@seed-web/facts";
import { PROJECT_DIR } from "../../lib/root";
import { SCRIPTS_DIR } from "../../lib/steps";
import { captureProgram, plannedCommands } from "../../tools/capture";
import { prng } from "./prng";

const SSH_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
// every supported release's os-release file (Ubuntu 24.04 and 26.04 cannot be booted here: their settings checks run here)
const RELEASES_DIR = path.join(PROJECT_DIR, "test", "fixtures", "releases");
const OS_RELEASES: Record<string, string> = Object.fromEntries(
    fs.readdirSync(RELEASES_DIR).filter((f) => f.endsWith(".os-release")).map((f) => [f.replace(/\.os-release$/, ""), fs.readFileSync(path.join(RELEASES_DIR, f), "utf8")]),
);

// Anything that acts on a host: must come after lemp_inputs_checked in every script.
const SIDE_EFFECT = /lemp_read_secret|lemp_install_step_packages|lemp_apt_|lemp_write_file|lemp_mkdir|lemp_service_|lemp_symlink|lemp_remove|\bufw\b|\bmysql\b -|certbot (certonly|renew)|cloud-init status/;

function values(rand: () => number) {
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
    const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    const chars = (set: string, lo: number, hi: number) => Array.from({ length: int(lo, hi) }, () => pick([...set])).join("");
    const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    const label = (max = 63) => {
        const n = int(1, max);
        if (n === 1) return chars(alnum, 1, 1);
        return chars(alnum, 1, 1) + chars(alnum + "-", n - 2, n - 2) + chars(alnum, 1, 1);
    };
    const domain = () => Array.from({ length: int(2, 4) }, () => label(20)).join(".");
    const ipv4 = () => Array.from({ length: 4 }, () => int(0, 255)).join(".");
    const cidr = () => `${ipv4()}/${int(0, 32)}`;
    const ident = () => chars("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_", 1, 1) + chars(alnum + "_", 0, 31);
    const printable = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).filter((c) => c !== "@").join("");
    const longDomain = [label(63).padEnd(63, "a"), "b".repeat(63), "c".repeat(63), "d".repeat(61)].join(".");
    const maxHostName = "h" + "-".repeat(61) + "1";
    const ssh = (name: string, roles: string[], address: string, extra: Record<string, unknown> = {}) => ({ name, roles, connection: { type: "ssh", address, ...extra } });
    return {
        domain: ["a.b", "FooBar.COM", longDomain, "1-2.3x", domain()],
        www: ["true", "false"],
        tls: ["letsencrypt", "self-signed", "none"],
        acmeEmail: ["ops@foo_bar.com", "a@b.co", `${printable.slice(0, 64)}@example.org`, `${chars(printable, 1, 64)}@${domain()}`],
        acmeServer: [
            "https://a.b",
            "https://acme-staging-v02.api.letsencrypt.org/directory",
            "https://10.0.0.1:14000/dir",
            "https://acme.example:65535/a_b/c~d/%20/-./",
            `https://${domain()}:${int(1, 65535)}/${chars(alnum + "._~%/-", 0, 40)}`,
            "https://acme.example/dir?x=1",   // candidates the config must refuse (certbot.sh would)
        ],
        hstsMaxAge: ["0", "63072000", String(int(0, 63072000))],
        dbBindAddress: ["auto", "0.0.0.0", "::", "10.0.0.13", "::ffff:10.0.0.13"],
        dbPort: ["1", "65535", "3306", String(int(1, 65535))],
        dbName: ["a", "_", "testdb", "x".repeat(32), ident()],
        dbUser: ["a", "_", "app_user", "U".repeat(32), ident()],
        firewallAllowPorts: ["[]", "[1]", "[65535]", JSON.stringify(Array.from({ length: 100 }, () => int(1, 65535)))],
        monitoringAllowFrom: ['["2001:db8::/64"]', '["10.0.0.0/08"]', "[]", '["0.0.0.0/0"]', '["255.255.255.255/32", "10.0.0.0/8", "192.0.2.7"]', JSON.stringify(Array.from({ length: 100 }, () => pick([ipv4(), cidr()])))],
        backupTime: ["00:00", "23:59", `${String(int(0, 23)).padStart(2, "0")}:${String(int(0, 59)).padStart(2, "0")}`],
        backupRetention: ["1", "365", String(int(1, 365))],
        // the application's keys (each tried with appSource set: they need it)
        appSource: [APP, path.join(PROJECT_DIR, APP)],
        appDocRoot: ["", "public"],
        appShared: ["[]", '["storage"]', '["storage", "public/up-loads_1.x"]'],
        appKeepReleases: ["2", "50", String(int(2, 50))],
        appHealthPath: ["/", "/health", "/health?x=1&y=%20", `/${chars(alnum + "._~/-", 0, 40)}`],
        appFrontController: ["true", "false"],
        appMigrate: ["", "php bin/migrate --force", `echo '${chars(alnum + " $;|&<>()`\"", 0, 60)}'`],
        appRelease: ["", "0123456789abcdef0123"],
        hosts: [
            JSON.stringify([
                ssh("lb-01", ["lb"], "203.0.113.20", { user: "ubuntu", privateAddress: "10.0.0.10" }),
                ssh("web-01", ["web", "app"], "web1.example.net", { privateAddress: "10.0.0.11", port: 65535 }),
                ssh(maxHostName, ["web", "app"], "2001:db8::12", { privateAddress: "10.0.0.12", user: "_" + "a".repeat(31) }),
                ssh("db-01", ["db"], "10.0.0.13"),
                ssh("db-02", ["db"], "10.0.0.14", { privateAddress: "0.0.0.0" }),
            ]),
            JSON.stringify([ssh("web-01", ["db", "app", "web"], "web.example.net", { port: 1, user: "ubuntu" })]),
            JSON.stringify([
                { name: "lb", roles: ["lb"], connection: { type: "docker", sshPort: 2222, httpPort: 1, httpsPort: 65535 } },
                { name: "w1", roles: ["web", "app"], connection: { type: "docker", sshPort: 2223, bindAddress: "::1" } },
                { name: "w2", roles: ["web", "app"], connection: { type: "docker", sshPort: 2224, dbPort: 3306 } },
                { name: "d1", roles: ["db"], connection: { type: "docker", sshPort: 2225, dbPort: 13306 } },
            ]),
            JSON.stringify([{ name: "web-01", roles: ["web", "app", "db"], connection: { type: "docker" } }]),
            JSON.stringify([ssh("web-01", ["web", "app"], "10.0.0.11"), ssh("db-01", ["db"], "db.example.net")]),
        ],
    } satisfies Record<string, string[]>;
}

const BASE: RawConfig = { firewall: "true", monitoring: "true", backups: "true", tls: "letsencrypt", acmeEmail: "ops@foobar.com", dbBindAddress: "auto" };
const ENV = { hasSshAgent: false, secretKeys: ["sshPrivateKey"] };
/** The test application (its keys need appSource). */
const APP = "test/fixtures/app";
const withApp = (key: string, raw: RawConfig): RawConfig => (key.startsWith("app") && raw.appSource === undefined ? { ...raw, appSource: APP } : raw);
/** Two or more db hosts need the primary named (dbPrimary): the first db host of the list. */
const named = (raw: RawConfig): RawConfig => {
    const db = raw.hosts ? (JSON.parse(raw.hosts) as { name: string; roles: string[] }[]).filter((h) => h.roles.includes("db")) : [];
    return db.length > 1 ? { ...raw, dbPrimary: db[0].name } : raw;
};
const accepts = (raw: RawConfig) => {
    try {
        loadConfig({ ...named(raw), sshPrivateKey: SSH_KEY }, ENV);
        return true;
    } catch {
        return false;
    }
};

const PARALLEL = Math.max(2, os.cpus().length);

describe("drift guard: every value the config accepts passes the scripts' own input checks", function () {
    this.timeout(600000);   // real bash processes (one per OS, every distinct command): generous on a busy machine
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-drift-"));
        for (const [name, text] of Object.entries(OS_RELEASES)) fs.writeFileSync(path.join(dir, name), text);
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("every step calls lemp_inputs_checked once, before any secret is read or anything changes", () => {
        // Also the safety of the next test: it runs every step locally, as root, trusting this checkpoint.
        for (const step of STEP_NAMES) {
            const lines = fs.readFileSync(path.join(SCRIPTS_DIR, `${step}.sh`), "utf8").split("\n");
            const at = lines.findIndex((l) => /^lemp_inputs_checked\b/.test(l));
            assert.ok(at > 0, `${step}.sh does not call lemp_inputs_checked`);
            assert.strictEqual(lines.filter((l) => /^\s*lemp_inputs_checked\b/.test(l)).length, 1, step);
            const early = lines.slice(0, at).findIndex((l) => SIDE_EFFECT.test(l) && !/^\s*#/.test(l));
            assert.strictEqual(early, -1, `${step}.sh acts before lemp_inputs_checked: ${lines[early]}`);
        }
    });

    it("boundary and generated values, through the real program, pass every step's checks (on every supported release)", async () => {
        const vals = values(prng(92));
        const accepted: Record<string, string[]> = {};
        for (const [key, list] of Object.entries(vals)) {
            accepted[key] = list.filter((v) => accepts(withApp(key, { ...BASE, [key]: v })));
            assert.ok(accepted[key].length > 0, `no accepted value for ${key}`);
        }
        // the i-th accepted value of every setting; a combination the config refuses falls back to one setting varied
        const n = Math.max(...Object.values(accepted).map((l) => l.length));
        const configs: RawConfig[] = [];
        for (let i = 0; i < n; i++) {
            const all: RawConfig = { ...BASE };
            for (const [key, list] of Object.entries(accepted)) all[key] = list[i % list.length];
            if (accepts(all)) configs.push(named(all));
            else for (const [key, list] of Object.entries(accepted)) if (i < list.length) configs.push(named(withApp(key, { ...BASE, [key]: list[i] })));
        }
        const commands = new Map<string, string>();
        const onePerStep = new Map<string, string>();
        const limit = Error.stackTraceLimit;
        Error.stackTraceLimit = 0;   // the capture is several times faster without stack traces (see tools/audit.ts)
        try {
            for (const raw of configs) {
                const capture = await captureProgram({ raw, secrets: { sshPrivateKey: SSH_KEY } });
                for (const c of plannedCommands(capture)) {
                    commands.set(c.create, `${c.name} of ${JSON.stringify(raw).slice(0, 300)}`);
                    if (!onePerStep.has(c.facts.step)) onePerStep.set(c.facts.step, c.create);
                }
            }
        } finally {
            Error.stackTraceLimit = limit;
        }
        const steps = new Set([...commands.keys()].map((c) => /lemp-([a-z]+)$/.exec(c)?.[1]));
        assert.deepStrictEqual([...steps].sort(), [...STEP_NAMES].sort(), "every step is exercised");
        // One bash per OS runs every distinct command (each is its own `bash -c`, as over SSH); a non-root SSH user's
        // `sudo -n env …` runs as `env …` here (we are root already).
        // Ubuntu 22.04 (the design's target) runs every command; every other release one command of each step (the OS
        // changes package names, not the settings checks; process start-up is most of this test's time).
        assert.deepStrictEqual(Object.keys(OS_RELEASES).sort(), ["debian-12", "debian-13", "debian-unstable", "ubuntu-22.04", "ubuntu-24.04", "ubuntu-26.04"]);
        for (const release of Object.keys(OS_RELEASES)) {
            const list = release === "ubuntu-22.04" ? [...commands.keys()] : [...onePerStep.values()];
            // as many at once as there are cores (the commands are independent): the test's time is process start-up
            const script = list
                .map((c, i) => `{ ( ${c.replace(/^sudo -n /, "")} ) </dev/null >"$OUT/${i}.out" 2>"$OUT/${i}.err"; echo "$?" >"$OUT/${i}.rc"; } &` +
                    ((i + 1) % PARALLEL === 0 ? "\nwait" : ""))
                .join("\n") + "\nwait\n";
            const out = fs.mkdtempSync(path.join(dir, `${release}-`));
            fs.writeFileSync(path.join(out, "run.sh"), script);
            const r = spawnSync("bash", [path.join(out, "run.sh")], {
                env: { PATH: process.env.PATH, OUT: out, LEMP_CHECK_ONLY: "1", LEMP_OS_RELEASE: path.join(dir, release) },
                timeout: 540000,
                maxBuffer: 1 << 20,
            });
            assert.strictEqual(r.status, 0, `${r.error ?? ""} ${r.stderr}`);
            const failures: string[] = [];
            list.forEach((_, i) => {
                const rc = fs.readFileSync(path.join(out, `${i}.rc`), "utf8").trim();
                const stdout = fs.readFileSync(path.join(out, `${i}.out`), "utf8");
                if (rc !== "0" || !stdout.includes("inputs_checked=1")) {
                    failures.push(`${release}: ${commands.get(list[i])}: exit ${rc}: ${fs.readFileSync(path.join(out, `${i}.err`), "utf8").trim()}`);
                }
            });
            assert.deepStrictEqual(failures, [], failures.join("\n"));
        }
        assert.ok(configs.length >= 5 && commands.size >= 50, `${configs.length} configs, ${commands.size} distinct commands`);
    });
});

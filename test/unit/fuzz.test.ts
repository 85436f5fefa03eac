// Deterministic fuzz (issue #9.6): thousands of generated configs and hostile stack files from a seeded PRNG. Each
// must end within a second in a result or a ConfigError / StackFileError / AuditInputError naming a key or the file,
// never crash (RangeError, TypeError, …) and never echo a planted secret.

import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigError, loadConfig, RawConfig } from "../../lib/config";
import { buildTopology } from "../../lib/topology";
import { AuditInputError, runAudit } from "../../tools/audit";
import { readStackFile, StackFileError } from "../../tools/stack-config";
import { prng } from "./prng";

const SEED = 20261202;
const CONFIGS = 2000;
const FILES = 400;
const AUDITS = 6;

/** Planted secrets: none may appear in any message. */
const SECRETS = ["Hunter2Planted", "b3BlbnNzaC1rZXktdjEAAAAAPlanted", "ssh-ed25519 AAAAC3NzaPlanted"];
const KEY = `-----BEGIN OPENSSH PRIVATE KEY-----\n${SECRETS[1]}\n-----END OPENSSH PRIVATE KEY-----`;

function generator(rand: () => number) {
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
    const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    const junk = (n: number) => Array.from({ length: n }, () => String.fromCharCode(pick([int(0, 31), int(32, 126), int(127, 0x2fff), 0x202e, 0x1b]))).join("");
    // key material is never shown, whatever its key; a plain secret only under a secret-looking or unknown key
    const material = () => pick([KEY, `${SECRETS[2]} user@host`, `x${SECRETS[1]}`]);
    const secret = () => pick([SECRETS[0], KEY, SECRETS[2], `x${SECRETS[0]}x`]);
    const deep = (n: number) => "[".repeat(n) + "]".repeat(n);
    const scalar = (): unknown =>
        pick<() => unknown>([
            () => material(),
            () => junk(int(0, 40)),
            () => "a".repeat(int(1000, 70000)),
            () => "a@" + "a".repeat(int(100, 60000)),
            () => null,
            () => NaN,
            () => int(-70000, 70000),
            () => rand() * 1e6,
            () => true,
            () => [],
            () => ({}),
            () => pick(["10.0.0.1", "::1", "fe80::1%eth0", "2001:db8::/64", "10.0.0.0/08", "db.example.net", "0.0.0.0"]),
            () => pick(["mysql", "TEST_x", "root", "repl", "PUBLIC", "app", "test"]),
            () => pick(["https://acme.example/dir?x", "https://a.b", "http://a.b", "https://[::1]/"]),
        ])();
    const value = (): string => {
        const v = scalar();
        return pick<() => string>([() => (typeof v === "string" ? v : JSON.stringify(v) ?? "null"), () => JSON.stringify([v, scalar()]), () => deep(int(10, 30000)), () => String(v)])();
    };
    const connection = (): Record<string, unknown> => {
        const c: Record<string, unknown> = pick([
            { type: "ssh", address: pick(["10.0.0.1", "web.example.net", "2001:db8::1"]) },
            { type: "docker" },
            { type: pick(["lxd", null, 3]) },
        ]);
        for (let i = int(0, 3); i > 0; i--) {
            const field = pick(["port", "user", "privateAddress", "privateKeyConfig", "password", "privateKey", "passphrase", "sshPort", "httpPort", "dbPort", "bindAddress", junk(5)]);
            c[field] = /pass|privateKey$/.test(field) || field.length === 5 ? secret() : scalar();
        }
        return c;
    };
    const host = (i: number): unknown =>
        rand() < 0.05
            ? scalar()
            : {
                  name: rand() < 0.9 ? `h${i}` : scalar(),
                  roles: rand() < 0.9 ? pick([["web", "app", "db"], ["lb"], ["web", "app"], ["db"], ["cache"], [], ["web", "web"]]) : scalar(),
                  connection: rand() < 0.95 ? connection() : scalar(),
                  ...(rand() < 0.1 ? { [pick(["token", "apiKey", junk(4)])]: secret() } : {}),
              };
    const keys = ["domain", "www", "publicIp", "firewall", "firewallAllowPorts", "tls", "acmeEmail", "acmeServer", "hstsMaxAge", "dbBindAddress", "dbPort", "dbName", "dbUser", "monitoring", "monitoringAllowFrom", "backups", "backupTime", "backupRetention", "sshPrivateKey"];
    const odd = ["acmeApiKey", "apiKey", "sshKey", "dbPasswd", "passphrase", "credential", "firwall", "__proto__", "constructor", "x\u001by"];
    const config = (): { raw: RawConfig; secretKeys?: string[] } => {
        const raw: RawConfig = Object.create(null) as RawConfig;
        for (let i = int(0, 4); i > 0; i--) raw[pick(keys)] = value();
        if (rand() < 0.2) raw[pick(odd)] = secret();
        if (rand() < 0.6) {
            const n = rand() < 0.02 ? int(100, 300) : int(1, 6);
            raw.hosts = rand() < 0.1 ? value() : JSON.stringify(Array.from({ length: n }, (_, i) => host(i)));
        }
        return { raw, secretKeys: rand() < 0.5 ? undefined : pick([[], ["sshPrivateKey"], Object.keys(raw)]) };
    };
    const stackFile = (): Buffer => {
        const lines = ["config:"];
        for (let i = int(0, 6); i > 0; i--) {
            const k = rand() < 0.8 ? `seed-web:${pick([...keys, ...odd, "hosts"])}` : junk(int(1, 10));
            const v = pick<() => string>([
                () => JSON.stringify(scalar()) ?? "null",
                () => `[${secret()}`,
                () => `{ secure: ${SECRETS[1]} }`,
                () => `!!${SECRETS[0]} x`,
                () => `*${SECRETS[0]}`,
                () => `|${SECRETS[0]}`,
                () => `"\\q${SECRETS[0]}"`,
                () => pick([".nan", "~", "null", ".inf", "0x1F", "1e400"]),
                () => deep(rand() < 0.1 ? int(10, 30000) : int(10, 100)),
                () => "- ".repeat(rand() < 0.1 ? int(10, 5000) : int(10, 100)) + "x",
                () => `\n${"  - 10.0.0.1\n".repeat(rand() < 0.1 ? int(1, 6000) : int(1, 50))}`,
            ])();
            lines.push(`  ${k}: ${v}`);
        }
        if (rand() < 0.1) lines.push(lines[1] ?? "  a: 1");
        if (rand() < 0.05) lines.unshift(`%${SECRETS[0]} x`, "---");
        const text = lines.join(pick(["\n", "\r\n", "\n\t"]));
        return pick<() => Buffer>([
            () => Buffer.from(text),
            () => Buffer.from(text),
            () => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]),
            () => Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, "utf16le").swap16()]),
            () => Buffer.from(text, "utf16le"),
            () => Buffer.concat([Buffer.from(text), Buffer.from([0xc3, 0x28, 0xff])]),
            () => Buffer.from(text + "\n#" + "x".repeat(int(1, 80000))),
        ])();
    };
    return { config, stackFile };
}

function checkMessage(what: string, e: unknown, expected: Function[]): void {
    assert.ok(expected.some((c) => e instanceof c), `${what}: unexpected ${(e as Error)?.constructor?.name}: ${(e as Error)?.stack ?? e}`);
    const m = (e as Error).message;
    for (const s of SECRETS) assert.ok(!m.includes(s), `${what}: the message echoes a planted secret: ${m}`);
    assert.ok(!m.includes("-----BEGIN"), `${what}: key material in: ${m}`);
    assert.ok(!/[\u0000-\u001f\u007f\u202e]/.test(m), `${what}: raw control character in: ${JSON.stringify(m)}`);
    if (e instanceof ConfigError) {
        assert.ok(e.key.length > 0 && m.startsWith("invalid config seed-web:"), `${what}: ${m}`);
    }
}

function timed<T>(what: string, f: () => T): T {
    const t0 = process.hrtime.bigint();
    try {
        return f();
    } finally {
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        assert.ok(ms < 1000, `${what}: took ${ms.toFixed(0)} ms`);
    }
}

describe(`fuzz (seed ${SEED}): every input ends within a second in a result or a clear error, never echoing a secret`, function () {
    this.timeout(60000);
    let dir: string;
    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-fuzz-"))));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it(`${CONFIGS} generated configs through loadConfig and buildTopology`, () => {
        const gen = generator(prng(SEED));
        const outcome = { ok: 0, refused: 0 };
        for (let i = 0; i < CONFIGS; i++) {
            const { raw, secretKeys } = gen.config();
            timed(`config #${i}`, () => {
                try {
                    buildTopology(loadConfig(raw, { hasSshAgent: i % 2 === 0, secretKeys }));
                    outcome.ok++;
                } catch (e) {
                    checkMessage(`config #${i}`, e, [ConfigError]);
                    outcome.refused++;
                }
            });
        }
        // the generator reaches both outcomes
        assert.ok(outcome.ok > 50 && outcome.refused > 1000, JSON.stringify(outcome));
    });

    it(`${FILES} hostile stack files through the stack-file reader and loadConfig, ${AUDITS} through the whole audit`, async () => {
        const gen = generator(prng(SEED + 1));
        const outcome = { ok: 0, file: 0, config: 0 };
        const files: string[] = [];
        for (let i = 0; i < FILES; i++) {
            const file = path.join(dir, `Pulumi.f${i % 50}.yaml`);
            fs.writeFileSync(file, gen.stackFile());
            if (i < AUDITS) files.push(fs.readFileSync(file).toString("base64"));
            timed(`stack file #${i}`, () => {
                try {
                    const s = readStackFile(file);
                    buildTopology(loadConfig(s.raw, { hasSshAgent: true, secretKeys: s.secureKeys }));
                    outcome.ok++;
                } catch (e) {
                    checkMessage(`stack file #${i}`, e, [StackFileError, ConfigError]);
                    if (e instanceof StackFileError) outcome.file++;
                    else outcome.config++;
                }
            });
        }
        assert.ok(outcome.file > 50 && outcome.config > 10 && outcome.ok > 10, JSON.stringify(outcome));
        for (let i = 0; i < files.length; i++) {
            const file = path.join(dir, `Pulumi.audit${i}.yaml`);
            fs.writeFileSync(file, Buffer.from(files[i], "base64"));
            try {
                await runAudit({ configFile: file });
            } catch (e) {
                checkMessage(`audit #${i}`, e, [AuditInputError]);
            }
        }
    });
});

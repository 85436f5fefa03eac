// The settings table (lib/config/settings.ts) is the one place of each key: Pulumi.yaml's `config:` block and the
// README's settings tables are generated from it (`npm run gen:settings`), and the committed files must be the
// generated ones. The table itself is consistent: each type fits its default, each key has a reader (or names the
// one that reads it with others), and each reader gives the table's default when the key is unset.

import * as assert from "assert";
import { spawnSync } from "child_process";
import * as path from "path";
import { APP_DEFAULTS, DEFAULTS, KNOWN_KEYS, loadConfig, readSetting, Setting, SettingKey, SETTINGS, TUNING_DEFAULTS } from "../../lib/config";
import { PROJECT_DIR } from "../../lib/root";
import { generatedFiles, pulumiConfigBlock, withReadmeTables } from "../../tools/gen-settings";

const entries = Object.entries(SETTINGS as Record<string, Setting>);

describe("the settings table and its generated copies", () => {
    for (const [file, [committed, generated]] of Object.entries(generatedFiles())) {
        it(`${file}: its generated part is what the table gives (else: npm run gen:settings)`, () => {
            // line by line, so a failure names the row
            const a = committed.split("\n");
            const b = generated.split("\n");
            const differ = b.map((line, i) => [i + 1, a[i], line] as const).filter(([, x, y]) => x !== y);
            assert.deepStrictEqual(differ.slice(0, 3), [], `${file} differs from lib/config/settings.ts at these lines (committed, generated)`);
            assert.strictEqual(committed, generated);
        });
    }

    it("the check sees a hand-edited row, a row missing and a key added to the table", () => {
        const [text] = generatedFiles()["README.md"];
        const edited = text.replace(/^\| `backupTime` \| string \| `03:15` \|/m, "| `backupTime` | string | `04:00` |");
        assert.notStrictEqual(edited, text);
        assert.notStrictEqual(withReadmeTables(edited), edited);
        const missing = text.replace(/^\| `lbQueueTimeout` .*\n/m, "");
        assert.notStrictEqual(withReadmeTables(missing), missing);
        const before = pulumiConfigBlock();
        (SETTINGS as Record<string, Setting>).zzExtra = { group: "core", type: "integer", default: 1, description: "an extra key", readme: { meaning: "x" } };
        try {
            assert.match(pulumiConfigBlock(), /\n {2}zzExtra:\n {4}type: integer\n {4}default: 1\n/);
            assert.notStrictEqual(pulumiConfigBlock(), before);
        } finally {
            delete (SETTINGS as Record<string, Setting>).zzExtra;
        }
    });

    it("npm run gen:settings -- --check exits 0 on the committed files", () => {
        const r = spawnSync(process.execPath, [path.join(PROJECT_DIR, "bin", "tools", "gen-settings.js"), "--check"], { encoding: "utf8" });
        assert.strictEqual(r.status, 0, r.stderr);
    });

    it("each key once: DEFAULTS, TUNING_DEFAULTS, APP_DEFAULTS and KNOWN_KEYS are the table's", () => {
        const all = { ...DEFAULTS, ...TUNING_DEFAULTS, ...APP_DEFAULTS };
        assert.deepStrictEqual([...KNOWN_KEYS], Object.keys(SETTINGS));
        assert.deepStrictEqual(Object.keys(all), entries.filter(([, s]) => s.type !== undefined).map(([k]) => k));
        for (const [k, v] of Object.entries(all)) assert.strictEqual(v, (SETTINGS as Record<string, Setting>)[k].default, k);
        // parseApp names the first application key set without appSource: the table keeps their order
        assert.deepStrictEqual(Object.keys(APP_DEFAULTS), ["appSource", "appRef", "appDocRoot", "appShared", "appKeepReleases", "appHealthPath", "appFrontController", "appMigrate", "appRelease"]);
    });

    it("each entry: the type fits the default, a description, a README meaning, and a reader or the one that reads it", () => {
        for (const [key, s] of entries) {
            assert.ok(s.readme.meaning.length > 5, key);
            assert.ok((s.read === undefined) !== (s.readBy === undefined), `${key}: read or readBy, one of them`);
            if (s.type === undefined) {
                assert.strictEqual(s.group, "structured", key);
                continue;
            }
            const v = s.default;
            const expected = Array.isArray(v) ? "array" : typeof v === "number" ? "integer" : typeof v;
            assert.strictEqual(s.type, expected, key);
            assert.strictEqual(s.items !== undefined, s.type === "array", key);
            assert.ok((s.description ?? "").length > 10, key);
            assert.ok(!/\n/.test(s.description ?? ""), key);
        }
    });

    it("each reader gives the table's default when the key is unset, and refuses a bad value naming the key", () => {
        const readable = entries.filter(([, s]) => s.read !== undefined).map(([k]) => k as SettingKey);
        assert.ok(readable.length >= 25);
        for (const key of readable) {
            assert.deepStrictEqual(readSetting({}, key), (SETTINGS as Record<string, Setting>)[key].default, key);
            const bad = (SETTINGS as Record<string, Setting>)[key].type === "array" ? "not a list" : "-1x";
            assert.throws(() => readSetting({ [key]: bad }, key), (e: Error) => e.message.startsWith(`invalid config seed-web:${key} `), key);
        }
        // and loadConfig puts the defaults into the stack config
        const c = loadConfig({});
        assert.strictEqual(c.backupTime, DEFAULTS.backupTime);
        assert.strictEqual(c.tuning.phpWorkerMb, TUNING_DEFAULTS.phpWorkerMb);
        assert.strictEqual(c.db.user, DEFAULTS.dbUser);
    });
});

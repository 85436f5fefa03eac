// The copies of the settings table (lib/config/settings.ts), generated: Pulumi.yaml's `config:` block and the README's
// settings tables (the rows between the `<!-- settings:GROUP -->` markers; the prose around them is the README's own).
//   npm run gen:settings            writes Pulumi.yaml and README.md
//   npm run gen:settings -- --check exit 1 when either differs from what the table gives (test/unit/settings.test.ts)

import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { Setting, SETTINGS } from "../lib/config";
import { PROJECT_DIR } from "../lib/root";

const entries = () => Object.entries(SETTINGS as Record<string, Setting>);

/** A YAML scalar as Pulumi.yaml writes it: plain when it reads back as the same string, else double-quoted. */
function scalar(v: unknown): string {
    if (typeof v !== "string") return JSON.stringify(v);
    let plain = false;
    try {
        plain = parse(`v: ${v}`)?.v === v;
    } catch {
        plain = false;
    }
    // YAML 1.1 readers take 03:15 for a number (base 60): quoted
    return plain && v.trim() === v && !/^[0-9:]+$/.test(v) ? v : JSON.stringify(v);
}

/** Pulumi.yaml's `config:` block: every key Pulumi.yaml declares (the structured ones, hosts and the secret key, not). */
export function pulumiConfigBlock(): string {
    const lines = ["config:"];
    for (const [key, s] of entries()) {
        if (s.type === undefined) continue;
        lines.push(`  ${key}:`, `    type: ${s.type}`);
        if (s.items) lines.push("    items:", `      type: ${s.items}`);
        lines.push(`    default: ${Array.isArray(s.default) ? JSON.stringify(s.default) : scalar(s.default)}`);
        lines.push(`    description: ${scalar(s.description)}`);
    }
    return lines.join("\n") + "\n";
}

/** The README's default column: the value in code style ("" and [] too), unless the table words it. */
function readmeDefault(s: Setting): string {
    if (s.readme.default !== undefined) return s.readme.default;
    return `\`${typeof s.default === "string" && s.default !== "" ? s.default : JSON.stringify(s.default)}\``;
}

/** The README's tables: "configuration" (the simple keys, the application's, the structured ones) and "performance". */
export const README_TABLES = {
    configuration: () => [
        "| key | type | default | meaning |",
        "| --- | --- | --- | --- |",
        ...entries()
            .filter(([, s]) => s.group !== "tuning")
            .map(([key, s]) => `| \`${key}\` | ${s.readme.type ?? (s.items ? `${s.items} list` : s.type)} | ${readmeDefault(s)} | ${s.readme.meaning} |`),
    ],
    performance: () => [
        "| key | default | meaning |",
        "| --- | --- | --- |",
        ...entries()
            .filter(([, s]) => s.group === "tuning")
            .map(([key, s]) => `| \`${key}\` | ${readmeDefault(s)} | ${s.readme.meaning} |`),
    ],
};

/** The text with its generated parts replaced: Pulumi.yaml's `config:` block (to the next top-level key). */
export function withPulumiConfig(text: string): string {
    const m = /^config:\n(?:(?: .*)?\n)*/m.exec(text);
    if (!m) throw new Error("Pulumi.yaml: no config: block");
    return text.slice(0, m.index) + pulumiConfigBlock() + text.slice(m.index + m[0].length);
}

/** The README with the rows between each `<!-- settings:NAME -->` and `<!-- /settings:NAME -->` generated. */
export function withReadmeTables(text: string): string {
    let out = text;
    for (const [name, rows] of Object.entries(README_TABLES)) {
        const re = new RegExp(`(<!-- settings:${name} -->\\n)[\\s\\S]*?(\\n<!-- /settings:${name} -->)`);
        if (!re.test(out)) throw new Error(`README.md: no <!-- settings:${name} --> … <!-- /settings:${name} --> section`);
        out = out.replace(re, (_all, open: string, close: string) => `${open}${rows().join("\n")}${close}`);
    }
    return out;
}

/** The generated files: path → [committed text, generated text]. */
export function generatedFiles(root = PROJECT_DIR): Record<string, [string, string]> {
    const files: Record<string, [string, string]> = {};
    for (const [file, gen] of [["Pulumi.yaml", withPulumiConfig], ["README.md", withReadmeTables]] as const) {
        const text = fs.readFileSync(path.join(root, file), "utf8");
        files[file] = [text, gen(text)];
    }
    return files;
}

function main(args: string[]): number {
    const check = args.includes("--check");
    let stale = 0;
    for (const [file, [text, generated]] of Object.entries(generatedFiles())) {
        if (text === generated) continue;
        stale++;
        if (check) process.stderr.write(`${file}: differs from lib/config/settings.ts (run npm run gen:settings)\n`);
        else fs.writeFileSync(path.join(PROJECT_DIR, file), generated);
    }
    if (!check) process.stdout.write(`${stale} file(s) written\n`);
    return check && stale > 0 ? 1 : 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));

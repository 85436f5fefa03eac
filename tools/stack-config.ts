// Read a stack file (Pulumi.<stack>.yaml) into the program's raw config, the way the engine hands it over:
// keys of the project's namespace without the prefix, scalars as strings, lists and maps as JSON.

import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { PROJECT, RawConfig } from "../lib/config";

export const PROJECT_DIR = path.join(__dirname, "..");

export interface StackFile {
    raw: RawConfig;
    /** Keys whose values are encrypted in the file ({ secure: … }); their values are not readable offline. */
    secureKeys: string[];
}

export function readStackFile(file: string): StackFile {
    let doc: unknown;
    try {
        doc = parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
        throw new Error(`cannot read stack config ${file}: ${(e as Error).message}`);
    }
    const config = (doc as { config?: Record<string, unknown> } | null)?.config ?? {};
    if (typeof config !== "object" || Array.isArray(config)) throw new Error(`${file}: "config" is not a mapping`);
    const raw: RawConfig = {};
    const secureKeys: string[] = [];
    for (const [key, value] of Object.entries(config)) {
        const [ns, name] = key.includes(":") ? key.split(/:(.*)/s, 2) : [PROJECT, key];
        if (ns !== PROJECT) continue;
        if (typeof value === "object" && value !== null && !Array.isArray(value) && "secure" in value) {
            secureKeys.push(name);
            raw[name] = "(secure)";
        } else {
            raw[name] = typeof value === "string" ? value : JSON.stringify(value);
        }
    }
    return { raw, secureKeys };
}

export function stackFilePath(stack: string): string {
    return path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`);
}

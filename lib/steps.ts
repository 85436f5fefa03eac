// From a provisioning script in scripts/ to the command text a remote command runs.
//
// The command is `LEMP_X='…' bash -c '<lib.sh + step script>' lemp-<step>`: settings travel as quoted environment
// assignments in the command text, secrets travel on stdin (never here). A non-root SSH user goes through `sudo -n`.

import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { StepName } from "@seed-web/facts";
import { PROJECT_DIR } from "./root";

export const SCRIPTS_DIR = path.join(PROJECT_DIR, "scripts");

/** Every step has a script of its own in scripts/<step>.sh. */
export type ScriptName = StepName;

const cache = new Map<string, string>();

function read(file: string): string {
    let text = cache.get(file);
    if (text === undefined) {
        text = fs.readFileSync(path.join(SCRIPTS_DIR, file), "utf8");
        cache.set(file, text);
    }
    return text;
}

/** The program sent to bash: the shared library, then the step's script. */
export function scriptText(step: ScriptName): string {
    return `${read("lib.sh")}\n${read(`${step}.sh`)}`;
}

/** sha256 of what the step runs: a changed script re-runs the step. */
export function scriptSha256(step: ScriptName): string {
    return crypto.createHash("sha256").update(scriptText(step)).digest("hex");
}

/** Quote a string for a POSIX shell: one single-quoted word, whatever it holds. */
export function shQuote(value: string): string {
    if (value.includes("\0")) throw new Error("a shell argument cannot contain a NUL byte");
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

const ENV_NAME = /^LEMP_[A-Z0-9_]+$/;

/** The remote command text of a step (`script` defaults to the step's own; tests hand in another). */
export function buildCommand(step: ScriptName, env: Record<string, string>, user: string, script = scriptText(step)): string {
    const assignments = Object.keys(env)
        .sort()
        .map((name) => {
            if (!ENV_NAME.test(name)) throw new Error(`invalid setting name ${JSON.stringify(name)}: expected LEMP_[A-Z0-9_]+`);
            return `${name}=${shQuote(env[name])}`;
        });
    const run = ["bash", "-c", shQuote(script), `lemp-${step}`];
    const words = user === "root" ? [...assignments, ...run] : ["sudo", "-n", "env", ...assignments, ...run];
    return words.join(" ");
}

// From a provisioning script in scripts/ to the command text a remote command runs.
//
// The command is `LEMP_X='…' bash -c '<platform.sh + lib/*.sh in lib.sh's order + step script>' lemp-<step>`: settings travel as quoted environment
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

/**
 * The shared library's parts (scripts/lib/<part>.sh) in the order scripts/lib.sh sources them: that file's
 * `. "$_lemp_lib/lib/<part>.sh"` lines are the one list of them (a step run by hand sources lib.sh).
 */
export function libraryParts(): string[] {
    const parts = [...read("lib.sh").matchAll(/^\. "\$_lemp_lib\/lib\/([a-z-]+)\.sh"/gm)].map((m) => m[1]);
    if (parts.length === 0) throw new Error("scripts/lib.sh names no part of the library (lines '. \"$_lemp_lib/lib/<part>.sh\"')");
    return parts;
}

/** The shared library as one text: its parts concatenated in lib.sh's order. */
function library(): string {
    return libraryParts().map((p) => read(`lib/${p}.sh`)).join("");
}

/** The program sent to bash: the platform data (releases, engines), the shared library, then the step's script. */
export function scriptText(step: ScriptName): string {
    return `${read("platform.sh")}\n${library()}\n${read(`${step}.sh`)}`;
}

/** The program a step's delete sends to bash: the platform data, the shared library, then the step's undo (scripts/undo/<step>.sh). */
export function undoScriptText(step: ScriptName): string {
    return `${read("platform.sh")}\n${library()}\n${read(`undo/${step}.sh`)}`;
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

/** What a delete may do beyond undoing the step: the stack's `destroyData` and `purgePackages`. */
export interface UndoOptions {
    destroyData: boolean;
    purgePackages: boolean;
    /** The stack's `removePreexisting`: the firewall and database steps remove what the host held before them. */
    removePreexisting?: boolean;
    /** The host is in the stack's `forget`: its commands are retained on delete (their deletes never run). */
    forget?: boolean;
}

/**
 * The generation of a step: an id of its own inputs (what its triggers hold, its settings, the login user). The create
 * records it on the host (LEMP_GENERATION, see lemp_generation_record in scripts/lib/undo.sh); the delete undoes only
 * when the host still carries it. No secret goes in (secrets travel on stdin and are not part of it).
 */
export function generationOf(triggers: unknown[], env: Record<string, string>, user: string): string {
    return crypto.createHash("sha256").update(JSON.stringify({ triggers, env, user })).digest("hex").slice(0, 32);
}

/** The create and the delete command text of a step of that generation. */
export function buildStepCommands(
    step: ScriptName,
    env: Record<string, string>,
    user: string,
    generation: string,
    undo: UndoOptions,
): { create: string; delete: string } {
    if (!/^[0-9a-f]{8,64}$/.test(generation)) throw new Error(`invalid generation ${JSON.stringify(generation)}`);
    const own = { ...env, LEMP_GENERATION: generation };
    return {
        create: buildCommand(step, own, user),
        delete: buildCommand(
            step,
            { ...own, LEMP_DESTROY_DATA: undo.destroyData ? "1" : "0", LEMP_PURGE_PACKAGES: undo.purgePackages ? "1" : "0" },
            user,
            undoScriptText(step),
        ),
    };
}

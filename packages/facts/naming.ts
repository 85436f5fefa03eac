// The remote commands' resource names: `<host>-<step>` (e.g. `web-01-firewall`), built and parsed here only.

import { STEP_NAMES, StepName } from "./vocabulary";

/** The resource name of a host's step. */
export function commandName(host: string, step: StepName): string {
    return `${host}-${step}`;
}

const NAME_RE = new RegExp(`^(.+)-(${STEP_NAMES.join("|")})$`);

/** `<host>-<step>` → its parts, or undefined when the name does not follow the convention. */
export function parseCommandName(name: string): { host: string; step: StepName } | undefined {
    const m = NAME_RE.exec(name);
    return m ? { host: m[1], step: m[2] as StepName } : undefined;
}

// `--stack-outputs FILE|-`: what verify needs from a deployed stack that its stack file cannot say, read from
// `pulumi stack output --json --show-secrets`:
//   hosts[].hostKey  the SSH host key each host's commands pin (a Docker host's is generated: only the state has it;
//                    an SSH host's is the configured one or the one seen at the first `up`), pinned by verify's ssh;
//   sshPrivateKey    (secret) the Docker hosts' SSH client key, generated too: verify logs in to the Docker hosts
//                    with it (written to a private temporary file for ssh, removed when verify ends).
// The text may hold a secret: nothing of it is ever shown in an error, only the output's name.

export class StackOutputsError extends Error {}

export interface StackOutputs {
    /** Host name → its SSH host key (`type base64`). */
    hostKeys: Map<string, string>;
    /** The Docker hosts' client key (OpenSSH form), when the stack has Docker hosts. */
    sshPrivateKey?: string;
}

/** The most read from the file (the outputs of a 100-host stack are well under 1 MiB). */
export const MAX_STACK_OUTPUTS_BYTES = 4 * 1024 * 1024;

const HOST_KEY = /^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa) [A-Za-z0-9+/]+={0,3}$/;
const OPENSSH_KEY = /^-----BEGIN OPENSSH PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+-----END OPENSSH PRIVATE KEY-----\n?$/;
const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

function shown(s: string): string {
    return HOST_NAME.test(s) ? s : JSON.stringify(s.slice(0, 64));
}

/**
 * The outputs `where` holds, for a stack whose stack file lists `stackHosts`. Refused: not JSON, not this project's
 * outputs (no `hosts` list), a host the stack file does not list (the outputs of another stack), a malformed host
 * key, a private key hidden (`[secret]`: `--show-secrets` missing) or not an OpenSSH key.
 */
export function parseStackOutputs(text: string, where: string, stackHosts: readonly string[]): StackOutputs {
    const hint = "give the output of `pulumi stack output --json --show-secrets` for this stack";
    let doc: unknown;
    try {
        doc = JSON.parse(text);
    } catch {
        throw new StackOutputsError(`${where}: not JSON; ${hint}`);
    }
    if (typeof doc !== "object" || doc === null || Array.isArray(doc) || !Array.isArray((doc as { hosts?: unknown }).hosts)) {
        throw new StackOutputsError(`${where}: no "hosts" list: not the outputs of a seed-web stack; ${hint}`);
    }
    const o = doc as { hosts: unknown[]; sshPrivateKey?: unknown };
    const hostKeys = new Map<string, string>();
    for (const [i, h] of o.hosts.entries()) {
        const name = (h as { name?: unknown } | null)?.name;
        if (typeof name !== "string") throw new StackOutputsError(`${where}: hosts[${i}] has no name`);
        if (!stackHosts.includes(name)) {
            throw new StackOutputsError(`${where}: host ${shown(name)} is not in the stack file (its hosts: ${stackHosts.join(", ")}): the outputs of another stack?`);
        }
        const key = (h as { hostKey?: unknown }).hostKey;
        if (key === undefined) continue; // outputs of a version that did not export host keys: that host falls back to known_hosts
        if (typeof key !== "string" || !HOST_KEY.test(key.trim())) {
            throw new StackOutputsError(`${where}: hosts[${i}] (${name}).hostKey: not an SSH public key (type base64)`);
        }
        hostKeys.set(name, key.trim());
    }
    let sshPrivateKey: string | undefined;
    if (o.sshPrivateKey !== undefined && o.sshPrivateKey !== null) {
        if (o.sshPrivateKey === "[secret]") throw new StackOutputsError(`${where}: sshPrivateKey is hidden ("[secret]"): add --show-secrets to pulumi stack output`);
        if (typeof o.sshPrivateKey !== "string" || !OPENSSH_KEY.test(o.sshPrivateKey)) {
            throw new StackOutputsError(`${where}: sshPrivateKey (value not shown): not an OpenSSH private key`);
        }
        sshPrivateKey = o.sshPrivateKey.endsWith("\n") ? o.sshPrivateKey : `${o.sshPrivateKey}\n`;
    }
    return { hostKeys, ...(sshPrivateKey ? { sshPrivateKey } : {}) };
}

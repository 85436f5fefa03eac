// The program, independent of where its config comes from: config → topology → components → outputs.
// index.ts feeds it the stack's config; tests and the offline audit feed it a config of their own (tools/capture.ts).
// The composition root: it sits above lib/ (the model) and components/ (the resources), and nothing below imports it.

import * as pulumi from "@pulumi/pulumi";
import { loadConfig, RawConfig } from "./lib/config";
import { buildTopology, zoneFile } from "./lib/topology";
import { WebStack } from "./components/webstack";

export interface ProgramInputs {
    /** Config values of the project's namespace, keys without the "seed-web:" prefix. */
    raw: RawConfig;
    /** A secret config value, by key. */
    secret(key: string): pulumi.Output<string>;
    /** The SSH agent socket (SSH_AUTH_SOCK), if any. */
    sshAgentSocket?: string;
    /** The config keys the engine holds as secrets (undefined: not known). */
    secretKeys?: string[];
}

export function deployStack(inputs: ProgramInputs, opts?: pulumi.ComponentResourceOptions) {
    // Validation first: a bad value throws here, before any resource is registered.
    const config = loadConfig(inputs.raw, { hasSshAgent: !!inputs.sshAgentSocket, secretKeys: inputs.secretKeys });
    const topology = buildTopology(config);

    const stack = new WebStack(
        "seed-web",
        {
            topology,
            privateKey: inputs.secret,
            agentSocketPath: inputs.sshAgentSocket,
            undo: { destroyData: config.destroyData, purgePackages: config.purgePackages, removePreexisting: config.removePreexisting },
            forget: config.forget,
        },
        opts,
    );

    // seed-web:forget: what stays on each forgotten host once it leaves `hosts` (its deletes never run)
    const forgotten = stack.hosts
        .filter((h) => config.forget.includes(h.node.name))
        .map((h) => ({ name: h.node.name, address: h.node.connection.type === "ssh" ? h.node.connection.address : "", left: [...h.steps] }));
    for (const f of forgotten) {
        void pulumi.log.warn(
            `host ${f.name} (${f.address}) is forgotten: once it leaves seed-web:hosts, the next \`pulumi up\` drops its commands from the state ` +
                `without running their deletes (the host is not dialed). Left on it: the configuration of the steps ${f.left.join(", ")} ` +
                `and their data; undo them by hand on the host with scripts/undo/<step>.sh if it comes back.`,
        );
    }

    return {
        forgotten,
        siteUrl: topology.siteUrl,
        domain: topology.domain,
        publicIp: topology.publicIp,
        dnsRecords: topology.dns,
        zoneFile: zoneFile(topology.dns),
        entryPoints: topology.entryPoints,
        hosts: stack.hosts.map((h) => ({
            name: h.node.name,
            roles: h.node.roles,
            kind: h.node.connection.type,
            privateAddress: h.node.privateAddress,
            endpoint: h.endpoint,
            // public: what `npm run verify` pins (Docker hosts: generated, known only to the state)
            hostKey: h.hostKey,
        })),
        // The Docker hosts' SSH client key (secret; none without Docker hosts), for `npm run verify -- --stack-outputs`.
        sshPrivateKey: stack.platform?.privateKey,
        smoke: stack.smokeChecks.map((s) => s.command.stdout),
    };
}

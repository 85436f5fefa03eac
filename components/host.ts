// Hosts: where the remote commands run. Two kinds, one result: a `connection` for @pulumi/command.
//   ssh    – an existing Ubuntu 22.04/24.04/26.04 (or Debian 12/13) server: address, port, user; key from a secret or the SSH agent.
//   docker – a local Ubuntu 22.04 container built from docker/Dockerfile, reached over SSH on a published port.

import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import * as path from "path";
import { HostNode, DOCKER_SUBNET } from "../lib/topology";
import { PROJECT } from "../lib/config";
import { shQuote, UndoOptions } from "../lib/steps";
import { PROJECT_DIR } from "../lib/root";
import { HTTP_PORT, HTTPS_PORT } from "@seed-web/facts";

export type Connection = command.types.input.remote.ConnectionArgs;

/** Shared by every Docker host of a stack: the image, a network with fixed addresses, and an SSH key pair. */
export class DockerPlatform extends pulumi.ComponentResource {
    readonly image: docker.Image;
    readonly network: docker.Network;
    /** The generated private key (secret) and its public half. */
    readonly privateKey: pulumi.Output<string>;
    readonly publicKey: pulumi.Output<string>;

    constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
        super("seed-web:infra:DockerPlatform", name, {}, opts);
        this.image = new docker.Image(
            `${name}-image`,
            {
                imageName: `${PROJECT}-host:ubuntu-22.04`,
                // no platform: Docker builds for the machine it runs on (amd64, or arm64 on Apple Silicon, which would
                // otherwise run an amd64 image under emulation, if at all)
                build: { context: path.join(PROJECT_DIR, "docker") },
                skipPush: true,
            },
            { parent: this },
        );
        this.network = new docker.Network(
            `${name}-network`,
            { name: `${PROJECT}-${pulumi.getStack()}`, ipamConfigs: [{ subnet: DOCKER_SUBNET }] },
            { parent: this },
        );
        // The client key pair is made once by the tls provider and lives only in the (encrypted) state.
        const key = new tls.PrivateKey(`${name}-ssh-key`, { algorithm: "ED25519" }, { parent: this });
        this.privateKey = pulumi.secret(key.privateKeyOpenssh);
        this.publicKey = key.publicKeyOpenssh.apply((k) => k.trim());
        this.registerOutputs({ imageName: this.image.imageName, network: this.network.name });
    }
}

/**
 * How long `docker stop` / `docker restart` wait for the entrypoint to stop the services before SIGKILL. Docker's
 * default, 10 s, was too short for the database on a busy machine: the server was killed, not shut down.
 */
export const DOCKER_STOP_TIMEOUT_SECONDS = 60;

/** Where the Docker host's own SSH host key is installed (the entrypoint makes it sshd's only host key). */
export const DOCKER_HOST_KEY_PATH = "/etc/ssh/seed-web/ssh_host_ed25519_key";

/**
 * Trust on first use, like OpenSSH: the host key an SSH server presents at the first `up` (ssh-keyscan on the machine
 * that runs Pulumi), recorded in the state; it runs again only when the address or port changes. The key type the
 * provider's Go SSH client negotiates first is pinned (ECDSA P-256, then Ed25519). Never an RSA key: pinned, it makes
 * that client offer only SHA-1 "ssh-rsa" signatures, which OpenSSH 8.8 and later refuse (see lib/config.ts).
 */
export function hostKeyScanCommand(host: string, address: string, port: number): string {
    const types = ["ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-ed25519"];
    return [
        "set -eu",
        `out=$(ssh-keyscan -T 10 -p ${port} -t ecdsa,ed25519 -- ${shQuote(address)} 2>/dev/null || true)`,
        `for t in ${types.join(" ")}; do`,
        `  line=$(printf '%s\n' "$out" | awk -v t="$t" '$2 == t { print $2 " " $3; exit }')`,
        `  if [ -n "$line" ]; then printf '%s\n' "$line"; exit 0; fi`,
        "done",
        `echo ${shQuote(`seed-web: host ${host}: no SSH host key from ${address} port ${port} (is sshd reachable? an RSA key alone is not enough: the server needs an Ed25519 or ECDSA host key, e.g. ssh-keygen -A)`)} >&2`,
        "exit 1",
    ].join("\n");
}

export interface HostArgs {
    node: HostNode;
    /** Index of the host in the topology (Docker hosts take their fixed address from it). */
    index: number;
    /** Docker hosts: the shared platform. */
    platform?: DockerPlatform;
    /** SSH hosts: the private key (secret), when not using the agent. */
    privateKey?: pulumi.Output<string>;
    /** SSH hosts without a key: the agent's socket. */
    agentSocketPath?: string;
    /** What the steps' deletes may remove beyond their own configuration (default: neither data nor packages). */
    undo?: UndoOptions;
}

export class Host extends pulumi.ComponentResource {
    readonly node: HostNode;
    /** How the remote commands reach the host. */
    readonly connection: pulumi.Output<Connection>;
    /** Login user: commands go through `sudo -n` unless it is root. */
    readonly user: string;
    /** Where the program reaches the host (address or localhost) and its published ports, for the outputs. */
    readonly endpoint: pulumi.Output<{ address: string; sshPort: number; httpPort?: number; httpsPort?: number }>;
    /** The SSH host key the commands pin (`type base64`): configured, seen at the first `up`, or generated (Docker). */
    readonly hostKey: pulumi.Output<string>;
    readonly container?: docker.Container;
    /** What must exist before a command can reach the host (the container, for a Docker host). */
    readonly ready: pulumi.Resource[] = [];
    /** The steps that run on the host (scripts/<step>.sh), in registration order. */
    readonly steps: string[] = [];
    /** The stack's destroyData / purgePackages, for every step's delete. */
    readonly undo: UndoOptions;

    constructor(name: string, args: HostArgs, opts?: pulumi.ComponentResourceOptions) {
        super("seed-web:infra:Host", name, {}, opts);
        this.node = args.node;
        this.undo = args.undo ?? { destroyData: false, purgePackages: false };
        const spec = args.node.connection;
        if (spec.type === "ssh") {
            this.user = spec.user;
            // The configured host key, else the one seen at the first `up` (a changed key then fails every step).
            const hostKey: pulumi.Input<string> =
                spec.hostKey ??
                new command.local.Command(
                    `${name}-host-key`,
                    { create: hostKeyScanCommand(name, spec.address, spec.port), triggers: [spec.address, spec.port] },
                    { parent: this, ...(this.undo.forget ? { retainOnDelete: true } : {}) },
                ).stdout.apply((k) => k.trim());
            this.hostKey = pulumi.output(hostKey);
            this.connection = pulumi.output({
                host: spec.address,
                port: spec.port,
                user: spec.user,
                hostKey,
                privateKey: args.privateKey,
                agentSocketPath: args.privateKey ? undefined : args.agentSocketPath,
                dialErrorLimit: 10,
                perDialTimeout: 15,
            });
            this.endpoint = pulumi.output({ address: spec.address, sshPort: spec.port, httpPort: HTTP_PORT, httpsPort: HTTPS_PORT });
        } else {
            const platform = args.platform;
            if (!platform) throw new Error(`host ${name}: a docker host needs the Docker platform`);
            this.user = "root";
            const publish: [number, number | undefined][] = [
                [22, spec.sshPort],
                [HTTP_PORT, spec.httpPort],
                [HTTPS_PORT, spec.httpsPort],
                [3306, spec.dbPort],
            ];
            const ports: docker.types.input.ContainerPort[] = publish
                .filter((p): p is [number, number] => p[1] !== undefined)
                .map(([internal, external]) => ({ internal, external, ip: spec.bindAddress, protocol: "tcp" }));
            // The container's SSH host key: generated here, installed by docker (the entrypoint makes it sshd's
            // only one), pinned in every connection.
            const hostKey = new tls.PrivateKey(`${name}-host-key`, { algorithm: "ED25519" }, { parent: this });
            this.container = new docker.Container(
                name,
                {
                    name: `${PROJECT}-${pulumi.getStack()}-${name}`,
                    hostname: name,
                    image: platform.image.imageName,
                    envs: [pulumi.interpolate`SSH_AUTHORIZED_KEY=${platform.publicKey}`],
                    ports,
                    uploads: [{ file: DOCKER_HOST_KEY_PATH, content: pulumi.secret(hostKey.privateKeyOpenssh), permissions: "0600" }],
                    networksAdvanced: [{ name: platform.network.name, ipv4Address: args.node.privateAddress }],
                    restart: "unless-stopped",
                    stopTimeout: DOCKER_STOP_TIMEOUT_SECONDS,
                    // ufw manages the container's own iptables rules.
                    ...(args.node.firewall ? { capabilities: { adds: ["NET_ADMIN"] } } : {}),
                },
                { parent: this, dependsOn: [platform.image] },
            );
            this.ready = [this.container];
            this.hostKey = hostKey.publicKeyOpenssh.apply((k) => k.trim());
            this.connection = pulumi.output({
                host: spec.bindAddress === "0.0.0.0" ? "127.0.0.1" : spec.bindAddress,
                port: spec.sshPort,
                user: "root",
                hostKey: this.hostKey,
                privateKey: platform.privateKey,
                dialErrorLimit: 30,
                perDialTimeout: 10,
            });
            this.endpoint = pulumi.output({
                address: spec.bindAddress,
                sshPort: spec.sshPort,
                httpPort: spec.httpPort,
                httpsPort: spec.httpsPort,
            });
        }
        this.registerOutputs({ roles: args.node.roles, endpoint: this.endpoint });
    }
}

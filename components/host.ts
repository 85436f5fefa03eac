// Hosts: where the remote commands run. Two kinds, one result: a `connection` for @pulumi/command.
//   ssh    – an existing Ubuntu 22.04 (or Debian 12) server: address, port, user; key from a secret or the SSH agent.
//   docker – a local Ubuntu 22.04 container built from docker/Dockerfile, reached over SSH on a published port.

import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { HostNode, DOCKER_SUBNET } from "../lib/topology";
import { PROJECT } from "../lib/config";

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
                build: { context: path.join(__dirname, "..", "docker"), platform: "linux/amd64" },
                skipPush: true,
            },
            { parent: this },
        );
        this.network = new docker.Network(
            `${name}-network`,
            { name: `${PROJECT}-${pulumi.getStack()}`, ipamConfigs: [{ subnet: DOCKER_SUBNET }] },
            { parent: this },
        );
        // The key pair is made once, on the machine that runs `pulumi up`, and lives only in the (encrypted) state.
        const keygen = new command.local.Command(
            `${name}-ssh-key`,
            {
                create:
                    'set -eu; d=$(mktemp -d); trap \'rm -rf "$d"\' EXIT; ' +
                    "ssh-keygen -q -t ed25519 -N '' -C seed-web-docker -f \"$d/key\"; cat \"$d/key\" \"$d/key.pub\"",
                logging: "none",
            },
            { parent: this, additionalSecretOutputs: ["stdout"] },
        );
        const parts = keygen.stdout.apply(splitKeyPair);
        this.privateKey = pulumi.secret(parts.apply((p) => p.privateKey));
        this.publicKey = parts.apply((p) => p.publicKey);
        this.registerOutputs({ imageName: this.image.imageName, network: this.network.name });
    }
}

export function splitKeyPair(text: string): { privateKey: string; publicKey: string } {
    const end = "-----END OPENSSH PRIVATE KEY-----";
    const at = text.indexOf(end);
    if (at < 0) throw new Error("ssh-keygen printed no OpenSSH private key");
    return { privateKey: text.slice(0, at + end.length) + "\n", publicKey: text.slice(at + end.length).trim() };
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
}

export class Host extends pulumi.ComponentResource {
    readonly node: HostNode;
    /** How the remote commands reach the host. */
    readonly connection: pulumi.Output<Connection>;
    /** Login user: commands go through `sudo -n` unless it is root. */
    readonly user: string;
    /** Where the program reaches the host (address or localhost) and its published ports, for the outputs. */
    readonly endpoint: pulumi.Output<{ address: string; sshPort: number; httpPort?: number; httpsPort?: number }>;
    readonly container?: docker.Container;
    /** What must exist before a command can reach the host (the container, for a Docker host). */
    readonly ready: pulumi.Resource[] = [];

    constructor(name: string, args: HostArgs, opts?: pulumi.ComponentResourceOptions) {
        super("seed-web:infra:Host", name, {}, opts);
        this.node = args.node;
        const spec = args.node.connection;
        if (spec.type === "ssh") {
            this.user = spec.user;
            this.connection = pulumi.output({
                host: spec.address,
                port: spec.port,
                user: spec.user,
                privateKey: args.privateKey,
                agentSocketPath: args.privateKey ? undefined : args.agentSocketPath,
                dialErrorLimit: 10,
                perDialTimeout: 15,
            });
            this.endpoint = pulumi.output({ address: spec.address, sshPort: spec.port, httpPort: 80, httpsPort: 443 });
        } else {
            const platform = args.platform;
            if (!platform) throw new Error(`host ${name}: a docker host needs the Docker platform`);
            this.user = "root";
            const publish: [number, number | undefined][] = [
                [22, spec.sshPort],
                [80, spec.httpPort],
                [443, spec.httpsPort],
                [3306, spec.dbPort],
            ];
            const ports: docker.types.input.ContainerPort[] = publish
                .filter((p): p is [number, number] => p[1] !== undefined)
                .map(([internal, external]) => ({ internal, external, ip: spec.bindAddress, protocol: "tcp" }));
            this.container = new docker.Container(
                name,
                {
                    name: `${PROJECT}-${pulumi.getStack()}-${name}`,
                    hostname: name,
                    image: platform.image.imageName,
                    envs: [pulumi.interpolate`SSH_AUTHORIZED_KEY=${platform.publicKey}`],
                    ports,
                    networksAdvanced: [{ name: platform.network.name, ipv4Address: args.node.privateAddress }],
                    restart: "unless-stopped",
                    // ufw manages the container's own iptables rules.
                    ...(args.node.firewall ? { capabilities: { adds: ["NET_ADMIN"] } } : {}),
                },
                { parent: this, dependsOn: [platform.image] },
            );
            this.ready = [this.container];
            this.connection = pulumi.output({
                host: spec.bindAddress === "0.0.0.0" ? "127.0.0.1" : spec.bindAddress,
                port: spec.sshPort,
                user: "root",
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

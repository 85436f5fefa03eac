// The whole deployment for a topology: hosts, then on each host the steps its roles need.

import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { Topology } from "../lib/topology";
import { DockerPlatform, Host } from "./host";
import { BaseSystem, Database, PhpFpm, Site, SmokeCheck, WebServer } from "./lemp";

export interface WebStackArgs {
    topology: Topology;
    /** The private key for SSH hosts, by the config key that holds it. */
    privateKey(configKey: string): pulumi.Output<string>;
    /** SSH agent socket, for SSH hosts that name no key. */
    agentSocketPath?: string;
}

export class WebStack extends pulumi.ComponentResource {
    readonly hosts: Host[];
    readonly smokeChecks: SmokeCheck[] = [];
    readonly appPassword: random.RandomPassword;

    constructor(name: string, args: WebStackArgs, opts?: pulumi.ComponentResourceOptions) {
        super("seed-web:index:WebStack", name, {}, opts);
        const { topology } = args;

        const needsDocker = topology.hosts.some((h) => h.connection.type === "docker");
        const platform = needsDocker ? new DockerPlatform("docker", { parent: this }) : undefined;

        this.hosts = topology.hosts.map((node, index) => {
            const c = node.connection;
            return new Host(
                node.name,
                {
                    node,
                    index,
                    platform,
                    privateKey: c.type === "ssh" && c.privateKeyConfig ? args.privateKey(c.privateKeyConfig) : undefined,
                    agentSocketPath: args.agentSocketPath,
                },
                { parent: this },
            );
        });

        // The application's database password: generated, secret, handed to scripts on stdin only.
        this.appPassword = new random.RandomPassword("db-app-password", { length: 32, special: false }, { parent: this });
        const password = this.appPassword.result;

        const base = new Map(this.hosts.map((h) => [h, new BaseSystem(`${h.node.name}-base`, { host: h }, { parent: h })]));

        let database: Database | undefined;
        for (const host of this.hosts) {
            const plan = host.node.database;
            if (!plan) continue;
            database = new Database(
                `${host.node.name}-database`,
                { host, plan, appPassword: password, after: [base.get(host)!.command] },
                { parent: host },
            );
        }

        for (const host of this.hosts) {
            const web = host.node.web;
            if (!web) continue;
            const php = new PhpFpm(`${host.node.name}-php`, { host, after: [base.get(host)!.command] }, { parent: host });
            const nginx = new WebServer(`${host.node.name}-nginx`, { host, web, after: [php.command] }, { parent: host });
            const site = new Site(
                `${host.node.name}-app`,
                { host, web, appPassword: password, after: [nginx.command, ...(database ? [database.command] : [])] },
                { parent: host },
            );
            const checks = [base.get(host)!.facts, php.facts, nginx.facts, site.facts, ...(database ? [database.facts] : [])];
            this.smokeChecks.push(
                new SmokeCheck(`${host.node.name}-smoke`, { host, web, checks, after: [site.command] }, { parent: host }),
            );
        }
        this.registerOutputs({});
    }
}

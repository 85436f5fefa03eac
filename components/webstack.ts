// The whole deployment for a topology: hosts, then on each host the steps its roles need, in this order:
//   every host:     base → firewall
//   database hosts: → database (a replica after its primary) → backup (primary)
//   web hosts:      → php → nginx → certbot (Let's Encrypt at the entry point) → app (after the primary) → smoke
//   load balancer:  → haproxy (after every web host's smoke check) → certbot → smoke
//   every host:     → monitoring (after the host's services)

import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { Topology } from "../lib/topology";
import { DockerPlatform, Host } from "./host";
import {
    Backup,
    BaseSystem,
    Certificate,
    Database,
    Firewall,
    LoadBalancer,
    Monitoring,
    PhpFpm,
    Site,
    SmokeCheck,
    WebServer,
} from "./lemp";

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

        // Generated secrets: they reach the scripts on stdin only.
        const appPassword = new random.RandomPassword("db-app-password", { length: 32, special: false }, { parent: this }).result;
        const replicated = topology.hosts.some((h) => h.database?.role === "primary");
        const replicationPassword = replicated
            ? new random.RandomPassword("db-replication-password", { length: 32, special: false }, { parent: this }).result
            : undefined;

        // What every later step on a host waits for, and the facts a host's smoke check covers.
        const last = new Map<Host, pulumi.Resource>();
        const facts = new Map<Host, unknown[]>();
        const track = <S extends { command: pulumi.Resource; facts: unknown }>(host: Host, step: S): S => {
            last.set(host, step.command);
            facts.set(host, [...(facts.get(host) ?? []), step.facts]);
            return step;
        };
        const child = (host: Host) => ({ parent: host });
        const n = (host: Host, step: string) => `${host.node.name}-${step}`;

        for (const host of this.hosts) {
            track(host, new BaseSystem(n(host, "base"), { host }, child(host)));
            const plan = host.node.firewall;
            if (plan) track(host, new Firewall(n(host, "firewall"), { host, plan, after: [last.get(host)!] }, child(host)));
        }

        // Databases: the primary (or the only one) first, replicas after it.
        const databases = this.hosts.filter((h) => h.node.database).sort((a, b) => a.node.database!.serverId - b.node.database!.serverId);
        let primary: Database | undefined;
        for (const host of databases) {
            const db = track(
                host,
                new Database(
                    n(host, "database"),
                    {
                        host,
                        plan: host.node.database!,
                        appPassword,
                        replicationPassword,
                        after: [last.get(host)!, ...(primary ? [primary.command] : [])],
                    },
                    child(host),
                ),
            );
            primary ??= db;
            const backup = host.node.backup;
            if (backup) track(host, new Backup(n(host, "backup"), { host, plan: backup, after: [db.command] }, child(host)));
        }

        for (const host of this.hosts) {
            const web = host.node.web;
            if (!web) continue;
            track(host, new PhpFpm(n(host, "php"), { host, after: [last.get(host)!] }, child(host)));
            track(host, new WebServer(n(host, "nginx"), { host, web, after: [last.get(host)!] }, child(host)));
            const cert = host.node.certbot;
            if (cert) track(host, new Certificate(n(host, "certbot"), { host, plan: cert, after: [last.get(host)!] }, child(host)));
            track(
                host,
                new Site(n(host, "app"), { host, web, appPassword, after: [last.get(host)!, ...(primary ? [primary.command] : [])] }, child(host)),
            );
            const smoke = new SmokeCheck(
                n(host, "smoke"),
                { host, serverNames: web.serverNames, tls: web.tls, checks: [...facts.get(host)!, ...(primary ? [primary.facts] : [])], after: [last.get(host)!] },
                child(host),
            );
            last.set(host, smoke.command);
            this.smokeChecks.push(smoke);
        }

        const webSmokes = [...this.smokeChecks];
        for (const host of this.hosts) {
            const lb = host.node.lb;
            if (!lb) continue;
            track(host, new LoadBalancer(n(host, "lb"), { host, lb, after: [last.get(host)!, ...webSmokes.map((s) => s.command)] }, child(host)));
            const cert = host.node.certbot;
            if (cert) track(host, new Certificate(n(host, "certbot"), { host, plan: cert, after: [last.get(host)!] }, child(host)));
            const smoke = new SmokeCheck(
                n(host, "smoke"),
                { host, serverNames: lb.serverNames, tls: lb.tls, checks: facts.get(host)!, after: [last.get(host)!] },
                child(host),
            );
            last.set(host, smoke.command);
            this.smokeChecks.push(smoke);
        }

        for (const host of this.hosts) {
            const plan = host.node.monitoring;
            if (plan) track(host, new Monitoring(n(host, "monitoring"), { host, plan, after: [last.get(host)!] }, child(host)));
        }
        this.registerOutputs({});
    }
}

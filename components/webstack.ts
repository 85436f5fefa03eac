// The whole deployment for a topology: the hosts, the stack's generated secrets and its PKI (database-pki.ts), then the
// steps (steps/<step>.ts, each running scripts/<step>.sh), in this order. Each row is one pass over the hosts, in the
// hosts' order; a step waits for the one before it on its host, and for what the last column says.
//
//   row  hosts                      steps                                  also waits for
//   1    every host                 base → firewall
//   2    database hosts             database → backup (primary)            a replica: the primary's database step
//        (the primary first)
//   3    the primary, with replicas replication (the account keeps         every replica's database step
//                                   only REPLICATION SLAVE)
//   4    web hosts                  php → nginx → certbot → app → then     php: not the host's database steps; stage:
//                                   with appSource: upload → stage,        the previous web host's stage; smoke: the
//                                   else smoke                             host's database steps and the primary's
//   5    web hosts with appSource   release → smoke                        every stage, the previous web host's release
//   6    load balancer              lb → certbot → smoke                   lb: every web host's smoke check
//   7    every host                 monitoring
// certbot (Let's Encrypt) runs only at the entry point, backup and monitoring only where configured, upload only for
// an appSource on the local disk.

import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { commandName, StepName } from "@seed-web/facts";
import { Topology } from "../lib/topology";
import { UndoOptions } from "../lib/steps";
import { databasePki } from "./database-pki";
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
    Release,
    Stage,
    releaseUpload,
    ReplicationGrants,
    Site,
    SmokeCheck,
    WebServer,
} from "./steps";

export interface WebStackArgs {
    topology: Topology;
    /** The private key for SSH hosts, by the config key that holds it. */
    privateKey(configKey: string): pulumi.Output<string>;
    /** SSH agent socket, for SSH hosts that name no key. */
    agentSocketPath?: string;
    /** The stack's destroyData / purgePackages: what the steps' deletes may remove beyond their configuration. */
    undo?: UndoOptions;
    /** The stack's `forget`: hosts whose resources are retained on delete. */
    forget?: string[];
}

export class WebStack extends pulumi.ComponentResource {
    readonly hosts: Host[];
    /** The Docker hosts' shared image, network and client key pair (a stack with Docker hosts only). */
    readonly platform?: DockerPlatform;
    readonly smokeChecks: SmokeCheck[] = [];

    constructor(name: string, args: WebStackArgs, opts?: pulumi.ComponentResourceOptions) {
        super("seed-web:index:WebStack", name, {}, opts);
        const { topology } = args;

        const needsDocker = topology.hosts.some((h) => h.connection.type === "docker");
        // Child names derive from this component's name (two stacks' components in one program must not collide); the
        // aliases keep the resources of stacks deployed under the old names.
        const platform = (this.platform = needsDocker ? new DockerPlatform(`${name}-docker`, { parent: this, aliases: [{ name: "docker" }] }) : undefined);

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
                    undo: { ...(args.undo ?? { destroyData: false, purgePackages: false }), forget: args.forget?.includes(node.name) ?? false },
                },
                { parent: this },
            );
        });

        // Generated secrets: they reach the scripts on stdin only.
        const appPassword = new random.RandomPassword(`${name}-db-app-password`, { length: 32, special: false }, { parent: this, aliases: [{ name: "db-app-password" }] }).result;
        const replicated = topology.hosts.some((h) => h.database?.role === "primary");
        const replicationPassword = replicated
            ? new random.RandomPassword(`${name}-db-replication-password`, { length: 32, special: false }, { parent: this, aliases: [{ name: "db-replication-password" }] }).result
            : undefined;

        // TLS between hosts: the stack's CA and its certificates (components/database-pki.ts)
        const { dbTls, backendTls, ca: dbCa } = databasePki(name, this.hosts, this);

        // What every later step on a host waits for, and the facts a host's smoke check covers.
        const last = new Map<Host, pulumi.Resource>();
        const facts = new Map<Host, unknown[]>();
        const track = <S extends { command: pulumi.Resource; facts: unknown }>(host: Host, step: S): S => {
            last.set(host, step.command);
            facts.set(host, [...(facts.get(host) ?? []), step.facts]);
            return step;
        };
        const child = (host: Host) => ({ parent: host });
        const n = (host: Host, step: StepName) => commandName(host.node.name, step);

        // row 1
        for (const host of this.hosts) {
            track(host, new BaseSystem(n(host, "base"), { host }, child(host)));
            const plan = host.node.firewall;
            if (plan) track(host, new Firewall(n(host, "firewall"), { host, plan, after: [last.get(host)!] }, child(host)));
        }

        // row 2. Databases: the primary (or the only one) first, replicas after it.
        // The web steps of a host do not wait for its database steps, nor the application for the primary's (its
        // script never connects; the smoke check waits for both): when the primary moves, the applications switch to
        // the new one while it is still a read-only replica (their writes refused, not lost) and the new primary's
        // step waits until the old one takes no more writes before it stops replicating from it (scripts/database.sh).
        const beforeDb = new Map(last);
        // the primary's step first (the replicas copy from it and connect with the account it makes), then the replicas
        // in the hosts' order
        const isPrimaryDb = (h: Host) => h.node.database!.role !== "replica";
        const databases = [...this.hosts.filter((h) => h.node.database && isPrimaryDb(h)), ...this.hosts.filter((h) => h.node.database && !isPrimaryDb(h))];
        let primary: Database | undefined;
        const replicaSteps: Database[] = [];
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
                        tls: dbTls.get(host),
                        after: [last.get(host)!, ...(primary ? [primary.command] : [])],
                    },
                    child(host),
                ),
            );
            primary ??= db;
            const backup = host.node.backup;
            if (backup) track(host, new Backup(n(host, "backup"), { host, plan: backup, after: [db.command] }, child(host)));
            if (db !== primary) replicaSteps.push(db);
        }
        // row 3
        if (primary && replicaSteps.length > 0) {
            const host = databases[0];
            track(
                host,
                new ReplicationGrants(
                    n(host, "replication"),
                    { host, plan: host.node.database!, databases: [primary.facts, ...replicaSteps.map((r) => r.facts)], after: [last.get(host)!, ...replicaSteps.map((r) => r.command)] },
                    child(host),
                ),
            );
        }

        const afterDb = new Map(last);
        const webSmoke = (host: Host) => {
            const web = host.node.web!;
            const ownDb = afterDb.get(host) !== beforeDb.get(host) ? [afterDb.get(host)!] : [];
            const smoke = new SmokeCheck(
                n(host, "smoke"),
                {
                    host,
                    serverNames: web.serverNames,
                    tls: web.tls,
                    appHealthPath: web.app?.healthPath,
                    checks: [...facts.get(host)!, ...(primary ? [primary.facts] : [])],
                    after: [last.get(host)!, ...ownDb, ...(primary && !ownDb.includes(primary.command) ? [primary.command] : [])],
                },
                child(host),
            );
            last.set(host, smoke.command);
            this.smokeChecks.push(smoke);
        };
        // row 4. The user's application: staged and checked on every web host, one after the other (the first one runs
        // appMigrate), before any of them switches; a release that fails on any host stops the deploy before the first
        // switch (scripts/stage.sh)
        const stages: pulumi.Resource[] = [];
        const appHosts: Host[] = [];
        for (const host of this.hosts) {
            const web = host.node.web;
            if (!web) continue;
            track(host, new PhpFpm(n(host, "php"), { host, after: [beforeDb.get(host)!] }, child(host)));
            track(host, new WebServer(n(host, "nginx"), { host, web, backendTls: backendTls.get(host), after: [last.get(host)!] }, child(host)));
            const cert = host.node.certbot;
            if (cert) track(host, new Certificate(n(host, "certbot"), { host, plan: cert, after: [last.get(host)!] }, child(host)));
            track(
                host,
                new Site(n(host, "app"), { host, web, appPassword, dbCa: web.db.tls ? dbCa : undefined, after: [last.get(host)!] }, child(host)),
            );
            if (web.app) {
                const upload = web.app.upload ? [releaseUpload(`${host.node.name}-upload`, host, web.app.upload, [], host)] : [];
                const after = [last.get(host)!, ...upload, ...stages.slice(-1)];
                stages.push(track(host, new Stage(n(host, "stage"), { host, web, after }, child(host))).command);
                appHosts.push(host);
            } else webSmoke(host);
        }
        // row 5: then live one web host at a time, in the hosts' order (drained from the balancer behind one: release.sh)
        let previousRelease: pulumi.Resource | undefined;
        for (const host of appHosts) {
            const after = [last.get(host)!, ...stages, ...(previousRelease ? [previousRelease] : [])];
            previousRelease = track(host, new Release(n(host, "release"), { host, web: host.node.web!, after }, child(host))).command;
            webSmoke(host);
        }

        // row 6
        const webSmokes = [...this.smokeChecks];
        for (const host of this.hosts) {
            const lb = host.node.lb;
            if (!lb) continue;
            track(host, new LoadBalancer(n(host, "lb"), { host, lb, ca: lb.backendTls ? dbCa : undefined, after: [last.get(host)!, ...webSmokes.map((s) => s.command)] }, child(host)));
            const cert = host.node.certbot;
            if (cert) track(host, new Certificate(n(host, "certbot"), { host, plan: cert, after: [last.get(host)!] }, child(host)));
            const smoke = new SmokeCheck(
                n(host, "smoke"),
                {
                    host,
                    serverNames: lb.serverNames,
                    tls: lb.tls,
                    appHealthPath: this.hosts.find((h) => h.node.web?.app)?.node.web!.app!.healthPath,
                    checks: facts.get(host)!,
                    after: [last.get(host)!],
                },
                child(host),
            );
            last.set(host, smoke.command);
            this.smokeChecks.push(smoke);
        }

        // row 7
        for (const host of this.hosts) {
            const plan = host.node.monitoring;
            if (plan) track(host, new Monitoring(n(host, "monitoring"), { host, plan, after: [last.get(host)!] }, child(host)));
        }
        this.registerOutputs({});
    }
}

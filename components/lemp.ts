// The services on a host, one component per service, each a remote command running its script from scripts/.
// A component turns its part of the topology into typed facts (recorded in the command's triggers) and the LEMP_*
// settings its script reads. The order between them is set by components/webstack.ts.

import * as command from "@pulumi/command";
import * as crypto from "crypto";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Role } from "../lib/config";
import {
    AppFacts,
    BackupFacts,
    BaseFacts,
    CertbotFacts,
    DatabaseFacts,
    FACTS_SCHEMA,
    FirewallFacts,
    LbFacts,
    MonitoringFacts,
    NginxFacts,
    PhpFacts,
    ReleaseFacts,
    StageFacts,
    ReplicationFacts,
    SmokeFacts,
    StepFacts,
    StepName,
} from "@seed-web/facts";
import { backendTlsName, hostSteps, BackupPlan, CertbotPlan, DatabasePlan, FirewallPlan, LbPlan, MonitoringPlan, TlsPlan, WebPlan } from "../lib/topology";
import { Host } from "./host";
import { remoteStep } from "./step";

type Common<S extends StepName> = { schema: typeof FACTS_SCHEMA; step: S; host: string; roles: Role[] };

function common<S extends StepName>(host: Host, step: S): Common<S> {
    return { schema: FACTS_SCHEMA, step, host: host.node.name, roles: [...host.node.roles] };
}

interface StepOptions {
    after?: pulumi.Resource[];
    secrets?: pulumi.Input<string>[];
    extraTriggers?: unknown[];
}

/** A component that runs one script on one host. */
abstract class HostStep<F extends StepFacts> extends pulumi.ComponentResource {
    readonly facts: F;
    readonly command: command.remote.Command;

    protected constructor(
        type: string,
        name: string,
        host: Host,
        facts: F,
        env: Record<string, string>,
        step: StepOptions,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super(type, name, {}, opts);
        this.facts = facts;
        this.command = remoteStep(
            name,
            {
                host,
                script: facts.step,
                facts,
                env,
                secrets: step.secrets,
                extraTriggers: step.extraTriggers,
                dependsOn: step.after,
                undo: host.undo,
            },
            this,
        );
        // Outputs of a step that handles secrets stay out of the component's outputs.
        this.registerOutputs(step.secrets ? { facts } : { facts, report: this.command.stdout });
    }
}

const list = (xs: readonly (string | number)[]) => xs.join(" ");

/** The stack's `removePreexisting`, set only when on (the steps' generations stay as they were without it). */
const preexisting = (host: Host): Record<string, string> => (host.undo.removePreexisting ? { LEMP_REMOVE_PREEXISTING: "1" } : {});

/** A PEM as one line of stdin (base64): the scripts read one secret per line. */
const pemLine = (pem: pulumi.Input<string>): pulumi.Output<string> => pulumi.output(pem).apply((p) => Buffer.from(p, "utf8").toString("base64"));

/** A database server's TLS material: its key (secret), its certificate and the CA's, all PEM. */
export interface DatabaseTls {
    key: pulumi.Output<string>;
    cert: pulumi.Output<string>;
    ca: pulumi.Output<string>;
}

function tlsEnv(tls: TlsPlan): Record<string, string> {
    return {
        LEMP_TLS: tls.mode,
        LEMP_HTTPS_PORT: String(tls.httpsPort),
        LEMP_REDIRECT_HTTP: tls.redirectHttp ? "1" : "0",
        LEMP_HSTS_MAX_AGE: String(tls.hstsMaxAge),
    };
}

/** Operating system check (a release of scripts/platform.sh), cloud-init and apt lock wait, package lists, curl. */
export class BaseSystem extends HostStep<BaseFacts> {
    constructor(name: string, args: { host: Host }, opts?: pulumi.ComponentResourceOptions) {
        const facts: BaseFacts = {
            ...common(args.host, "base"),
            provider: args.host.node.connection.type,
            privateAddress: args.host.node.privateAddress,
            preinstall: hostSteps(args.host.node),
        };
        const env: Record<string, string> = { LEMP_APT_MAX_AGE: "3600", LEMP_PREINSTALL: list(facts.preinstall) };
        // the database server's packages are among those preinstalled: the engine chosen, not the distribution's
        if (args.host.node.database) env.LEMP_DB_ENGINE = args.host.node.database.engine;
        super("seed-web:lemp:BaseSystem", name, args.host, facts, env, {}, opts);
    }
}

/** ufw: inbound denied by default, the topology's rules allowed (SSH always, so the program keeps its way in). */
export class Firewall extends HostStep<FirewallFacts> {
    constructor(name: string, args: { host: Host; plan: FirewallPlan; after: pulumi.Resource[] }, opts?: pulumi.ComponentResourceOptions) {
        const facts: FirewallFacts = { ...common(args.host, "firewall"), engine: "ufw", defaultInbound: "deny", rules: args.plan.rules };
        const rules = args.plan.rules.map((r) => `${r.port}/${r.proto}:${r.from}`);
        super("seed-web:lemp:Firewall", name, args.host, facts, { LEMP_FW_RULES: list(rules), ...preexisting(args.host) }, { after: args.after }, opts);
    }
}

/** PHP-FPM, the version the distribution ships, its workers sized from the host's memory. */
export class PhpFpm extends HostStep<PhpFacts> {
    constructor(name: string, args: { host: Host; after: pulumi.Resource[] }, opts?: pulumi.ComponentResourceOptions) {
        const tuning = args.host.node.tuning;
        const mb = (v: string): "auto" | number => (v === "auto" ? "auto" : Number(v));
        const facts: PhpFacts = {
            ...common(args.host, "php"),
            maxChildren: mb(tuning.LEMP_PHP_MAX_CHILDREN),
            memoryMb: mb(tuning.LEMP_TUNE_MEM_MB),
            workerMb: Number(tuning.LEMP_TUNE_PHP_WORKER_MB),
            ...(tuning.LEMP_TUNE_SHARED === "1" ? { dbBufferPoolMb: mb(tuning.LEMP_DB_BUFFER_POOL_MB) } : {}),
        };
        super("seed-web:lemp:PhpFpm", name, args.host, facts, { ...tuning }, { after: args.after }, opts);
    }
}

/** A web host's certificate for the balancer → web hop: its key (secret) and certificate, PEM, from the stack's CA. */
export interface BackendTls {
    key: pulumi.Output<string>;
    cert: pulumi.Output<string>;
}

/** Nginx: the site for the domain (and www), its document root and static page, PHP handed to PHP-FPM, TLS. */
export class WebServer extends HostStep<NginxFacts> {
    constructor(
        name: string,
        args: { host: Host; web: WebPlan; /** Required when web.backendTlsPort. */ backendTls?: BackendTls; after: pulumi.Resource[] },
        opts?: pulumi.ComponentResourceOptions,
    ) {
        const { web } = args;
        if (web.backendTlsPort !== undefined && !args.backendTls) throw new Error(`${name}: a web host behind the load balancer needs its TLS certificate`);
        const facts: NginxFacts = {
            ...common(args.host, "nginx"),
            serverNames: web.serverNames,
            docRoot: web.docRoot,
            httpPort: 80,
            tls: web.tls.mode,
            ...(web.tls.mode === "none" ? {} : { httpsPort: web.tls.httpsPort }),
            redirectHttp: web.tls.redirectHttp,
            hstsMaxAge: web.tls.hstsMaxAge,
            php: true,
            trustedProxies: web.trustedProxies,
            ...(web.backendTlsPort !== undefined ? { backendTlsPort: web.backendTlsPort } : {}),
            statusAllow: web.statusAllow,
        };
        const env: Record<string, string> = {
            LEMP_SERVER_NAMES: list(web.serverNames),
            LEMP_DOC_ROOT: web.docRoot,
            LEMP_HTTP_PORT: String(facts.httpPort),
            LEMP_PHP: "1",
            ...tlsEnv(web.tls),
            LEMP_TRUSTED_PROXIES: list(web.trustedProxies),
            LEMP_STATUS_ALLOW: list(web.statusAllow),
            ...args.host.node.tuning,
            // the user's application: served from its live release (scripts/release.sh)
            ...(web.app
                ? { LEMP_APP_BASE: web.app.base, LEMP_APP_DOC_ROOT: web.app.docRoot, LEMP_APP_FRONT_CONTROLLER: web.app.frontController ? "1" : "0" }
                : {}),
        };
        // stdin (behind the balancer): the key and the certificate of the balancer → web hop
        let secrets: pulumi.Input<string>[] | undefined;
        if (web.backendTlsPort !== undefined) {
            env.LEMP_BACKEND_TLS_PORT = String(web.backendTlsPort);
            env.LEMP_BACKEND_TLS_NAME = backendTlsName(args.host.node.name, args.host.node.privateAddress);
            secrets = [pemLine(args.backendTls!.key), pemLine(args.backendTls!.cert)];
        }
        super("seed-web:lemp:WebServer", name, args.host, facts, env, { after: args.after, secrets }, opts);
    }
}

/** HAProxy in front of the web hosts: round robin, health checks, TLS terminated here. */
export class LoadBalancer extends HostStep<LbFacts> {
    constructor(
        name: string,
        args: { host: Host; lb: LbPlan; /** The stack's CA certificate (PEM): required when lb.backendTls. */ ca?: pulumi.Output<string>; after: pulumi.Resource[] },
        opts?: pulumi.ComponentResourceOptions,
    ) {
        const { lb } = args;
        if (lb.backendTls && !args.ca) throw new Error(`${name}: backends over TLS need the stack's CA certificate`);
        const facts: LbFacts = {
            ...common(args.host, "lb"),
            engine: "haproxy",
            backends: lb.backends.map((b) => b.name),
            ...(lb.backendTls ? { backendTls: true } : {}),
            algorithm: "roundrobin",
            healthCheck: lb.healthCheck,
            httpPort: 80,
            tls: lb.tls.mode,
            ...(lb.tls.mode === "none" ? {} : { httpsPort: lb.tls.httpsPort }),
            redirectHttp: lb.tls.redirectHttp,
            hstsMaxAge: lb.tls.hstsMaxAge,
            ...(lb.agentPort ? { agentPort: lb.agentPort } : {}),
        };
        const env: Record<string, string> = {
            LEMP_LB_BACKENDS: list(lb.backends.map((b) => `${b.name}=${b.address}:${b.port}`)),
            LEMP_SERVER_NAMES: list(lb.serverNames),
            LEMP_HTTP_PORT: String(facts.httpPort),
            LEMP_HEALTH_PATH: lb.healthCheck,
            ...tlsEnv(lb.tls),
            LEMP_LB_SERVER_MAXCONN: String(lb.serverMaxConn),
            LEMP_LB_QUEUE_TIMEOUT: String(lb.queueTimeout),
            ...(lb.agentPort ? { LEMP_LB_AGENT_PORT: String(lb.agentPort) } : {}),
        };
        // stdin (backends over TLS): the stack's CA certificate, what each backend's certificate is verified against
        let secrets: pulumi.Input<string>[] | undefined;
        if (lb.backendTls) {
            env.LEMP_LB_BACKEND_TLS = "1";
            secrets = [pemLine(args.ca!)];
        }
        // The backends' addresses are in the command text: a changed address re-runs the step.
        super("seed-web:lemp:LoadBalancer", name, args.host, facts, env, { after: args.after, secrets }, opts);
    }
}

/** Let's Encrypt through certbot (HTTP-01), with a renewal timer and a hook that reloads the server. */
export class Certificate extends HostStep<CertbotFacts> {
    constructor(name: string, args: { host: Host; plan: CertbotPlan; after: pulumi.Resource[] }, opts?: pulumi.ComponentResourceOptions) {
        const { plan } = args;
        const facts: CertbotFacts = { ...common(args.host, "certbot"), serverNames: plan.serverNames, email: plan.email, server: plan.server, mode: plan.mode };
        const env = {
            LEMP_SERVER_NAMES: list(plan.serverNames),
            LEMP_ACME_EMAIL: plan.email,
            LEMP_ACME_SERVER: plan.server,
            LEMP_ACME_MODE: plan.mode,
        };
        super("seed-web:lemp:Certificate", name, args.host, facts, env, { after: args.after }, opts);
    }
}

/** MySQL (Ubuntu) or MariaDB (Debian), secured like mysql_secure_installation, the application's database and user;
 * as a primary or a replica when there are several database hosts. */
export class Database extends HostStep<DatabaseFacts> {
    constructor(
        name: string,
        args: {
            host: Host;
            plan: DatabasePlan;
            appPassword: pulumi.Output<string>;
            replicationPassword?: pulumi.Output<string>;
            /** Required when plan.tls. */
            tls?: DatabaseTls;
            after: pulumi.Resource[];
        },
        opts?: pulumi.ComponentResourceOptions,
    ) {
        const { plan } = args;
        const facts: DatabaseFacts = {
            ...common(args.host, "database"),
            engine: plan.engine,
            memoryMb: args.host.node.tuning.LEMP_TUNE_MEM_MB === "auto" ? "auto" : Number(args.host.node.tuning.LEMP_TUNE_MEM_MB),
            bufferPoolMb: args.host.node.tuning.LEMP_DB_BUFFER_POOL_MB === "auto" ? "auto" : Number(args.host.node.tuning.LEMP_DB_BUFFER_POOL_MB),
            bindAddress: plan.bindAddress,
            port: plan.port,
            name: plan.name,
            user: plan.user,
            clientHosts: plan.clientHosts,
            replication: {
                role: plan.role,
                serverId: plan.serverId,
                ...(plan.primary ? { primary: plan.primary.name } : {}),
                ...(plan.role === "primary" ? { replicas: plan.replicas.map((r) => r.name) } : {}),
            },
            tls: plan.tls,
        };
        const env: Record<string, string> = {
            LEMP_DB_ENGINE: plan.engine,
            LEMP_DB_BIND: plan.bindAddress,
            LEMP_DB_PORT: String(plan.port),
            LEMP_DB_NAME: plan.name,
            LEMP_DB_USER: plan.user,
            LEMP_DB_CLIENT_HOSTS: list(plan.clientHosts),
            LEMP_DB_ROLE: plan.role,
            LEMP_DB_SERVER_ID: String(plan.serverId),
            LEMP_DB_TLS: plan.tls ? "1" : "0",
            ...preexisting(args.host),
            ...args.host.node.tuning,
        };
        // named for re-seeding in this change (dbReseed): only then may a database the step did not copy be dropped
        if (plan.reseed) env.LEMP_DB_RESEED = "1";
        if (plan.role === "primary") env.LEMP_DB_REPLICA_HOSTS = list(plan.replicas.map((r) => r.address));
        // the replicas named for re-seeding: a primary that was the replica of one of them checks it may be re-seeded
        const reseeded = plan.replicas.filter((r) => r.reseed).map((r) => r.address);
        if (reseeded.length > 0) env.LEMP_DB_RESEED_HOSTS = list(reseeded);
        if (plan.primary) {
            env.LEMP_DB_PRIMARY_HOST = plan.primary.address;
            env.LEMP_DB_PRIMARY_PORT = String(plan.port);
        }
        if (plan.role !== "standalone" && !args.replicationPassword) {
            throw new Error(`${name}: a ${plan.role} database needs the replication password`);
        }
        if (plan.tls && !args.tls) throw new Error(`${name}: a database reached over the network needs its TLS certificate`);
        // stdin: the app password, the replication password (primary/replica), the TLS key, certificate and CA
        const secrets: pulumi.Input<string>[] = plan.role === "standalone" ? [args.appPassword] : [args.appPassword, args.replicationPassword!];
        if (plan.tls) secrets.push(pemLine(args.tls!.key), pemLine(args.tls!.cert), pemLine(args.tls!.ca));
        super("seed-web:lemp:Database", name, args.host, facts, env, { after: args.after, secrets }, opts);
    }
}

/** The application: a PHP page that reads a row from the database and shows the request flow. */
export class Site extends HostStep<AppFacts> {
    constructor(
        name: string,
        args: { host: Host; web: WebPlan; appPassword: pulumi.Output<string>; dbCa?: pulumi.Output<string>; after: pulumi.Resource[] },
        opts?: pulumi.ComponentResourceOptions,
    ) {
        const { web } = args;
        if (web.db.tls && !args.dbCa) throw new Error(`${name}: a database reached over TLS needs the CA certificate`);
        const facts: AppFacts = {
            ...common(args.host, "app"),
            docRoot: web.docRoot,
            dbHost: web.db.host,
            dbPort: web.db.port,
            dbName: web.db.name,
            dbUser: web.db.user,
            dbTls: web.db.tls,
            healthPath: "/health.php",
        };
        const env = {
            LEMP_DOC_ROOT: web.docRoot,
            LEMP_DB_HOST: web.db.host,
            LEMP_DB_PORT: String(web.db.port),
            LEMP_DB_NAME: web.db.name,
            LEMP_DB_USER: web.db.user,
            LEMP_DB_TLS: web.db.tls ? "1" : "0",
            ...(web.db.replicasKept ? { LEMP_DB_REPLICAS_KEPT: web.db.replicasKept.join(" ") } : {}),
        };
        // stdin: the app password, then (TLS) the CA certificate
        const secrets: pulumi.Input<string>[] = web.db.tls ? [args.appPassword, pemLine(args.dbCa!)] : [args.appPassword];
        super("seed-web:lemp:Site", name, args.host, facts, env, { after: args.after, secrets }, opts);
    }
}

/** Where a release is copied to (the login user's, checked against the release id by release.sh before use). */
export const uploadPath = (id: string) => `/tmp/seed-web-upload-${id}`;

/** The user's application (appSource), staged: its files copied to the host (only when the release is new), staged
 * under releases/<id> with its shared paths, composer and appMigrate (the first web host), then checked through itself
 * on a loopback-only server (scripts/stage.sh). Runs on every web host before the first of them switches (Release). */
export class Stage extends HostStep<StageFacts> {
    constructor(name: string, args: { host: Host; web: WebPlan; after: pulumi.Resource[] }, opts?: pulumi.ComponentResourceOptions) {
        const app = args.web.app!;
        const facts: StageFacts = {
            ...common(args.host, "stage"),
            release: app.release,
            base: app.base,
            docRoot: app.docRoot,
            shared: app.shared,
            healthPath: app.healthPath,
            migrates: app.migrate !== "",
            composer: app.composer,
            phpExtensions: app.extensions,
        };
        const env: Record<string, string> = {
            ...appEnv(args.web),
            LEMP_APP_DOC_ROOT: app.docRoot,
            LEMP_APP_SHARED: list(app.shared),
        };
        if (app.migrate !== "") env.LEMP_APP_MIGRATE = app.migrate;
        if (app.composer) env.LEMP_APP_COMPOSER = "1";
        if (app.extensions.length > 0) env.LEMP_APP_PHP_EXTENSIONS = list(app.extensions);
        if (app.upload) {
            env.LEMP_APP_UPLOAD = uploadPath(app.upload.id);
            env.LEMP_APP_UPLOAD_NAME = path.basename(app.upload.source);
        }
        super("seed-web:lemp:Stage", name, args.host, facts, env, { after: args.after }, opts);
    }
}

/** What both application steps read: where the releases live, which one, and how it is checked. */
function appEnv(web: WebPlan): Record<string, string> {
    const app = web.app!;
    return {
        LEMP_APP_BASE: app.base,
        LEMP_APP_RELEASE: app.release,
        LEMP_APP_HEALTH_PATH: app.healthPath,
        LEMP_SERVER_NAME: web.serverNames[0],
    };
}

/** The user's application goes live: the staged release (Stage) checked once more, the host drained from the balancer
 * (behind one), `current` switched to it in one rename, checked live (else the previous release is put back), the old
 * releases pruned (scripts/release.sh). Each new release replaces the step. */
export class Release extends HostStep<ReleaseFacts> {
    constructor(
        name: string,
        args: { host: Host; web: WebPlan; after: pulumi.Resource[] },
        opts?: pulumi.ComponentResourceOptions,
    ) {
        const app = args.web.app!;
        const facts: ReleaseFacts = {
            ...common(args.host, "release"),
            release: app.release,
            base: app.base,
            docRoot: app.docRoot,
            keepReleases: app.keepReleases,
            healthPath: app.healthPath,
            frontController: app.frontController,
            drain: app.agent ? "agent" : "none",
        };
        const env: Record<string, string> = {
            ...appEnv(args.web),
            LEMP_APP_KEEP: String(app.keepReleases),
            ...tlsEnv(args.web.tls),
        };
        if (app.agent) {
            env.LEMP_APP_AGENT_PORT = String(app.agent.port);
            env.LEMP_APP_AGENT_BIND = app.agent.bind;
            env.LEMP_APP_BALANCER = app.agent.balancer;
        }
        super("seed-web:lemp:Release", name, args.host, facts, env, { after: args.after }, opts);
    }
}

/** The copy of a release's files to a host, before its Release step (a new release id = a new copy). */
export function releaseUpload(name: string, host: Host, upload: { source: string; id: string }, after: pulumi.Resource[], parent: pulumi.Resource): command.remote.CopyToRemote {
    return new command.remote.CopyToRemote(
        name,
        { connection: host.connection, source: new pulumi.asset.FileArchive(upload.source), remotePath: uploadPath(upload.id), triggers: [upload.id] },
        { parent, dependsOn: [...host.ready, ...after], ...(host.undo.forget ? { retainOnDelete: true } : {}) },
    );
}

/** The last step on a web host or the load balancer: the static and the PHP page must answer (over HTTPS too, and
 * plain HTTP must redirect, when TLS is on), or the deployment fails. Re-runs whenever anything it checks changed. */
export class SmokeCheck extends HostStep<SmokeFacts> {
    constructor(
        name: string,
        args: { host: Host; serverNames: string[]; tls: TlsPlan; checks: unknown[]; after: pulumi.Resource[]; appHealthPath?: string },
        opts?: pulumi.ComponentResourceOptions,
    ) {
        const facts: SmokeFacts = {
            ...common(args.host, "smoke"),
            serverName: args.serverNames[0],
            paths: args.appHealthPath ? ["/health.php", args.appHealthPath] : ["/", "/index.php"],
        };
        const env: Record<string, string> = { LEMP_SERVER_NAME: facts.serverName, LEMP_HTTP_PORT: "80", ...tlsEnv(args.tls) };
        if (args.appHealthPath) env.LEMP_SMOKE_APP_PATH = args.appHealthPath;
        // One digest of everything it checks: any change re-runs it, without repeating every step's facts here.
        const digest = crypto.createHash("sha256").update(JSON.stringify(args.checks)).digest("hex");
        super("seed-web:lemp:SmokeCheck", name, args.host, facts, env, { after: args.after, extraTriggers: [digest] }, opts);
    }
}

/** Prometheus node exporter from the distribution's packages; the firewall lets only the allowed addresses in. */
export class Monitoring extends HostStep<MonitoringFacts> {
    constructor(name: string, args: { host: Host; plan: MonitoringPlan; after: pulumi.Resource[] }, opts?: pulumi.ComponentResourceOptions) {
        const { plan } = args;
        const facts: MonitoringFacts = { ...common(args.host, "monitoring"), exporter: "prometheus-node-exporter", listen: plan.listen, port: plan.port, allowFrom: plan.allowFrom };
        const env = { LEMP_MON_LISTEN: plan.listen, LEMP_MON_PORT: String(plan.port) };
        super("seed-web:lemp:Monitoring", name, args.host, facts, env, { after: args.after }, opts);
    }
}

/** Daily database dumps with rotation, and a restore command. */
export class Backup extends HostStep<BackupFacts> {
    constructor(name: string, args: { host: Host; plan: BackupPlan; after: pulumi.Resource[] }, opts?: pulumi.ComponentResourceOptions) {
        const { plan } = args;
        const facts: BackupFacts = { ...common(args.host, "backup"), database: plan.database, time: plan.time, retention: plan.retention, directory: plan.directory };
        const env = {
            LEMP_DB_ENGINE: plan.engine,
            LEMP_DB_NAME: plan.database,
            LEMP_BACKUP_TIME: plan.time,
            LEMP_BACKUP_RETENTION: String(plan.retention),
            LEMP_BACKUP_DIR: plan.directory,
        };
        super("seed-web:lemp:Backup", name, args.host, facts, env, { after: args.after }, opts);
    }
}

/** On the primary, once its replicas have their initial copy: the replication account keeps only REPLICATION SLAVE
 * (database.sh grants the copy's privileges while a replica is not streaming yet). Re-runs whenever the primary's or
 * a replica's database step does (the digest of their facts is in its triggers). */
export class ReplicationGrants extends HostStep<ReplicationFacts> {
    constructor(
        name: string,
        args: { host: Host; plan: DatabasePlan; databases: unknown[]; after: pulumi.Resource[] },
        opts?: pulumi.ComponentResourceOptions,
    ) {
        const { plan } = args;
        const facts: ReplicationFacts = { ...common(args.host, "replication"), replicas: plan.replicas.map((r) => r.name), privileges: ["REPLICATION SLAVE"] };
        const env = { LEMP_DB_ENGINE: plan.engine, LEMP_DB_NAME: plan.name, LEMP_DB_REPLICA_HOSTS: list(plan.replicas.map((r) => r.address)) };
        const digest = crypto.createHash("sha256").update(JSON.stringify(args.databases)).digest("hex");
        super("seed-web:lemp:ReplicationGrants", name, args.host, facts, env, { after: args.after, extraTriggers: [digest] }, opts);
    }
}

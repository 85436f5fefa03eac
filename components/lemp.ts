// The LEMP stack on one host, one component per service, each a remote command running its script.
// Order (explicit dependencies): base → php → nginx → app → smoke, and base → database → app.

import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { Role } from "../lib/config";
import { FACTS_SCHEMA, StepName, AppFacts, BaseFacts, DatabaseFacts, NginxFacts, PhpFacts, SmokeFacts } from "../lib/facts";
import { DatabasePlan, WebPlan } from "../lib/topology";
import { Host } from "./host";
import { remoteStep } from "./step";

function common<S extends StepName>(host: Host, step: S): { schema: typeof FACTS_SCHEMA; step: S; host: string; roles: Role[] } {
    return { schema: FACTS_SCHEMA, step, host: host.node.name, roles: [...host.node.roles] };
}

/** Operating system check (Ubuntu 22.04 or Debian 12), cloud-init and apt lock wait, package lists, curl. */
export class BaseSystem extends pulumi.ComponentResource {
    readonly facts: BaseFacts;
    readonly command: command.remote.Command;
    constructor(name: string, args: { host: Host }, opts?: pulumi.ComponentResourceOptions) {
        super("seed-web:lemp:BaseSystem", name, {}, opts);
        const { host } = args;
        this.facts = {
            ...common(host, "base"),
            provider: host.node.connection.type,
            privateAddress: host.node.privateAddress,
        };
        this.command = remoteStep(`${name}`, { host, script: "base", facts: this.facts, env: { LEMP_APT_MAX_AGE: "3600" } }, this);
        this.registerOutputs({ facts: this.facts, report: this.command.stdout });
    }
}

/** PHP-FPM, the version the distribution ships, its workers sized from the host's memory. */
export class PhpFpm extends pulumi.ComponentResource {
    readonly facts: PhpFacts;
    readonly command: command.remote.Command;
    constructor(name: string, args: { host: Host; after: pulumi.Resource[] }, opts?: pulumi.ComponentResourceOptions) {
        super("seed-web:lemp:PhpFpm", name, {}, opts);
        this.facts = { ...common(args.host, "php"), maxChildren: "auto" };
        this.command = remoteStep(
            name,
            { host: args.host, script: "php", facts: this.facts, env: { LEMP_PHP_MAX_CHILDREN: String(this.facts.maxChildren) }, dependsOn: args.after },
            this,
        );
        this.registerOutputs({ facts: this.facts, report: this.command.stdout });
    }
}

/** Nginx: the site for the domain (and www), its document root and static page; PHP handed to PHP-FPM. */
export class WebServer extends pulumi.ComponentResource {
    readonly facts: NginxFacts;
    readonly command: command.remote.Command;
    constructor(name: string, args: { host: Host; web: WebPlan; after: pulumi.Resource[] }, opts?: pulumi.ComponentResourceOptions) {
        super("seed-web:lemp:WebServer", name, {}, opts);
        const { web } = args;
        this.facts = {
            ...common(args.host, "nginx"),
            serverNames: web.serverNames,
            docRoot: web.docRoot,
            httpPort: 80,
            tls: web.tls,
            ...(web.tls === "none" ? {} : { httpsPort: 443 }),
            redirectHttp: web.redirectHttp,
            php: true,
        };
        this.command = remoteStep(
            name,
            {
                host: args.host,
                script: "nginx",
                facts: this.facts,
                env: {
                    LEMP_SERVER_NAMES: web.serverNames.join(" "),
                    LEMP_DOC_ROOT: web.docRoot,
                    LEMP_HTTP_PORT: String(this.facts.httpPort),
                    LEMP_PHP: this.facts.php ? "1" : "0",
                },
                dependsOn: args.after,
            },
            this,
        );
        this.registerOutputs({ facts: this.facts, report: this.command.stdout });
    }
}

/** MySQL (Ubuntu) or MariaDB (Debian), secured like mysql_secure_installation, with the application's database and user. */
export class Database extends pulumi.ComponentResource {
    readonly facts: DatabaseFacts;
    readonly command: command.remote.Command;
    constructor(
        name: string,
        args: { host: Host; plan: DatabasePlan; appPassword: pulumi.Output<string>; after: pulumi.Resource[] },
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super("seed-web:lemp:Database", name, {}, opts);
        const { plan } = args;
        this.facts = {
            ...common(args.host, "database"),
            engine: "auto",
            bindAddress: plan.bindAddress,
            port: plan.port,
            name: plan.name,
            user: plan.user,
            clientHosts: plan.clientHosts,
        };
        this.command = remoteStep(
            name,
            {
                host: args.host,
                script: "database",
                facts: this.facts,
                env: {
                    LEMP_DB_BIND: plan.bindAddress,
                    LEMP_DB_PORT: String(plan.port),
                    LEMP_DB_NAME: plan.name,
                    LEMP_DB_USER: plan.user,
                    LEMP_DB_CLIENT_HOSTS: plan.clientHosts.join(" "),
                },
                secrets: [args.appPassword],
                dependsOn: args.after,
            },
            this,
        );
        this.registerOutputs({ facts: this.facts });
    }
}

/** The application: a PHP page that reads a row from the database and shows the request flow. */
export class Site extends pulumi.ComponentResource {
    readonly facts: AppFacts;
    readonly command: command.remote.Command;
    constructor(
        name: string,
        args: { host: Host; web: WebPlan; appPassword: pulumi.Output<string>; after: pulumi.Resource[] },
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super("seed-web:lemp:Site", name, {}, opts);
        const { web } = args;
        this.facts = {
            ...common(args.host, "app"),
            docRoot: web.docRoot,
            dbHost: web.db.host,
            dbPort: web.db.port,
            dbName: web.db.name,
            dbUser: web.db.user,
        };
        this.command = remoteStep(
            name,
            {
                host: args.host,
                script: "app",
                facts: this.facts,
                env: {
                    LEMP_DOC_ROOT: web.docRoot,
                    LEMP_DB_HOST: web.db.host,
                    LEMP_DB_PORT: String(web.db.port),
                    LEMP_DB_NAME: web.db.name,
                    LEMP_DB_USER: web.db.user,
                },
                secrets: [args.appPassword],
                dependsOn: args.after,
            },
            this,
        );
        this.registerOutputs({ facts: this.facts });
    }
}

/** The last step on a web host: the static and the PHP page must answer on the host, or the deployment fails. */
export class SmokeCheck extends pulumi.ComponentResource {
    readonly facts: SmokeFacts;
    readonly command: command.remote.Command;
    constructor(
        name: string,
        args: { host: Host; web: WebPlan; checks: unknown[]; after: pulumi.Resource[] },
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super("seed-web:lemp:SmokeCheck", name, {}, opts);
        this.facts = { ...common(args.host, "smoke"), serverName: args.web.serverNames[0], paths: ["/", "/index.php"] };
        this.command = remoteStep(
            name,
            {
                host: args.host,
                script: "smoke",
                facts: this.facts,
                env: { LEMP_SERVER_NAME: this.facts.serverName, LEMP_HTTP_PORT: "80" },
                // Re-check whenever anything it checks was changed.
                extraTriggers: args.checks,
                dependsOn: args.after,
            },
            this,
        );
        this.registerOutputs({ facts: this.facts, report: this.command.stdout });
    }
}

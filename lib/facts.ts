// Typed facts: what each provisioning step applies to a host, in a form the engine records and policies read.
//
// Every remote command the program registers carries its `StepFacts` as the first element of its `triggers`, so
// (1) changing a setting re-runs exactly the steps whose facts changed, and (2) the policy pack reads settings from
// typed resource inputs instead of parsing shell text. This module has no Pulumi imports: the policy pack uses it too.

import type { Role, TlsMode } from "./config";

export const FACTS_SCHEMA = "seed-web.facts/v1";

/** Resource type of the remote commands that carry facts. */
export const REMOTE_COMMAND_TYPE = "command:remote:Command";

export type StepName = "base" | "php" | "nginx" | "database" | "app" | "smoke" | "firewall" | "lb" | "monitoring" | "backup";

interface FactsCommon<S extends StepName> {
    schema: typeof FACTS_SCHEMA;
    step: S;
    /** Name of the host the step runs on (the `name` of the host in config). */
    host: string;
    roles: Role[];
}

export interface BaseFacts extends FactsCommon<"base"> {
    provider: "docker" | "ssh";
    /** Address other hosts use to reach this host. */
    privateAddress: string;
}

export interface PhpFacts extends FactsCommon<"php"> {
    /** PHP-FPM workers: "auto" sizes them from the host's memory. */
    maxChildren: "auto" | number;
}

export interface NginxFacts extends FactsCommon<"nginx"> {
    serverNames: string[];
    docRoot: string;
    httpPort: number;
    /** TLS served on 443 by this host; "none" = plain HTTP only. */
    tls: TlsMode;
    httpsPort?: number;
    /** Plain HTTP answered with a redirect to HTTPS. */
    redirectHttp: boolean;
    php: boolean;
}

export interface DatabaseFacts extends FactsCommon<"database"> {
    engine: "auto";
    bindAddress: string;
    port: number;
    name: string;
    user: string;
    /** Hosts (MySQL host patterns) the application user may connect from. */
    clientHosts: string[];
}

export interface AppFacts extends FactsCommon<"app"> {
    docRoot: string;
    dbHost: string;
    dbPort: number;
    dbName: string;
    dbUser: string;
}

export interface SmokeFacts extends FactsCommon<"smoke"> {
    serverName: string;
    paths: string[];
}

export interface FirewallRule {
    port: number;
    proto: "tcp";
    /** "any", or an address / CIDR allowed to reach the port. */
    from: string;
}

export interface FirewallFacts extends FactsCommon<"firewall"> {
    engine: "ufw";
    defaultInbound: "deny" | "allow";
    rules: FirewallRule[];
}

export interface LbFacts extends FactsCommon<"lb"> {
    engine: "haproxy";
    /** Backend web hosts, by host name. */
    backends: string[];
    httpPort: number;
    tls: TlsMode;
    httpsPort?: number;
    redirectHttp: boolean;
}

export interface MonitoringFacts extends FactsCommon<"monitoring"> {
    exporter: "prometheus-node-exporter";
    port: number;
    /** Addresses / CIDRs allowed to scrape. */
    allowFrom: string[];
}

export interface BackupFacts extends FactsCommon<"backup"> {
    /** systemd OnCalendar / cron schedule of the database dump. */
    schedule: string;
    /** Dumps kept. */
    retention: number;
}

export type StepFacts =
    | BaseFacts
    | PhpFacts
    | NginxFacts
    | DatabaseFacts
    | AppFacts
    | SmokeFacts
    | FirewallFacts
    | LbFacts
    | MonitoringFacts
    | BackupFacts;

/** The facts carried by a remote command's inputs, or undefined when the command carries none (or not yet known). */
export function factsOf(props: Record<string, unknown> | undefined): StepFacts | undefined {
    const triggers = props?.triggers;
    if (!Array.isArray(triggers)) return undefined;
    const first = triggers[0];
    if (typeof first !== "object" || first === null) return undefined;
    const f = first as Partial<StepFacts>;
    if (f.schema !== FACTS_SCHEMA || typeof f.step !== "string" || typeof f.host !== "string") return undefined;
    return first as StepFacts;
}

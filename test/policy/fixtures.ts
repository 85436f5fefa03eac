// Hand-built policy inputs: a fake host set → the PolicyResources the program registers for it, shaped as the
// @pulumi/policy server hands them to policies (props behind `unknownCheckingProxy`), plus runners that call
// `validateStack` / `validateResource` directly, the way pulumi/compliance-policies tests do.

import * as assert from "assert";
import type {
    EnforcementLevel,
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import type { Role, TlsMode } from "../../lib/config";
import { FACTS_SCHEMA, FirewallRule, REMOTE_COMMAND_TYPE, StepFacts, StepName } from "@seed-web/facts";
import { catalog, isResourcePolicy, isStackPolicy, SeedPolicy } from "../../policy/policies";
import { DOCKER_CONTAINER_TYPE } from "../../policy/lib/model";
import { isUnknownValueError, UnknownValueErrorLike } from "../../policy/lib/unknown";

// The server's own proxy and unknown sentinels (internal to @pulumi/policy, hence require).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxy = require("@pulumi/policy/proxy") as {
    unknownCheckingProxy<T>(o: T): T;
    unknownStringValue: string;
    unknownNumberValue: string;
    unknownBooleanValue: string;
    unknownArrayValue: string;
    unknownObjectValue: string;
};

/** Engine sentinels for values unknown during preview. */
export const UNKNOWN = {
    string: proxy.unknownStringValue,
    number: proxy.unknownNumberValue,
    boolean: proxy.unknownBooleanValue,
    array: proxy.unknownArrayValue,
    object: proxy.unknownObjectValue,
} as const;

export interface FakeHost {
    name: string;
    roles: Role[];
    provider?: "docker" | "ssh";
    privateAddress?: string;
    /** nginx on web hosts. */
    tls?: TlsMode;
    redirectHttp?: boolean;
    httpsPort?: number;
    /** database step on db hosts. */
    db?: { bindAddress?: string; port?: number; clientHosts?: string[] };
    /** firewall step; omitted/false = none. `true` = deny by default, 22/80/443 from anywhere. */
    firewall?: boolean | { defaultInbound?: "deny" | "allow"; rules?: FirewallRule[] };
    /** lb step on lb hosts. */
    lb?: { backends: string[]; tls?: TlsMode; redirectHttp?: boolean; httpsPort?: number };
    monitoring?: boolean;
    backup?: boolean;
    /** A local Docker container named after the host, with these published ports. */
    container?: { ports: { internal: number; external: number; ip?: string; protocol?: string }[] };
    /** Steps not registered. */
    omit?: StepName[];
    /** The serving profile's inputs (seed-web:tuneMemoryMb, phpMaxChildren, phpWorkerMb, dbBufferPoolMb); default all auto, 48 MB workers. */
    tuning?: { memoryMb?: "auto" | number; maxChildren?: "auto" | number; workerMb?: number; dbBufferPoolMb?: "auto" | number };
}

export const PUBLIC_RULES: FirewallRule[] = [22, 80, 443].map((port) => ({ port, proto: "tcp", from: "any" }));

/** Raw (unproxied) resource, before `toPolicyResources`. */
export interface RawResource {
    type: string;
    name: string;
    props: Record<string, unknown>;
}

export function urnOf(type: string, name: string): string {
    return `urn:pulumi:dev::seed-web::${type}::${name}`;
}

/** The facts of every step the program registers for the host set, in registration order. */
export function factsFor(hosts: FakeHost[]): StepFacts[] {
    const out: StepFacts[] = [];
    const addressOf = (h: FakeHost, i: number) => h.privateAddress ?? `172.30.88.${10 + i}`;
    const dbIndex = hosts.findIndex((h) => h.roles.includes("db"));
    hosts.forEach((h, i) => {
        const common: { schema: typeof FACTS_SCHEMA; host: string; roles: Role[] } = { schema: FACTS_SCHEMA, host: h.name, roles: [...h.roles] };
        const push = (f: StepFacts) => {
            if (!h.omit?.includes(f.step)) out.push(f);
        };
        push({ ...common, step: "base", provider: h.provider ?? "ssh", privateAddress: addressOf(h, i), preinstall: [] });
        if (h.firewall) {
            const fw = h.firewall === true ? {} : h.firewall;
            push({ ...common, step: "firewall", engine: "ufw", defaultInbound: fw.defaultInbound ?? "deny", rules: fw.rules ?? PUBLIC_RULES });
        }
        if (h.roles.includes("db")) {
            const clientHosts = hosts
                .map((x, j) => ({ x, j }))
                .filter(({ x }) => x.roles.includes("app"))
                .map(({ x, j }) => (x === h ? "localhost" : addressOf(x, j)));
            push({
                ...common,
                step: "database",
                engine: "auto",
                bindAddress: h.db?.bindAddress ?? "0.0.0.0",
                port: h.db?.port ?? 3306,
                name: "app",
                user: "app",
                clientHosts: h.db?.clientHosts ?? clientHosts,
                replication: { role: "standalone", serverId: 1 },
                tls: (h.db?.clientHosts ?? clientHosts).some((c) => c !== "localhost"),
                memoryMb: h.tuning?.memoryMb ?? "auto",
                bufferPoolMb: h.tuning?.dbBufferPoolMb ?? "auto",
            });
        }
        if (h.roles.includes("web")) {
            const tls = h.tls ?? "none";
            push({
                ...common,
                step: "php",
                maxChildren: h.tuning?.maxChildren ?? "auto",
                memoryMb: h.tuning?.memoryMb ?? "auto",
                workerMb: h.tuning?.workerMb ?? 48,
                ...(h.roles.includes("db") ? { dbBufferPoolMb: h.tuning?.dbBufferPoolMb ?? "auto" } : {}),
            });
            push({
                ...common,
                step: "nginx",
                serverNames: ["foobar.com", "www.foobar.com"],
                docRoot: "/var/www/foobar.com",
                httpPort: 80,
                tls,
                ...(tls === "none" ? {} : { httpsPort: h.httpsPort ?? 443 }),
                redirectHttp: h.redirectHttp ?? tls !== "none",
                hstsMaxAge: 0,
                php: true,
                trustedProxies: [],
                statusAllow: [],
            });
            push({
                ...common,
                step: "app",
                docRoot: "/var/www/foobar.com",
                dbHost: dbIndex === i ? "localhost" : addressOf(hosts[dbIndex], dbIndex),
                dbPort: 3306,
                dbName: "app",
                dbUser: "app",
                dbTls: dbIndex !== i,
                healthPath: "/health.php",
            });
            push({ ...common, step: "smoke", serverName: "www.foobar.com", paths: ["/", "/index.php"] });
        }
        if (h.lb) {
            const tls = h.lb.tls ?? "none";
            push({
                ...common,
                step: "lb",
                engine: "haproxy",
                backends: h.lb.backends,
                algorithm: "roundrobin",
                healthCheck: "/health.php",
                httpPort: 80,
                tls,
                ...(tls === "none" ? {} : { httpsPort: h.lb.httpsPort ?? 443 }),
                redirectHttp: h.lb.redirectHttp ?? tls !== "none",
                hstsMaxAge: 0,
            });
        }
        if (h.monitoring) {
            push({ ...common, step: "monitoring", exporter: "prometheus-node-exporter", port: 9100, allowFrom: ["10.0.0.5"] });
        }
        if (h.backup) push({ ...common, step: "backup", database: "app", time: "03:00", retention: 7, directory: "/var/backups/seed-web" });
    });
    return out;
}

/** The raw resources the program registers for the host set: containers, then one remote command per step. */
export function rawResources(hosts: FakeHost[]): RawResource[] {
    const out: RawResource[] = [];
    for (const h of hosts) {
        if (h.container) {
            out.push({
                type: DOCKER_CONTAINER_TYPE,
                name: h.name,
                props: {
                    name: h.name,
                    image: "seed-web-host:22.04",
                    ports: h.container.ports.map((p) => ({ protocol: "tcp", ...p })),
                },
            });
        }
    }
    for (const f of factsFor(hosts)) {
        out.push({
            type: REMOTE_COMMAND_TYPE,
            name: `${f.host}-${f.step}`,
            props: {
                connection: { host: f.host, port: 22, user: "root", privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----" },
                create: `bash -c 'echo ${f.step}'`,
                stdin: "secret",
                triggers: [f, "0".repeat(64)],
            },
        });
    }
    // A component resource: policies must ignore it.
    out.push({ type: "seed-web:index:Site", name: "site", props: { anything: "goes" } });
    return out;
}

/** Look up a raw resource by name (to patch it with unknowns before `toPolicyResources`). */
export function raw(resources: RawResource[], name: string): RawResource {
    const r = resources.find((x) => x.name === name);
    if (!r) throw new Error(`no resource ${name}`);
    return r;
}

/** Facts object of a raw command (mutable). */
export function rawFacts(resources: RawResource[], name: string): Record<string, unknown> {
    return (raw(resources, name).props.triggers as Record<string, unknown>[])[0];
}

export function toPolicyResource(r: RawResource): PolicyResource {
    const props = proxy.unknownCheckingProxy(r.props);
    return {
        type: r.type,
        name: r.name,
        urn: urnOf(r.type, r.name),
        props,
        opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
        dependencies: [],
        propertyDependencies: {},
        isType: () => false,
        asType: () => undefined,
    };
}

export function toPolicyResources(rs: RawResource[]): PolicyResource[] {
    return rs.map(toPolicyResource);
}

export function resources(hosts: FakeHost[]): PolicyResource[] {
    return toPolicyResources(rawResources(hosts));
}

// ---------------------------------------------------------------------------------------------------------------------
// host sets

/** The seed design: one Docker host web-01 with web, app and db; no firewall, no TLS, MySQL on 0.0.0.0:3306 published. */
export function seedDesign(): FakeHost[] {
    return [
        {
            name: "web-01",
            roles: ["web", "app", "db"],
            provider: "docker",
            tls: "none",
            db: { bindAddress: "0.0.0.0", port: 3306 },
            container: {
                ports: [
                    { internal: 22, external: 2222, ip: "0.0.0.0" },
                    { internal: 80, external: 8080, ip: "0.0.0.0" },
                    { internal: 443, external: 8443, ip: "0.0.0.0" },
                    { internal: 3306, external: 3306, ip: "0.0.0.0" },
                ],
            },
        },
    ];
}

/** Every improvement: lb + 2 web + separate db, firewall, letsencrypt, monitoring, backups. */
export function fixedDesign(): FakeHost[] {
    const all = { provider: "ssh" as const, firewall: true, monitoring: true };
    return [
        { ...all, name: "lb-01", roles: ["lb"], privateAddress: "10.0.0.10", lb: { backends: ["web-01", "web-02"], tls: "letsencrypt" } },
        { ...all, name: "web-01", roles: ["web", "app"], privateAddress: "10.0.0.11" },
        { ...all, name: "web-02", roles: ["web", "app"], privateAddress: "10.0.0.12" },
        {
            ...all,
            name: "db-01",
            roles: ["db"],
            privateAddress: "10.0.0.20",
            db: { bindAddress: "0.0.0.0", port: 3306 },
            firewall: {
                rules: [...PUBLIC_RULES, { port: 3306, proto: "tcp", from: "10.0.0.11" }, { port: 3306, proto: "tcp", from: "10.0.0.12" }],
            },
            backup: true,
        },
    ];
}

// ---------------------------------------------------------------------------------------------------------------------
// runners

export interface Violation {
    policy: string;
    level: EnforcementLevel;
    message: string;
    urn?: string;
}

export interface Outcome {
    violations: Violation[];
    /** The "cannot decide yet" error the policy threw (the server reports it as advisory). */
    undecided?: UnknownValueErrorLike;
    notApplicable?: string;
}

class NotApplicable extends Error {
    constructor(readonly reason: string) {
        super(reason);
    }
}

type PolicyConfig = Record<string, unknown>;

function levelOf(policy: SeedPolicy, config: PolicyConfig | string | undefined): EnforcementLevel {
    if (typeof config === "string") return config as EnforcementLevel;
    return (config?.enforcementLevel as EnforcementLevel | undefined) ?? policy.enforcementLevel ?? "advisory";
}

function propsOf(config: PolicyConfig | string | undefined): Record<string, unknown> {
    if (typeof config !== "object") return {};
    const { enforcementLevel: _l, ...props } = config;
    return props;
}

async function capture(policy: SeedPolicy, config: PolicyConfig | string | undefined, run: (report: (m: string, urn?: string) => void, notApplicable: (r?: string) => never) => Promise<void> | void): Promise<Outcome> {
    const level = levelOf(policy, config);
    const outcome: Outcome = { violations: [] };
    const report = (message: string, urn?: string) => outcome.violations.push({ policy: policy.name, level, message, urn });
    const notApplicable = (reason?: string): never => {
        throw new NotApplicable(reason ?? "");
    };
    try {
        await run(report, notApplicable);
    } catch (e) {
        if (e instanceof NotApplicable) outcome.notApplicable = e.reason;
        else if (isUnknownValueError(e)) outcome.undecided = e;
        else throw e;
    }
    return outcome;
}

export function runStack(policy: StackValidationPolicy, rs: PolicyResource[], config?: PolicyConfig | string): Promise<Outcome> {
    return capture(policy, config, (report, notApplicable) => {
        const args: StackValidationArgs = {
            resources: rs,
            stackTags: new Map(),
            getConfig: <T extends object>() => propsOf(config) as T,
            notApplicable,
        };
        return policy.validateStack(args, report);
    });
}

export function runResource(policy: ResourceValidationPolicy, r: PolicyResource, config?: PolicyConfig | string): Promise<Outcome> {
    return capture(policy, config, async (report, notApplicable) => {
        const args: ResourceValidationArgs = {
            type: r.type,
            props: r.props,
            urn: r.urn,
            name: r.name,
            opts: r.opts,
            stackTags: new Map(),
            isType: () => false,
            asType: () => undefined,
            getConfig: <T extends object>() => propsOf(config) as T,
            notApplicable,
        };
        const validations = policy.validateResource;
        for (const v of Array.isArray(validations) ? validations : validations ? [validations] : []) await v(args, report);
    });
}

/** Run one policy (stack or resource) over a stack; resource policies run once per resource. */
export async function runPolicy(policy: SeedPolicy, rs: PolicyResource[], config?: PolicyConfig | string): Promise<Outcome> {
    if (isStackPolicy(policy)) return runStack(policy, rs, config);
    const total: Outcome = { violations: [] };
    if (!isResourcePolicy(policy)) return total;
    for (const r of rs) {
        const o = await runResource(policy, r, config);
        total.violations.push(...o.violations);
        total.undecided ??= o.undecided;
    }
    return total;
}

export interface PackOutcome {
    violations: Violation[];
    undecided: { policy: string; error: UnknownValueErrorLike }[];
}

/** Run the whole pack, as the engine would, with a --policy-pack-config style object. */
export async function runPack(rs: PolicyResource[], packConfig: Record<string, PolicyConfig | string> = {}): Promise<PackOutcome> {
    const out: PackOutcome = { violations: [], undecided: [] };
    for (const { policy } of catalog) {
        const config = packConfig[policy.name] ?? packConfig.all;
        if (levelOf(policy, config) === "disabled") continue;
        const o = await runPolicy(policy, rs, config);
        out.violations.push(...o.violations);
        if (o.undecided) out.undecided.push({ policy: policy.name, error: o.undecided });
    }
    return out;
}

/** "policy:level" per violation, sorted: compact assertions. */
/** The seed design's verdicts ("policy:level", sorted): exactly the documented issues, at their default levels. */
export const SEED_VERDICTS = [
    "app-db-separation:advisory",
    "backups-enabled:advisory",
    "database-not-exposed:mandatory", // MySQL on 0.0.0.0 with no firewall
    "database-not-exposed:mandatory", // the container publishes 3306 on 0.0.0.0
    "firewall-required:mandatory",
    "horizontal-scaling:advisory",
    "https-required:mandatory",
    "monitoring-enabled:advisory",
    "no-single-point-of-failure:advisory", // web/app
    "no-single-point-of-failure:advisory", // database
    "zero-downtime-maintenance:advisory",
];

/** The dev stack's verdicts: the seed design's, with one database-not-exposed fewer. MySQL on 0.0.0.0 without a
 * firewall is its one database-not-exposed (3306 is published on 127.0.0.1 only). */
export const DEV_VERDICTS = SEED_VERDICTS.filter((_, i) => i !== SEED_VERDICTS.indexOf("database-not-exposed:mandatory"));

export function summary(violations: Violation[]): string[] {
    return violations.map((v) => `${v.policy}:${v.level}`).sort();
}

export function policy<T extends SeedPolicy>(name: string): T {
    const p = catalog.find((c) => c.policy.name === name)?.policy;
    if (!p) throw new Error(`no policy ${name}`);
    return p as T;
}

/** Fixed design with one host changed. */
export function fixedWith(host: string, change: Partial<FakeHost>): FakeHost[] {
    return fixedDesign().map((h) => (h.name === host ? { ...h, ...change } : h));
}

/** The messages of one policy over a hand-built stack (it must decide: no "cannot decide yet"). */
export async function messages(name: string, hosts: FakeHost[], config?: Record<string, unknown> | string): Promise<string[]> {
    const out = await runPolicy(policy(name), resources(hosts), config);
    assert.strictEqual(out.undecided, undefined, `undecided: ${out.undecided?.message}`);
    return out.violations.map((v) => v.message);
}

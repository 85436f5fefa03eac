// `npm run verify`: the policy pack over what the live hosts really are, and the drift from what the stack declares.
//
// 1. The stack file is audited offline exactly as `npm run audit` does (the declared facts, and the offline verdicts).
// 2. Every host is probed in parallel: scripts/probe.sh in one ssh session, and from the runner (./probe.ts).
// 3. The observations become facts of the same schema (./observe.ts), carried by resources named and typed like the
//    program's commands, and the SAME evaluation (tools/audit/evaluate.ts) runs the SAME policies over them.
// 4. Drift (./drift.ts): each declared fact the host contradicts. A stack file that lists only hosts (a server built
//    by hand) declares nothing: no drift, only the policies' verdicts.

import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigError, HostSpec, loadConfig, PROJECT, StackConfig } from "../../lib/config";
import { BACKUP_DIR, commandName, factsOf, HTTP_PORT, HTTPS_PORT, NODE_EXPORTER_PORT, REMOTE_COMMAND_TYPE, STATUS_PORT, STEP_NAMES, StepFacts, StepName } from "@seed-web/facts";
import { policies } from "../../policy/policies";
import { SettingsError } from "../../policy/lib/settings";
import { AuditInputError, packIdentity, runAudit } from "../audit";
import { AnalyzedResource, deserialize, evaluate, PolicyRunError, rootStackUrn, UNKNOWN, Violation } from "../audit/evaluate";
import { PolicyConfigError, readPolicyConfigFile, reconcilePolicyConfig } from "../audit/policy-config";
import { AuditResult } from "../audit/report";
import { Capture } from "../capture";
import { readStackFile, showPath, StackFileError } from "../stack-config";
import { DriftItem, driftOf } from "./drift";
import { HostTarget, linkReplication, Observed, observeHost, parseSections } from "./observe";
import { HostUnreachable, runnerProbe, sshProbe } from "./probe";
import { parseStackOutputs, StackOutputsError } from "./stack-outputs";

export class VerifyInputError extends Error {}

export interface VerifyOptions {
    configFile: string;
    stack?: string;
    policyConfigFile?: string;
    identity?: string;
    knownHosts?: string;
    /** PEM text of extra CA certificates trusted for the served certificates. */
    ca?: string;
    /** Only these hosts (names of the stack). */
    hosts?: string[];
    /** `pulumi stack output --json --show-secrets` of the stack (host keys; the Docker hosts' client key), and where
     * it came from (for messages). */
    stackOutputs?: { text: string; where: string };
    /** The probes (tests replace them with recorded answers). */
    probes?: { ssh: typeof sshProbe; runner: typeof runnerProbe };
}

export interface HostReport {
    name: string;
    address: string;
    reachable: boolean;
    error?: string;
    ms: number;
    notes: Record<string, string>;
    undecided: { step: StepName; reason: string }[];
}

export interface VerifyResult {
    /** The live verdicts, in the audit's shape. */
    live: AuditResult;
    /** The offline audit of the same stack file (what it declares). */
    offline: AuditResult;
    handBuilt: boolean;
    hosts: HostReport[];
    drift: (DriftItem & { urn: string })[];
}

export const EXIT_UNREACHABLE = 3;
export const EXIT_MANDATORY = 5;
export const EXIT_DRIFT = 6;

/** 5 > 3 > 6: a mandatory violation on a host reached is never hidden by another host being unreachable; an
 * unreachable host is never hidden by drift elsewhere. 0 only when every selected host was checked. */
export function verifyExitCode(r: VerifyResult): number {
    if (r.live.violations.some((v) => v.level === "mandatory")) return EXIT_MANDATORY;
    if (r.hosts.some((h) => !h.reachable)) return EXIT_UNREACHABLE;
    if (r.drift.length > 0) return EXIT_DRIFT;
    return 0;
}

/** Whether a resource of the observed stack (named `<host>-<step>`) belongs to one of these hosts: the exact host name,
 * never a prefix (`web` does not own `web-2-base`). */
export function resourceOfHosts(resourceName: string, hosts: Iterable<string>): boolean {
    for (const h of hosts) if (STEP_NAMES.some((s) => resourceName === `${h}-${s}`)) return true;
    return false;
}

function targetOf(h: HostSpec): HostTarget {
    const c = h.connection;
    if (c.type === "ssh") {
        return { name: h.name, roles: h.roles, address: c.address, port: c.port, user: c.user, privateAddress: c.privateAddress, ...(c.hostKey ? { hostKey: c.hostKey } : {}) };
    }
    // A local Docker host: reached as the program reaches it (its sshd on the published port, 0.0.0.0 as loopback),
    // and from the runner only on the ports it publishes (the same map as components/host.ts).
    const published: Record<number, number> = {};
    for (const [inside, outside] of [[22, c.sshPort], [HTTP_PORT, c.httpPort], [HTTPS_PORT, c.httpsPort], [3306, c.dbPort]] as const) {
        if (outside !== undefined) published[inside] = outside;
    }
    return { name: h.name, roles: h.roles, address: c.bindAddress === "0.0.0.0" ? "127.0.0.1" : c.bindAddress, port: c.sshPort, user: "root", privateAddress: h.name, published };
}

/** The facts each command of the capture declares. */
export function declaredFacts(capture: Capture): { facts: StepFacts[]; urns: Map<string, string> } {
    const facts: StepFacts[] = [];
    const urns = new Map<string, string>();
    for (const r of capture.resources) {
        if (r.type !== REMOTE_COMMAND_TYPE) continue;
        const f = factsOf(deserialize(r.inputs) as Record<string, unknown>);
        if (!f) continue;
        facts.push(f);
        urns.set(r.name, r.urn);
    }
    return { facts, urns };
}

/** Resources as the engine would hand them to the pack, carrying observed facts (unknown where undecided). */
export function observedResources(
    stack: string,
    observed: Observed[],
    undecidedHosts: { name: string; roles: HostSpec["roles"]; privateAddress: string; reason: string }[],
    urns: Map<string, string>,
): AnalyzedResource[] {
    const root = rootStackUrn(stack, PROJECT);
    const out: AnalyzedResource[] = [
        { type: "pulumi:pulumi:Stack", name: `${PROJECT}-${stack}`, urn: root, custom: false, inputs: {}, outputs: {}, dependencies: [], additionalSecretOutputs: [] },
    ];
    const add = (name: string, triggers: unknown) => {
        const urn = urns.get(name) ?? `urn:pulumi:${stack}::${PROJECT}::${REMOTE_COMMAND_TYPE}::${name}`;
        const props = { triggers };
        out.push({ type: REMOTE_COMMAND_TYPE, name, urn, custom: true, inputs: props, outputs: props, parent: root, dependencies: [], additionalSecretOutputs: [] });
    };
    for (const o of observed) {
        for (const f of o.facts) add(commandName(o.host, f.step), [f]);
        for (const u of o.undecidedSteps) if (!o.facts.some((f) => f.step === u.step)) add(commandName(o.host, u.step), UNKNOWN);
    }
    for (const h of undecidedHosts) {
        add(commandName(h.name, "base"), [{ schema: "seed-web.facts/v1", step: "base", host: h.name, roles: h.roles, provider: "ssh", privateAddress: h.privateAddress, preinstall: [] }]);
        for (const s of STEP_NAMES) if (s !== "base") add(commandName(h.name, s), UNKNOWN);
    }
    return out;
}

export async function runVerify(o: VerifyOptions): Promise<VerifyResult> {
    let capture: Capture | undefined;
    let offline: AuditResult;
    let raw: Record<string, string>;
    let config: StackConfig;
    try {
        let secureKeys: string[];
        ({ raw, secureKeys } = readStackFile(o.configFile));
        try {
            config = loadConfig(raw, { hasSshAgent: true, secretKeys: secureKeys.length ? [...secureKeys, "sshPrivateKey"] : undefined });
        } catch (e) {
            if (e instanceof ConfigError) throw new VerifyInputError(`${showPath(o.configFile)}: ${e.message}`);
            throw e;
        }
        // --host names checked before the (slower) offline capture
        const names = config.hosts.map((h) => h.name);
        for (const n of o.hosts ?? []) {
            if (!names.includes(n)) throw new VerifyInputError(`--host ${JSON.stringify(n)}: no such host in ${path.basename(o.configFile)} (its hosts: ${names.join(", ")})`);
        }
        offline = await runAudit({ configFile: o.configFile, stack: o.stack, policyConfigFile: o.policyConfigFile, inspect: (c) => (capture = c) });
    } catch (e) {
        if (e instanceof StackFileError || e instanceof AuditInputError) throw new VerifyInputError(e.message);
        throw e;
    }
    const handBuilt = Object.keys(raw).every((k) => k === "hosts");
    const all = config.hosts.map(targetOf);
    let keyDir: string | undefined;
    if (o.stackOutputs) {
        let outs;
        try {
            outs = parseStackOutputs(o.stackOutputs.text, o.stackOutputs.where, all.map((h) => h.name));
        } catch (e) {
            if (e instanceof StackOutputsError) throw new VerifyInputError(e.message);
            throw e;
        }
        // the stack file's hostKey wins (the program pins it); else the one the state recorded
        for (const h of all) if (!h.hostKey && outs.hostKeys.has(h.name)) h.hostKey = outs.hostKeys.get(h.name);
        const docker = config.hosts.filter((h) => h.connection.type === "docker").map((h) => h.name);
        if (outs.sshPrivateKey && docker.length > 0) {
            keyDir = fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-verify-key-"));
            const keyFile = path.join(keyDir, "id_ed25519");
            fs.writeFileSync(keyFile, outs.sshPrivateKey, { mode: 0o600 });
            for (const h of all) if (docker.includes(h.name)) h.identity = keyFile;
        }
    }
    try {
        return await verifyHosts(o, { config, all, capture: capture!, offline, handBuilt });
    } finally {
        if (keyDir) fs.rmSync(keyDir, { recursive: true, force: true });
    }
}

async function verifyHosts(
    o: VerifyOptions,
    { config, all, capture, offline, handBuilt }: { config: StackConfig; all: HostTarget[]; capture: Capture; offline: AuditResult; handBuilt: boolean },
): Promise<VerifyResult> {
    const names = all.map((h) => h.name);
    const selected = o.hosts?.length ? all.filter((h) => o.hosts!.includes(h.name)) : all;
    const { facts: declared, urns } = declaredFacts(capture);
    const backupDir = (declared.find((f) => f.step === "backup") as { directory?: string } | undefined)?.directory ?? BACKUP_DIR;

    const reports: HostReport[] = [];
    const observed: Observed[] = [];
    await Promise.all(
        selected.map(async (h) => {
            const t0 = Date.now();
            const ports = [config.db.port, NODE_EXPORTER_PORT, STATUS_PORT];
            try {
                const [text, runner] = await Promise.all([
                    (o.probes?.ssh ?? sshProbe)(h, { identity: o.identity, knownHosts: o.knownHosts, backupDir }),
                    (o.probes?.runner ?? runnerProbe)(h.address, config.domain, { ca: o.ca, ports, ...(h.published ? { published: h.published } : {}) }),
                ]);
                const obs = observeHost(h, { sections: parseSections(text), runner }, { hosts: all, backupDir });
                observed.push(obs);
                reports.push({ name: h.name, address: h.address, reachable: true, ms: Date.now() - t0, notes: obs.notes, undecided: obs.undecidedSteps });
            } catch (e) {
                if (!(e instanceof HostUnreachable)) throw e;
                reports.push({ name: h.name, address: h.address, reachable: false, error: e.message, ms: Date.now() - t0, notes: {}, undecided: [] });
            }
        }),
    );
    linkReplication(observed);
    // Keep the stack's host order.
    reports.sort((a, b) => names.indexOf(a.name) - names.indexOf(b.name));
    observed.sort((a, b) => names.indexOf(a.host) - names.indexOf(b.host));

    const notObserved = all
        .filter((h) => !observed.some((x) => x.host === h.name))
        .map((h) => ({ name: h.name, roles: h.roles, privateAddress: h.privateAddress, reason: reports.find((r) => r.name === h.name)?.error ?? "not selected" }));
    const resources = observedResources(offline.stack, observed, notObserved, urns);
    let violations: Violation[];
    try {
        const reconciled = reconcilePolicyConfig(policies, o.policyConfigFile ? readPolicyConfigFile(o.policyConfigFile) : {}, o.policyConfigFile);
        violations = await evaluate(resources, policies, reconciled, packIdentity(), { phase: "verify of the live hosts" });
    } catch (e) {
        const cause = e instanceof PolicyRunError ? e.cause : e;
        if (cause instanceof SettingsError || cause instanceof PolicyConfigError) throw new VerifyInputError(cause.message);
        throw e;
    }
    // --host: only what concerns the selected hosts (stack-wide verdicts stay: they are about every host).
    if (o.hosts?.length) {
        const skipped = new Set(all.filter((h) => !selected.includes(h)).map((h) => h.name));
        violations = violations.filter((v) => !resourceOfHosts(v.resourceName, skipped));
    }
    const drift = handBuilt
        ? []
        : observed.flatMap((obs) => driftOf(declared, obs)).map((d) => ({ ...d, urn: urns.get(commandName(d.host, d.step)) ?? urns.get(commandName(d.host, "base")) ?? "" }));
    const live: AuditResult = { ...offline, resourceCount: resources.length, violations };
    return { live, offline, handBuilt, hosts: reports, drift };
}

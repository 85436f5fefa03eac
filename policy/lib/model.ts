// The stack as policies see it: hosts, their roles and the typed facts of each provisioning step.
//
// Built from `args.resources` of a stack validation. Facts come only from `triggers[0]` of the remote commands
// (see packages/facts/index.ts, @seed-web/facts); shell text is never read. Docker containers named `<host>` add their host to the set.
//
// Unknown values (see ./unknown.ts): a command whose facts cannot even be identified during preview (its `triggers`
// or the facts' `schema`/`step`/`host` are unknown) is kept as *unresolved*, attributed to a host and step through
// its resource name `<host>-<step>` (parseCommandName, @seed-web/facts) when the name follows that convention. Every question it could change the answer
// to (`step`, `roles`, `hosts`) then throws an UnknownValueError rather than answering from incomplete data.

import type { PolicyResource } from "@pulumi/policy";
import { factsOf, parseCommandName, REMOTE_COMMAND_TYPE, Role, STEP_NAMES, StepFacts, StepName } from "@seed-web/facts";
import { CannotDecideYet, isUnknownValueError, UnknownValueErrorLike } from "./unknown";

export const DOCKER_CONTAINER_TYPE = "docker:index/container:Container";

export { STEP_NAMES };

export type FactsFor<S extends StepName> = Extract<StepFacts, { step: S }>;

export interface StepRef<S extends StepName> {
    facts: FactsFor<S>;
    urn: string;
    /** Resource name, e.g. `web-01-firewall`. */
    name: string;
}

export interface UnresolvedCommand {
    name: string;
    urn: string;
    /** From the resource name `<host>-<step>`; undefined when the name does not follow the convention. */
    host?: string;
    step?: StepName;
    error: UnknownValueErrorLike;
}

interface HostEntry {
    name: string;
    steps: Map<StepName, StepRef<StepName>>;
    container?: PolicyResource;
}

export class StackModel {
    private readonly entries = new Map<string, HostEntry>();
    readonly unresolved: UnresolvedCommand[] = [];
    readonly containers: PolicyResource[] = [];

    static from(resources: readonly PolicyResource[]): StackModel {
        const model = new StackModel();
        for (const r of resources) {
            if (r.type === REMOTE_COMMAND_TYPE) model.addCommand(r);
            else if (r.type === DOCKER_CONTAINER_TYPE) model.addContainer(r);
        }
        return model;
    }

    private entry(host: string): HostEntry {
        let e = this.entries.get(host);
        if (!e) {
            e = { name: host, steps: new Map() };
            this.entries.set(host, e);
        }
        return e;
    }

    private addCommand(r: PolicyResource): void {
        let facts: StepFacts | undefined;
        try {
            facts = factsOf(r.props);
            if (facts) {
                // Read the identifying fields now, so an unknown one marks the command unresolved.
                const { host, step } = facts;
                if (typeof host !== "string" || !STEP_NAMES.includes(step)) facts = undefined;
            }
        } catch (e) {
            if (!isUnknownValueError(e)) throw e;
            const parsed = parseCommandName(r.name);
            this.unresolved.push({ name: r.name, urn: r.urn, host: parsed?.host, step: parsed?.step, error: e });
            if (parsed) this.entry(parsed.host);
            return;
        }
        // A command without facts is not a seed-web step; it decides nothing.
        if (!facts) return;
        const e = this.entry(facts.host);
        if (!e.steps.has(facts.step)) e.steps.set(facts.step, { facts, urn: r.urn, name: r.name });
    }

    private addContainer(r: PolicyResource): void {
        this.containers.push(r);
        this.entry(r.name).container = r;
    }

    /** True when the stack holds nothing this pack knows about. */
    get isEmpty(): boolean {
        return this.entries.size === 0 && this.unresolved.length === 0;
    }

    private unresolvedFor(host: string | undefined, step: StepName | undefined): UnresolvedCommand | undefined {
        return this.unresolved.find(
            (u) => (u.host === undefined || host === undefined || u.host === host) &&
                (u.step === undefined || step === undefined || u.step === step),
        );
    }

    private cannotDecide(u: UnresolvedCommand, question: string): CannotDecideYet {
        return new CannotDecideYet(
            `cannot tell ${question}: the facts of ${u.name} are unknown during preview (${u.error.message})`,
            u.error,
        );
    }

    /** Every host, in the order first seen. Throws if an unresolved command cannot be attributed to a host. */
    hosts(): string[] {
        const u = this.unresolved.find((x) => x.host === undefined);
        if (u) throw this.cannotDecide(u, "which hosts the stack has");
        return [...this.entries.keys()];
    }

    /** The facts of a step on a host, or undefined when the host has no such step. */
    step<S extends StepName>(host: string, step: S): StepRef<S> | undefined {
        const found = this.entries.get(host)?.steps.get(step) as StepRef<S> | undefined;
        if (found) return found;
        const u = this.unresolvedFor(host, step);
        if (u) throw this.cannotDecide(u, `whether ${host} has a ${step} step`);
        return undefined;
    }

    /** A host's roles: from its base step, else from any of its steps (all facts carry the roles). */
    roles(host: string): Role[] {
        const e = this.entries.get(host);
        const base = e?.steps.get("base");
        if (base) return [...base.facts.roles];
        const u = this.unresolvedFor(host, "base");
        if (u) throw this.cannotDecide(u, `the roles of ${host}`);
        for (const s of e?.steps.values() ?? []) return [...s.facts.roles];
        return [];
    }

    hasRole(host: string, role: Role): boolean {
        return this.roles(host).includes(role);
    }

    /** Hosts holding a role. Throws if any host's roles are unknown. */
    hostsWithRole(role: Role): string[] {
        return this.hosts().filter((h) => this.hasRole(h, role));
    }

    container(host: string): PolicyResource | undefined {
        return this.entries.get(host)?.container;
    }

    /** URN to attach a host's violations to: its base step, else any step, else its container. */
    urn(host: string, prefer?: StepName): string | undefined {
        const e = this.entries.get(host);
        if (!e) return undefined;
        return (prefer && e.steps.get(prefer)?.urn) ?? e.steps.get("base")?.urn ?? [...e.steps.values()][0]?.urn ??
            e.container?.urn ?? this.unresolved.find((u) => u.host === host)?.urn;
    }
}

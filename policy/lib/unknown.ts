// Values that cannot be known during `pulumi preview`, and the "cannot decide yet" answer built on them.
//
// @pulumi/policy 1.21 hands policies `props` wrapped in `unknownCheckingProxy` (server.js, proxy.js): reading a
// property whose value is one of the engine's "unknown" sentinels (a computed output, a secret output not resolved
// yet, ...) throws `UnknownValueError` instead of returning the sentinel string. If a policy lets that error escape,
// the server reports it as an *advisory* diagnostic "can't run policy '<name>' ... during preview: <message>" — the
// documented "cannot decide yet" answer — and keeps the violations the policy reported before throwing.
//
// Policies here therefore read facts inside `Undecided.check` scopes: a scope that hits an unknown value records
// which host/what could not be checked and lets the policy carry on with the other hosts; `Undecided.finish` then
// throws one `CannotDecideYet` (an `UnknownValueError`, so the server treats it the same way) naming everything that
// was left undecided. A policy never reads an unknown as "fine": undecided is never a pass.

/** Shape of @pulumi/policy's UnknownValueError (its declaration is stripped from the package's typings). */
export interface UnknownValueErrorLike extends Error {
    readonly unknownTypeSentinel: unknown;
    readonly props: PropertyKey[];
}

type UnknownValueErrorCtor = new (unknownTypeSentinel: unknown, props: PropertyKey[]) => UnknownValueErrorLike;

// The class is exported by @pulumi/policy at run time (index.js re-exports it from proxy.js) but marked @internal,
// so its typings say nothing: take it from the runtime module. It must be the very class the server checks with
// `instanceof`, hence no copy of our own.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const runtime = require("@pulumi/policy") as { UnknownValueError: UnknownValueErrorCtor };

export const UnknownValueError: UnknownValueErrorCtor = runtime.UnknownValueError;

export function isUnknownValueError(e: unknown): e is UnknownValueErrorLike {
    return e instanceof UnknownValueError;
}

/**
 * "Cannot decide yet": some input a policy needs is unknown until the update runs. An `UnknownValueError`, so the
 * policy server reports it as an advisory "can't run policy ... during preview: <message>".
 */
export class CannotDecideYet extends UnknownValueError {
    constructor(
        message: string,
        /** The first unknown value that was hit (its sentinel and path). */
        readonly first: UnknownValueErrorLike,
        /** Every subject left undecided, with the reason. */
        readonly undecided: ReadonlyArray<{ subject: string; reason: string }> = [],
    ) {
        super(first.unknownTypeSentinel, first.props);
        this.name = "CannotDecideYet";
        this.message = message;
    }
}

/** Collects what a policy could not decide; see the module comment. */
export class Undecided {
    private readonly items: { subject: string; reason: string; error: UnknownValueErrorLike }[] = [];

    /** `what` completes "cannot check <what> of <subjects> ...", e.g. "the firewall". */
    constructor(private readonly what: string) {}

    /** Run `fn`; an unknown value it reads leaves `subject` undecided. Any other error propagates. */
    check(subject: string, fn: () => void): void {
        try {
            fn();
        } catch (e) {
            if (!isUnknownValueError(e)) throw e;
            this.add(subject, e);
        }
    }

    /** `fn` for each subject, each in a `check` scope of its own: one left undecided does not stop the others. */
    each(subjects: Iterable<string>, fn: (subject: string) => void): void {
        for (const subject of subjects) this.check(subject, () => fn(subject));
    }

    add(subject: string, error: UnknownValueErrorLike): void {
        this.items.push({ subject, reason: error.message, error });
    }

    get size(): number {
        return this.items.length;
    }

    /** Throw `CannotDecideYet` if anything was left undecided. Call after reporting the definite violations. */
    finish(): void {
        if (this.items.length === 0) return;
        const subjects = [...new Set(this.items.map((i) => i.subject))];
        const reasons = this.items.map((i) => `${i.subject}: ${i.reason}`).join("; ");
        throw new CannotDecideYet(
            `cannot check ${this.what} of ${subjects.join(", ")} until the values are known (they are computed ` +
                `during the update); undecided, not passed — ${reasons}`,
            this.items[0].error,
            this.items.map(({ subject, reason }) => ({ subject, reason })),
        );
    }
}

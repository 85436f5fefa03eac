// "Did you mean": the known name closest to a misspelt one. Shared by the pack (a misspelt policy setting is refused
// by the analyzer process the Pulumi CLI runs) and the tools (option, key, policy and setting names).

/** Levenshtein distance (small strings only: option, key and policy names). */
function distance(a: string, b: string): number {
    const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
        let diag = prev[0];
        prev[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const up = prev[j];
            prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
            diag = up;
        }
    }
    return prev[b.length];
}

/**
 * The known name closest to `name` (case-insensitive edit distance), when it is close enough to be a typo: at most
 * a third of the longer name's length, and at least 1 edit allowed.
 */
export function closestName(name: string, known: Iterable<string>): string | undefined {
    const n = name.slice(0, 200).toLowerCase();
    let best: string | undefined;
    let bestD = Infinity;
    for (const k of known) {
        const d = distance(n, k.toLowerCase());
        if (d < bestD) (best = k), (bestD = d);
    }
    if (best === undefined) return undefined;
    const allowed = Math.max(1, Math.floor(Math.max(n.length, best.length) / 3));
    return bestD <= allowed ? best : undefined;
}

/** ` (did you mean "x"?)` or nothing. */
export function didYouMean(name: string, known: Iterable<string>): string {
    const c = closestName(name, known);
    return c ? ` (did you mean "${c}"?)` : "";
}

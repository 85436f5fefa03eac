// pools-fit-memory: the PHP-FPM pool and the database declared for a host fit the memory declared for it.
//
// The same arithmetic as the serving profile the steps compute on the host (scripts/lib/tune.sh lemp_tune, README
// "Performance"): a system reserve, the database's share on a host that also runs PHP, opcache, then the workers.
// Decidable only where the stack declares the memory (seed-web:tuneMemoryMb); with "auto" the steps read the host's
// memory when they run and refuse a host too small themselves, and `npm run verify` compares the live profile.

import type { DatabaseFacts, PhpFacts } from "@seed-web/facts";
import { stackPolicy } from "../lib/define";
import { PolicyMetadata } from "../lib/metadata";

export const poolsFitMemoryMetadata: PolicyMetadata = {
    name: "pools-fit-memory",
    severity: "medium",
    defaultLevel: "advisory",
    designIssue: "Performance: one server cannot absorb load (a pool larger than the memory swaps, or is OOM-killed, under load)",
    improvement: "Size the PHP-FPM pool, the database and the queues from each host's memory",
    remediationSteps:
        "Lower `seed-web:phpMaxChildren` (or set it to auto), `seed-web:dbBufferPoolMb` or `seed-web:phpWorkerMb`, or " +
        "give the host more memory (`seed-web:tuneMemoryMb` declares what it has; README \"Performance\" has the arithmetic).",
    fix: "`seed-web:phpMaxChildren` / `seed-web:dbBufferPoolMb` / `seed-web:tuneMemoryMb`",
    fixKeys: [],
    security: false,
};

/** The MB of the profile's arithmetic (scripts/lib/tune.sh lemp_tune). */
export const PROFILE = { reserveMb: 128, dbOverheadMb: 96, minWorkers: 2 } as const;
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
export const opcacheMb = (memoryMb: number) => clamp(Math.floor(memoryMb / 16), 64, 256);
export const bufferPoolMb = (memoryMb: number, declared: "auto" | number | undefined, shared: boolean) =>
    typeof declared === "number" ? declared : clamp(Math.floor(memoryMb / (shared ? 4 : 2)), 64, 1048576);

/** What the host's declared pools need, when its memory is declared; undefined when they fit or it cannot be known. */
export function memoryShortfall(php: PhpFacts | undefined, db: DatabaseFacts | undefined): string | undefined {
    const memory = php?.memoryMb ?? db?.memoryMb;
    if (typeof memory !== "number") return undefined;
    const parts: string[] = [`${PROFILE.reserveMb} MB system`];
    let used = PROFILE.reserveMb;
    if (db) {
        const pool = bufferPoolMb(memory, db.bufferPoolMb ?? php?.dbBufferPoolMb, !!php);
        used += pool + PROFILE.dbOverheadMb;
        parts.push(`${pool + PROFILE.dbOverheadMb} MB database (buffer pool ${pool} MB + ${PROFILE.dbOverheadMb})`);
    }
    if (php) {
        const opcache = opcacheMb(memory);
        used += opcache;
        parts.push(`${opcache} MB opcache`);
        if (typeof php.maxChildren === "number") {
            used += php.maxChildren * php.workerMb;
            parts.push(`${php.maxChildren} PHP-FPM workers of ${php.workerMb} MB`);
            if (used <= memory) return undefined;
            return `needs ${used} MB (${parts.join(" + ")}), more than its ${memory} MB: under load it swaps or the kernel kills workers`;
        }
        // auto: the step fits the workers in what is left, and refuses fewer than 2
        const left = memory - used;
        if (left >= PROFILE.minWorkers * php.workerMb) return undefined;
        return `leaves ${Math.max(0, left)} MB for PHP-FPM (${memory} MB - ${parts.join(" - ")}), less than ${PROFILE.minWorkers} workers of ${php.workerMb} MB: the php step will refuse the host`;
    }
    if (used <= memory) return undefined;
    return `needs ${used} MB (${parts.join(" + ")}), more than its ${memory} MB`;
}

export const poolsFitMemory = stackPolicy({
    metadata: poolsFitMemoryMetadata,
    description: "The PHP-FPM pool and the database declared for a host fit the memory declared for it (seed-web:tuneMemoryMb).",
    what: "the serving profile",
    check({ model, undecided, report }) {
        undecided.check("the hosts", () => {
            undecided.each(model.hosts(), (host) => {
                const php = model.step(host, "php")?.facts;
                const db = model.step(host, "database")?.facts;
                const short = memoryShortfall(php, db);
                if (short) report(`${host} ${short}. Fix: ${poolsFitMemoryMetadata.fix}.`, model.urn(host, php ? "php" : "database"));
            });
        });
    },
});

// The serving profile (issue 21): its config keys together (their defaults and readers: settings.ts).

import { RawConfig } from "./read";
import { readSetting } from "./settings";
import { PhpJit } from "./vocabulary";

/** "auto" = computed on each host at apply time from its CPUs and memory (scripts/lib/tune.sh, lemp_tune). */
export interface TuningConfig {
    /** The memory (MB) the scripts take each host to have, instead of MemTotal / the cgroup limit. */
    memoryMb: "auto" | number;
    /** PHP-FPM's pm.max_children on every web host. */
    phpMaxChildren: "auto" | number;
    /** The memory (MB) one PHP-FPM worker takes: the divisor of max_children. */
    phpWorkerMb: number;
    /** opcache's JIT mode; its buffer is carved from opcache's share of the memory. */
    phpJit: PhpJit;
    /** InnoDB's buffer pool (MB). */
    dbBufferPoolMb: "auto" | number;
    /** HAProxy: requests at once per web host; the rest wait in the queue. */
    lbServerMaxConn: number;
    /** HAProxy: seconds a request waits in the queue before a 503 with Retry-After. */
    lbQueueTimeout: number;
}
export function parseTuning(raw: RawConfig): TuningConfig {
    return {
        memoryMb: readSetting(raw, "tuneMemoryMb"),
        phpMaxChildren: readSetting(raw, "phpMaxChildren"),
        phpWorkerMb: readSetting(raw, "phpWorkerMb"),
        phpJit: readSetting(raw, "phpJit"),
        dbBufferPoolMb: readSetting(raw, "dbBufferPoolMb"),
        lbServerMaxConn: readSetting(raw, "lbServerMaxConn"),
        lbQueueTimeout: readSetting(raw, "lbQueueTimeout"),
    };
}

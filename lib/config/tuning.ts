// The serving profile (issue 21): its config keys together.

import { ConfigError } from "./errors";
import { integer, RawConfig } from "./read";

/** "auto" = computed on each host at apply time from its CPUs and memory (scripts/lib.sh, lemp_tune). */
export interface TuningConfig {
    /** The memory (MB) the scripts take each host to have, instead of MemTotal / the cgroup limit. */
    memoryMb: "auto" | number;
    /** PHP-FPM's pm.max_children on every web host. */
    phpMaxChildren: "auto" | number;
    /** The memory (MB) one PHP-FPM worker takes: the divisor of max_children. */
    phpWorkerMb: number;
    /** InnoDB's buffer pool (MB). */
    dbBufferPoolMb: "auto" | number;
    /** HAProxy: requests at once per web host; the rest wait in the queue. */
    lbServerMaxConn: number;
    /** HAProxy: seconds a request waits in the queue before a 503 with Retry-After. */
    lbQueueTimeout: number;
}
export const TUNING_DEFAULTS = {
    tuneMemoryMb: "auto",
    phpMaxChildren: "auto",
    phpWorkerMb: 48,
    dbBufferPoolMb: "auto",
    lbServerMaxConn: 64,
    lbQueueTimeout: 10,
};
function autoOrInteger(raw: RawConfig, key: string, min: number, max: number): "auto" | number {
    const v = raw[key];
    if (v === undefined || v === "auto") return "auto";
    const n = /^\d+$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(key, v, `expected auto or an integer from ${min} to ${max}`);
    return n;
}
export function parseTuning(raw: RawConfig): TuningConfig {
    return {
        memoryMb: autoOrInteger(raw, "tuneMemoryMb", 256, 4194304),
        phpMaxChildren: autoOrInteger(raw, "phpMaxChildren", 1, 1000),
        phpWorkerMb: integer(raw, "phpWorkerMb", TUNING_DEFAULTS.phpWorkerMb, 10, 2048),
        dbBufferPoolMb: autoOrInteger(raw, "dbBufferPoolMb", 64, 1048576),
        lbServerMaxConn: integer(raw, "lbServerMaxConn", TUNING_DEFAULTS.lbServerMaxConn, 1, 10000),
        lbQueueTimeout: integer(raw, "lbQueueTimeout", TUNING_DEFAULTS.lbQueueTimeout, 1, 300),
    };
}

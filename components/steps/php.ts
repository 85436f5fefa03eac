// The php step: scripts/php.sh, undone by scripts/undo/php.sh; the class PhpFpm, type token "seed-web:lemp:PhpFpm"
// (unchanged from components/lemp.ts: it is in the engine's URNs of deployed stacks).

import * as pulumi from "@pulumi/pulumi";
import { PhpFacts, PhpJit } from "@seed-web/facts";
import { Host } from "../host";
import { common, HostStep } from "./host-step";

/** PHP-FPM, the version the distribution ships, its workers sized from the host's memory. */
export class PhpFpm extends HostStep<PhpFacts> {
    constructor(name: string, args: { host: Host; after: pulumi.Resource[] }, opts?: pulumi.ComponentResourceOptions) {
        const tuning = args.host.node.tuning;
        const mb = (v: string): "auto" | number => (v === "auto" ? "auto" : Number(v));
        const facts: PhpFacts = {
            ...common(args.host, "php"),
            maxChildren: mb(tuning.LEMP_PHP_MAX_CHILDREN),
            memoryMb: mb(tuning.LEMP_TUNE_MEM_MB),
            workerMb: Number(tuning.LEMP_TUNE_PHP_WORKER_MB),
            jit: tuning.LEMP_PHP_JIT as PhpJit,
            ...(tuning.LEMP_TUNE_SHARED === "1" ? { dbBufferPoolMb: mb(tuning.LEMP_DB_BUFFER_POOL_MB) } : {}),
        };
        super("seed-web:lemp:PhpFpm", name, args.host, facts, { ...tuning }, { after: args.after }, opts);
    }
}

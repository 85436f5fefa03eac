// The base step: scripts/base.sh, undone by scripts/undo/base.sh; the class BaseSystem, type token "seed-web:lemp:BaseSystem"
// (unchanged from components/lemp.ts: it is in the engine's URNs of deployed stacks).

import * as pulumi from "@pulumi/pulumi";
import { hostSteps } from "../../lib/topology";
import { BaseFacts } from "@seed-web/facts";
import { Host } from "../host";
import { common, HostStep, list } from "./host-step";

/** Operating system check (a release of scripts/platform.sh), cloud-init and apt lock wait, package lists, curl. */
export class BaseSystem extends HostStep<BaseFacts> {
    constructor(name: string, args: { host: Host }, opts?: pulumi.ComponentResourceOptions) {
        const facts: BaseFacts = {
            ...common(args.host, "base"),
            provider: args.host.node.connection.type,
            privateAddress: args.host.node.privateAddress,
            preinstall: hostSteps(args.host.node),
        };
        const env: Record<string, string> = { LEMP_APT_MAX_AGE: "3600", LEMP_PREINSTALL: list(facts.preinstall) };
        // the database server's packages are among those preinstalled: the engine chosen, not the distribution's
        if (args.host.node.database) env.LEMP_DB_ENGINE = args.host.node.database.engine;
        super("seed-web:lemp:BaseSystem", name, args.host, facts, env, {}, opts);
    }
}

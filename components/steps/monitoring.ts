// The monitoring step: scripts/monitoring.sh, undone by scripts/undo/monitoring.sh; the class Monitoring, type token "seed-web:lemp:Monitoring"
// (unchanged from components/lemp.ts: it is in the engine's URNs of deployed stacks).

import * as pulumi from "@pulumi/pulumi";
import { MonitoringPlan } from "../../lib/topology";
import { MonitoringFacts } from "@seed-web/facts";
import { Host } from "../host";
import { common, HostStep } from "./host-step";

/** Prometheus node exporter from the distribution's packages; the firewall lets only the allowed addresses in. */
export class Monitoring extends HostStep<MonitoringFacts> {
    constructor(name: string, args: { host: Host; plan: MonitoringPlan; after: pulumi.Resource[] }, opts?: pulumi.ComponentResourceOptions) {
        const { plan } = args;
        const facts: MonitoringFacts = { ...common(args.host, "monitoring"), exporter: "prometheus-node-exporter", listen: plan.listen, port: plan.port, allowFrom: plan.allowFrom };
        const env = { LEMP_MON_LISTEN: plan.listen, LEMP_MON_PORT: String(plan.port) };
        super("seed-web:lemp:Monitoring", name, args.host, facts, env, { after: args.after }, opts);
    }
}

// The firewall step: scripts/firewall.sh, undone by scripts/undo/firewall.sh; the class Firewall, type token "seed-web:lemp:Firewall"
// (unchanged from components/lemp.ts: it is in the engine's URNs of deployed stacks).

import * as pulumi from "@pulumi/pulumi";
import { FirewallPlan } from "../../lib/topology";
import { FirewallFacts } from "@seed-web/facts";
import { Host } from "../host";
import { common, HostStep, list, preexisting } from "./host-step";

/** ufw: inbound denied by default, the topology's rules allowed (SSH always, so the program keeps its way in). */
export class Firewall extends HostStep<FirewallFacts> {
    constructor(name: string, args: { host: Host; plan: FirewallPlan; after: pulumi.Resource[] }, opts?: pulumi.ComponentResourceOptions) {
        const facts: FirewallFacts = { ...common(args.host, "firewall"), engine: "ufw", defaultInbound: "deny", rules: args.plan.rules };
        const rules = args.plan.rules.map((r) => `${r.port}/${r.proto}:${r.from}`);
        super("seed-web:lemp:Firewall", name, args.host, facts, { LEMP_FW_RULES: list(rules), ...preexisting(args.host) }, { after: args.after }, opts);
    }
}

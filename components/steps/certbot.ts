// The certbot step: scripts/certbot.sh, undone by scripts/undo/certbot.sh; the class Certificate, type token "seed-web:lemp:Certificate"
// (unchanged from components/lemp.ts: it is in the engine's URNs of deployed stacks).

import * as pulumi from "@pulumi/pulumi";
import { CertbotPlan } from "../../lib/topology";
import { CertbotFacts } from "@seed-web/facts";
import { Host } from "../host";
import { common, HostStep, list } from "./host-step";

/** Let's Encrypt through certbot (HTTP-01), with a renewal timer and a hook that reloads the server. */
export class Certificate extends HostStep<CertbotFacts> {
    constructor(name: string, args: { host: Host; plan: CertbotPlan; after: pulumi.Resource[] }, opts?: pulumi.ComponentResourceOptions) {
        const { plan } = args;
        const facts: CertbotFacts = { ...common(args.host, "certbot"), serverNames: plan.serverNames, email: plan.email, server: plan.server, mode: plan.mode };
        const env = {
            LEMP_SERVER_NAMES: list(plan.serverNames),
            LEMP_ACME_EMAIL: plan.email,
            LEMP_ACME_SERVER: plan.server,
            LEMP_ACME_MODE: plan.mode,
        };
        super("seed-web:lemp:Certificate", name, args.host, facts, env, { after: args.after }, opts);
    }
}

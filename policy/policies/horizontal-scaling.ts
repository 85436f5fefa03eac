// horizontal-scaling: a load balancer fronts the web tier, so web hosts can be added to absorb traffic.

import { list, stackPolicy } from "../lib/define";
import { PolicyMetadata, SWITCH } from "../lib/metadata";

export const horizontalScalingMetadata: PolicyMetadata = {
    name: "horizontal-scaling",
    severity: "low",
    defaultLevel: "advisory",
    designIssue: "Scalability Limitations: a single server, no load balancing mechanism",
    improvement: "Add a load balancer for traffic distribution",
    remediationSteps:
        "In seed-web:hosts add a host with role lb: it spreads requests over every web host, and web hosts can then " +
        "be added to absorb traffic spikes.",
    fix: "an lb host in `seed-web:hosts`",
    fixKeys: ["hosts"],
    security: false,
};

export const horizontalScaling = stackPolicy({
    metadata: horizontalScalingMetadata,
    description: "A load balancer fronts the web tier, so web hosts can be added to absorb traffic.",
    what: "load balancing",
    check({ model, undecided, report }) {
        undecided.check("the web tier", () => {
            const web = model.hostsWithRole("web");
            if (web.length === 0) return;
            const lbs = model.hostsWithRole("lb");
            if (lbs.length === 0) {
                report(
                    `no load balancer in front of the web tier (${list(web)}): traffic cannot be spread over more web ` +
                        `hosts. Fix: add a host with role lb to ${SWITCH.hosts}.`,
                    model.urn(web[0]),
                );
                return;
            }
            for (const lb of lbs) {
                if (!model.step(lb, "lb")) {
                    report(
                        `${lb} has the lb role but runs no load balancer (no lb step carrying facts). ` +
                            `Fix: the program must provision the lb step on ${lb}.`,
                        model.urn(lb),
                    );
                }
            }
        });
    },
});

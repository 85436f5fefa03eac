// verify's report in the audit's three formats (tools/audit/report.ts), each extended with the hosts, the drift and
// the unreachable hosts: text, JSON (the audit's shape plus `verify`), SARIF 2.1.0 (drift and unreachable hosts as
// results of two more rules).

import * as crypto from "crypto";
import { formatText, toJson, toSarif } from "../audit/report";
import type * as sarif from "sarif";
import { VerifyResult, verifyExitCode } from "./run";

export type Format = "text" | "json" | "sarif";

export function driftLine(d: { host: string; fact: string; declared: string; observed: string }): string {
    return `${d.host} ${d.fact}: declared: ${d.declared}; observed: ${d.observed}`;
}

export function formatVerifyText(r: VerifyResult): string {
    const lines: string[] = [formatText(r.live).replace(/\n?Audit of stack (\S+) \(/, "\nVerify of stack $1 (live hosts; ").trimEnd(), "", "Hosts:"];
    for (const h of r.hosts) {
        if (!h.reachable) {
            lines.push(`    ❌ ${h.name} (${h.address}): unreachable: ${h.error}`);
            continue;
        }
        lines.push(`    ${h.name} (${h.address}): checked in ${h.ms} ms`);
        for (const [k, v] of Object.entries(h.notes)) lines.push(`        ${k}: ${v}`);
        for (const u of h.undecided) lines.push(`        cannot decide ${u.step}: ${u.reason}`);
    }
    lines.push("");
    if (r.handBuilt) lines.push("Drift: not checked (the stack file only lists hosts: nothing is declared).");
    else if (r.drift.length === 0) lines.push("Drift: none (every declared fact checked live holds).");
    else {
        lines.push(`Drift: ${r.drift.length} declared fact${r.drift.length === 1 ? "" : "s"} contradicted by the hosts:`);
        for (const d of r.drift) lines.push(`    - ${driftLine(d)}`);
    }
    const unreachable = r.hosts.filter((h) => !h.reachable).map((h) => h.name);
    if (unreachable.length) lines.push("", `Unreachable: ${unreachable.join(", ")} (not checked; its verdicts are "cannot decide").`);
    lines.push("", `exit code ${verifyExitCode(r)}`);
    return lines.join("\n") + "\n";
}

export function toVerifyJson(r: VerifyResult): object {
    return {
        ...toJson(r.live),
        verify: {
            handBuilt: r.handBuilt,
            exitCode: verifyExitCode(r),
            hosts: r.hosts.map((h) => ({
                name: h.name,
                address: h.address,
                reachable: h.reachable,
                ...(h.error ? { error: h.error } : {}),
                ms: h.ms,
                observed: h.notes,
                undecided: h.undecided,
            })),
            drift: r.drift.map((d) => ({ host: d.host, step: d.step, fact: d.fact, declared: d.declared, observed: d.observed, urn: d.urn })),
            unreachable: r.hosts.filter((h) => !h.reachable).map((h) => h.name),
        },
    };
}

export function toVerifySarif(r: VerifyResult): sarif.Log {
    const log = toSarif(r.live);
    const run = log.runs[0];
    const rules = (run.tool.driver.rules ??= []);
    const results = (run.results ??= []);
    run.tool.driver.fullName = (run.tool.driver.fullName ?? "").replace("offline audit", "verify of the live hosts");
    const base = rules.length;
    rules.push(
        {
            id: "drift",
            name: "Drift",
            shortDescription: { text: "A fact the stack declares is contradicted by the live host." },
            help: { text: "Apply the program again (pulumi up), or change the stack so it declares what the host should be." },
            defaultConfiguration: { enabled: true, level: "warning" },
            properties: { tags: ["pulumi", "drift"] },
        },
        {
            id: "host-unreachable",
            name: "HostUnreachable",
            shortDescription: { text: "A host of the stack could not be reached over SSH: nothing about it is verified." },
            help: { text: "Check the host's address, its SSH host key and the key or agent used." },
            defaultConfiguration: { enabled: true, level: "error" },
            properties: { tags: ["pulumi", "reachability"] },
        },
    );
    const loc = (name: string, urn: string) => [
        {
            physicalLocation: { artifactLocation: { uri: r.live.stackFile, uriBaseId: "%SRCROOT%" }, region: { startLine: 1 } },
            logicalLocations: [{ name, fullyQualifiedName: urn, kind: "resource" }],
        },
    ];
    for (const d of r.drift) {
        const text = driftLine(d);
        results.push({
            ruleId: "drift",
            ruleIndex: base,
            level: "warning",
            message: { text },
            locations: loc(`${d.host}-${d.step}`, d.urn),
            partialFingerprints: { "seedWebDrift/v1": crypto.createHash("sha256").update(`${d.host}\0${d.fact}\0${d.declared}`).digest("hex") },
            properties: { host: d.host, step: d.step, fact: d.fact, declared: d.declared, observed: d.observed },
        });
    }
    for (const h of r.hosts.filter((x) => !x.reachable)) {
        results.push({
            ruleId: "host-unreachable",
            ruleIndex: base + 1,
            level: "error",
            message: { text: `${h.name} (${h.address}) is unreachable: ${h.error}` },
            locations: loc(h.name, h.name),
            properties: { host: h.name, address: h.address },
        });
    }
    return log;
}

export function renderVerify(r: VerifyResult, format: Format): string {
    switch (format) {
        case "json":
            return JSON.stringify(toVerifyJson(r), null, 2) + "\n";
        case "sarif":
            return JSON.stringify(toVerifySarif(r), null, 2) + "\n";
        default:
            return formatVerifyText(r);
    }
}

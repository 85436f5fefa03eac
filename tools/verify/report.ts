// verify's report in the audit's three formats (tools/audit/report.ts), each extended with the hosts, the drift and
// the unreachable hosts: text, JSON (the audit's shape plus `verify`), SARIF 2.1.0 (drift and unreachable hosts as
// results of two more rules).

import * as crypto from "crypto";
import { formatText, toJson, toPascal, toSarif } from "../audit/report";
import { commandName } from "@seed-web/facts";
import type * as sarif from "sarif";
import { VerifyResult, verifyExitCode } from "./run";

export type Format = "text" | "json" | "sarif";

/** Text from a host (probe output, ssh's stderr, a certificate's names) as the terminal may show it: control
 * characters (C0 but newline and tab, DEL, C1 — ESC and CSI among them) and the bidirectional overrides escaped as
 * \xNN / \u{NNNN}, so no escape sequence reaches the terminal (a hostile host cannot clear lines or hide a
 * violation). */
export function printable(s: string): string {
    return s.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
        const n = c.charCodeAt(0);
        return n <= 0xff ? `\\x${n.toString(16).padStart(2, "0")}` : `\\u{${n.toString(16)}}`;
    });
}

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
    const unreachable = r.hosts.filter((h) => !h.reachable).map((h) => h.name);
    const n = unreachable.length;
    const notChecked = `not checked on ${n} host${n === 1 ? "" : "s"} (unreachable: ${unreachable.join(", ")})`;
    if (r.handBuilt) lines.push("Drift: not checked (the stack file only lists hosts: nothing is declared).");
    else if (r.drift.length === 0 && n > 0) {
        lines.push(`Drift: not checked (${n} host${n === 1 ? "" : "s"} unreachable: ${unreachable.join(", ")})` +
            (r.hosts.length > n ? `; on the ${r.hosts.length - n} host${r.hosts.length - n === 1 ? "" : "s"} reached, every declared fact checked live holds.` : "."));
    } else if (r.drift.length === 0) lines.push("Drift: none (every declared fact checked live holds).");
    else {
        lines.push(`Drift: ${r.drift.length} declared fact${r.drift.length === 1 ? "" : "s"} contradicted by the hosts${n ? `; ${notChecked}` : ""}:`);
        for (const d of r.drift) lines.push(`    - ${driftLine(d)}`);
    }
    if (n) lines.push("", `Unreachable: ${unreachable.join(", ")} (not checked; its verdicts are "cannot decide").`);
    lines.push("", `exit code ${verifyExitCode(r)}`);
    return printable(lines.join("\n")) + "\n";
}

export function toVerifyJson(r: VerifyResult): object {
    const exitCode = verifyExitCode(r);
    return {
        ...toJson(r.live),
        // the audit's `passed` is "no mandatory violation"; verify's is its exit code 0: every selected host reached
        // and checked, no mandatory violation, no drift (a CI step reading it never goes green on a host that is down)
        passed: exitCode === 0,
        verify: {
            handBuilt: r.handBuilt,
            exitCode,
            driftChecked: !r.handBuilt && r.hosts.every((h) => h.reachable),
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

/** One of the two rules verify adds to the policies' (always enabled): its id (and name), its tag, its level, what
 * it finds and the fix. */
function verifyRule(id: string, tag: string, level: "warning" | "error", finds: string, fix: string): sarif.ReportingDescriptor {
    return {
        id,
        name: toPascal(id),
        shortDescription: { text: finds },
        help: { text: fix },
        defaultConfiguration: { enabled: true, level },
        properties: { tags: ["pulumi", tag] },
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
        verifyRule("drift", "drift", "warning",
            "A fact the stack declares is contradicted by the live host.",
            "Apply the program again (pulumi up), or change the stack so it declares what the host should be."),
        verifyRule("host-unreachable", "reachability", "error",
            "A host of the stack could not be reached over SSH: nothing about it is verified.",
            "Check the host's address, its SSH host key and the key or agent used."),
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
            locations: loc(commandName(d.host, d.step), d.urn),
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

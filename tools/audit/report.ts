// The audit's result in three forms: the Pulumi CLI's "Policies:" section (text), a documented JSON shape, and
// SARIF 2.1.0 for GitHub code scanning. Messages only: no resource property is ever printed, and every value the
// capture knows to be secret is masked in whatever is printed (belt and braces: policies never put one in a message).

import * as crypto from "crypto";
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import { parseCommandName } from "@seed-web/facts";
import type { Severity } from "@pulumi/policy";
import type * as sarif from "sarif";
import type { PolicyMetadata } from "../../policy/policies";
import { cliOrder, Violation } from "./evaluate";

export const JSON_REPORT_VERSION = 1;

export interface AuditResult {
    stack: string;
    /** The stack file, relative to the project directory when inside it. */
    stackFile: string;
    /** The stack file's text (SARIF regions point at its lines). */
    stackFileText: string;
    preview: boolean;
    pack: { name: string; version: string; path: string };
    /** Every policy of the pack with its effective level (after --policy-pack-config). */
    policies: { name: string; description: string; level: string; severity?: Severity; kind: "resource" | "stack"; metadata?: PolicyMetadata }[];
    resourceCount: number;
    violations: Violation[];
    policyConfigFile?: string;
}

export interface Counts {
    mandatory: number;
    advisory: number;
    total: number;
}

export function counts(vs: readonly Violation[]): Counts {
    const mandatory = vs.filter((v) => v.level === "mandatory").length;
    return { mandatory, advisory: vs.length - mandatory, total: vs.length };
}

// ---------------------------------------------------------------------------------------------------------------------
// text: as `pulumi preview` prints it (pkg/backend/display/progress.go printPolicies, diff.go
// renderDiffPolicyViolationEvent), without colours.

function urnType(urn: string): string {
    const qualified = urn.split("::")[2] ?? "";
    const parts = qualified.split("$");
    return parts[parts.length - 1];
}

function urnName(urn: string): string {
    const parts = urn.split("::");
    return parts.slice(3).join("::");
}

export function formatText(r: AuditResult): string {
    const lines: string[] = ["Policies:"];
    const vs = cliOrder(r.violations);
    const c = counts(vs);
    const mark = c.mandatory > 0 ? "❌" : vs.length > 0 ? "⚠️" : "✅";
    lines.push(`    ${mark} ${r.pack.name}@v${r.pack.version} (local: ${r.pack.path})`);
    for (const v of vs) {
        lines.push(`        - [${v.level}]  ${v.policy}  (${urnType(v.urn)}: ${urnName(v.urn)})`);
        const message = v.message.replace(/\n$/, "");
        for (const l of message.split("\n")) lines.push(`          ${l}`);
    }
    lines.push("");
    const disabled = r.policies.filter((p) => p.level === "disabled").map((p) => p.name);
    lines.push(
        `Audit of stack ${r.stack} (${r.stackFile}${r.preview ? ", preview" : ""}): ${r.resourceCount} resources, ` +
            `${r.policies.length - disabled.length} policies${disabled.length ? ` (disabled: ${disabled.join(", ")})` : ""}` +
            `${r.policyConfigFile ? `, config ${r.policyConfigFile}` : ""}: ` +
            `${c.mandatory} mandatory, ${c.advisory} advisory violation${c.advisory === 1 ? "" : "s"}.`,
    );
    return lines.join("\n") + "\n";
}

// ---------------------------------------------------------------------------------------------------------------------
// json

export interface JsonReport {
    version: typeof JSON_REPORT_VERSION;
    stack: string;
    stackFile: string;
    preview: boolean;
    policyPack: { name: string; version: string; path: string };
    policyConfigFile: string | null;
    policies: { name: string; level: string; severity: string | null; kind: "resource" | "stack" }[];
    resources: number;
    violations: {
        policy: string;
        level: "mandatory" | "advisory";
        severity: string | null;
        resource: { type: string; name: string; urn: string };
        message: string;
        undecided: boolean;
    }[];
    counts: Counts;
    passed: boolean;
}

export function toJson(r: AuditResult): JsonReport {
    const vs = cliOrder(r.violations);
    const c = counts(vs);
    return {
        version: JSON_REPORT_VERSION,
        stack: r.stack,
        stackFile: r.stackFile,
        preview: r.preview,
        policyPack: { ...r.pack },
        policyConfigFile: r.policyConfigFile ?? null,
        policies: r.policies.map((p) => ({ name: p.name, level: p.level, severity: p.severity ?? null, kind: p.kind })),
        resources: r.resourceCount,
        violations: vs.map((v) => ({
            policy: v.policy,
            level: v.level,
            severity: v.severity ?? null,
            resource: { type: v.resourceType, name: v.resourceName, urn: v.urn },
            message: v.message,
            undecided: v.undecided,
        })),
        counts: c,
        passed: c.mandatory === 0,
    };
}

// ---------------------------------------------------------------------------------------------------------------------
// sarif

/** GitHub's scale: critical > 9.0, high 7.0–8.9, medium 4.0–6.9, low 0.1–3.9. */
const SECURITY_SEVERITY: Record<Severity, string> = { critical: "9.5", high: "8.0", medium: "5.5", low: "2.0" };

/** The policy's own metadata says which config keys fix it (fixKeys) and whether it is a security finding. */
function isSecurity(p: AuditResult["policies"][number]): boolean {
    return p.metadata?.security ?? false;
}

/** "host-unreachable" → "HostUnreachable": a SARIF rule's name from its id. */
export function toPascal(name: string): string {
    return name.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase());
}

/**
 * 1-based line of the config key `seed-web:<key>` in the stack file (for `hosts`, of the host's `name:` when the
 * list holds it), else 1: positions from the YAML parser (parseDocument + LineCounter), not patterns over the text.
 */
export function lineOf(text: string, keys: string[], host?: string): number {
    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { lineCounter, uniqueKeys: false });
    const lineAt = (offset: number | undefined) => (offset === undefined ? 1 : lineCounter.linePos(offset).line);
    const config = doc.get("config", true);
    if (!isMap(config)) return 1;
    for (const key of keys) {
        const pair = config.items.find((p) => isScalar(p.key) && (p.key.value === `seed-web:${key}` || p.key.value === key));
        if (!pair || !isScalar(pair.key)) continue;
        if (key === "hosts" && host !== undefined && isSeq(pair.value)) {
            for (const item of pair.value.items) {
                if (!isMap(item)) continue;
                const name = item.items.find((p) => isScalar(p.key) && p.key.value === "name");
                if (name && isScalar(name.key) && isScalar(name.value) && String(name.value.value) === host) return lineAt(name.key.range?.[0]);
            }
        }
        return lineAt(pair.key.range?.[0]);
    }
    return 1;
}

function hostOf(v: Violation): string | undefined {
    // Resource names are `<host>-<step>` for commands, `<host>` for hosts and containers.
    return parseCommandName(v.resourceName)?.host ?? v.resourceName;
}

export function toSarif(r: AuditResult): sarif.Log {
    const rules = r.policies.map((p): sarif.ReportingDescriptor => {
        const m = p.metadata;
        const security = isSecurity(p);
        const help = m
            ? `${m.remediationSteps}\n\nDesign issue: ${m.designIssue}. Improvement: ${m.improvement}.`
            : p.description;
        return {
            id: p.name,
            name: toPascal(p.name),
            shortDescription: { text: p.description },
            fullDescription: { text: m ? `${p.description} (${m.designIssue})` : p.description },
            help: {
                text: help,
                markdown: m
                    ? `**Fix:** ${m.remediationSteps}\n\n**Design issue:** ${m.designIssue}\n\n**Improvement:** ${m.improvement}`
                    : p.description,
            },
            defaultConfiguration: {
                enabled: p.level !== "disabled",
                level: p.level === "disabled" ? "none" : p.level === "advisory" ? "warning" : "error",
            },
            properties: {
                tags: ["pulumi", "crossguard", security ? "security" : "reliability", ...(m ? [] : [])],
                precision: "high",
                "problem.severity": p.level === "advisory" ? "warning" : "error",
                ...(security && p.severity ? { "security-severity": SECURITY_SEVERITY[p.severity] } : {}),
                enforcementLevel: p.level,
                ...(p.severity ? { severity: p.severity } : {}),
            },
        };
    });
    const ruleIndex = new Map(rules.map((x, i) => [x.id, i]));
    const fixKeys = new Map(r.policies.map((p) => [p.name, p.metadata?.fixKeys ?? []]));
    const results = cliOrder(r.violations).map((v): sarif.Result => ({
        ruleId: v.policy,
        ruleIndex: ruleIndex.get(v.policy) ?? -1,
        level: v.undecided ? "note" : v.level === "mandatory" ? "error" : "warning",
        message: { text: v.message },
        locations: [
            {
                physicalLocation: {
                    artifactLocation: { uri: r.stackFile, uriBaseId: "%SRCROOT%" },
                    region: { startLine: lineOf(r.stackFileText, fixKeys.get(v.policy) ?? [], hostOf(v)) },
                },
                logicalLocations: [
                    { name: v.resourceName, fullyQualifiedName: v.urn, kind: "resource", decoratedName: v.resourceType },
                ],
            },
        ],
        partialFingerprints: {
            // v2: over the engine's URN (the full parent chain); v1 was over the mocks' shortened one
            "seedWebViolation/v2": crypto.createHash("sha256").update(`${v.policy}\0${v.urn}\0${v.message}`).digest("hex"),
        },
        properties: {
            enforcementLevel: v.level,
            ...(v.severity ? { severity: v.severity } : {}),
            resourceType: v.resourceType,
            resourceName: v.resourceName,
            urn: v.urn,
        },
    }));
    return {
        $schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: [
            {
                tool: {
                    driver: {
                        name: r.pack.name,
                        fullName: `${r.pack.name} (Pulumi CrossGuard policy pack, offline audit)`,
                        version: r.pack.version,
                        semanticVersion: r.pack.version,
                        rules,
                    },
                },
                automationDetails: { id: `${r.pack.name}/${r.stack}/` },
                columnKind: "utf16CodeUnits",
                results,
            },
        ],
    };
}

// ---------------------------------------------------------------------------------------------------------------------
// secrets

/** Replace every occurrence of a secret in `text` (longest first) with "[secret]". */
export function maskSecrets(text: string, secrets: readonly string[]): string {
    let out = text;
    for (const s of [...new Set(secrets)].filter((x) => x.length >= 6).sort((a, b) => b.length - a.length)) {
        if (out.includes(s)) out = out.split(s).join("[secret]");
    }
    return out;
}

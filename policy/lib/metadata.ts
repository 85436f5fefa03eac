// Metadata every policy of the pack carries, in the spirit of pulumi/compliance-policies.

import type { EnforcementLevel, Severity } from "@pulumi/policy";

export interface PolicyMetadata {
    /** Policy name (stable; used in --policy-pack-config files). */
    name: string;
    severity: Severity;
    /** Level used when no --policy-pack-config overrides it. */
    defaultLevel: Exclude<EnforcementLevel, "remediate" | "disabled">;
    /** The documented issue of the seed design (design doc section → issue) this policy detects. */
    designIssue: string;
    /** The improvement of the design doc this policy pushes towards. */
    improvement: string;
    /** How to fix a violation, with the config switches. */
    remediationSteps: string;
    /** The `pulumi config set` switch(es) that fix it, short form for tables and messages. */
    fix: string;
    /**
     * The config keys of the stack file (`seed-web:<key>`, prefix left out) that fix a violation, most direct first:
     * the audit's SARIF result points at the first one the stack file holds (for `hosts`, at the host's entry), else
     * at line 1.
     */
    fixKeys: string[];
    /** A security finding (SARIF tag "security", with a security-severity for GitHub code scanning), else reliability. */
    security: boolean;
}

/** Config switches as they appear in messages. */
export const SWITCH = {
    firewall: "`pulumi config set seed-web:firewall true`",
    firewallAllowPorts: "`seed-web:firewallAllowPorts`",
    tls: "`pulumi config set seed-web:tls letsencrypt` (with `seed-web:acmeEmail`; `self-signed` for a test stack)",
    letsencrypt: "`pulumi config set seed-web:tls letsencrypt` (with `seed-web:acmeEmail`)",
    dbBind: "`pulumi config set seed-web:dbBindAddress 127.0.0.1`",
    hosts: "the `seed-web:hosts` list",
    monitoring: "`pulumi config set seed-web:monitoring true`",
    backups: "`pulumi config set seed-web:backups true`",
} as const;

// The seed-web policy list and pack metadata. Importing this module starts nothing: only ../index.ts constructs the
// PolicyPack (which starts the gRPC server the Pulumi CLI talks to). Tests and the offline audit import from here.

import type { EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import type { PolicyMetadata } from "../lib/metadata";
import { appDbSeparation, appDbSeparationMetadata } from "./app-db-separation";
import { backupsEnabled, backupsEnabledMetadata } from "./backups-enabled";
import { databaseNotExposed, databaseNotExposedMetadata } from "./database-not-exposed";
import { firewallRequired, firewallRequiredMetadata } from "./firewall-required";
import { horizontalScaling, horizontalScalingMetadata } from "./horizontal-scaling";
import { httpsRequired, httpsRequiredMetadata } from "./https-required";
import { monitoringEnabled, monitoringEnabledMetadata } from "./monitoring-enabled";
import { noSinglePointOfFailure, noSinglePointOfFailureMetadata } from "./no-single-point-of-failure";
import { poolsFitMemory, poolsFitMemoryMetadata } from "./pools-fit-memory";
import { trustedCertificate, trustedCertificateMetadata } from "./trusted-certificate";
import { zeroDowntimeMaintenance, zeroDowntimeMaintenanceMetadata } from "./zero-downtime-maintenance";

export type { PolicyMetadata } from "../lib/metadata";
export type SeedPolicy = ResourceValidationPolicy | StackValidationPolicy;

export const PACK_NAME = "seed-web";

/** Level of any policy that sets none (every policy here sets its own). */
export const PACK_ENFORCEMENT_LEVEL: EnforcementLevel = "advisory";

export const packMetadata = {
    name: PACK_NAME,
    displayName: "seed-web design review",
    description:
        "Checks the documented issues of the one-server LEMP design (www.foobar.com) against what the stack deploys: " +
        "firewall, exposed database, HTTPS, certificates, redundancy, maintenance downtime, scaling, app/db " +
        "separation, monitoring, backups, and PHP-FPM pools that fit the memory.",
    tags: ["seed-web", "lemp", "nginx", "mysql"],
};

/** Each policy with its metadata, in report order. */
export const catalog: ReadonlyArray<{ policy: SeedPolicy; metadata: PolicyMetadata }> = [
    { policy: firewallRequired, metadata: firewallRequiredMetadata },
    { policy: databaseNotExposed, metadata: databaseNotExposedMetadata },
    { policy: httpsRequired, metadata: httpsRequiredMetadata },
    { policy: trustedCertificate, metadata: trustedCertificateMetadata },
    { policy: noSinglePointOfFailure, metadata: noSinglePointOfFailureMetadata },
    { policy: zeroDowntimeMaintenance, metadata: zeroDowntimeMaintenanceMetadata },
    { policy: horizontalScaling, metadata: horizontalScalingMetadata },
    { policy: appDbSeparation, metadata: appDbSeparationMetadata },
    { policy: monitoringEnabled, metadata: monitoringEnabledMetadata },
    { policy: backupsEnabled, metadata: backupsEnabledMetadata },
    { policy: poolsFitMemory, metadata: poolsFitMemoryMetadata },
];

export const policies: SeedPolicy[] = catalog.map((c) => c.policy);

export const metadataByName: ReadonlyMap<string, PolicyMetadata> = new Map(catalog.map((c) => [c.metadata.name, c.metadata]));

export function isStackPolicy(p: SeedPolicy): p is StackValidationPolicy {
    return typeof (p as StackValidationPolicy).validateStack === "function";
}

export function isResourcePolicy(p: SeedPolicy): p is ResourceValidationPolicy {
    return typeof (p as ResourceValidationPolicy).validateResource === "function";
}

export {
    appDbSeparation,
    backupsEnabled,
    databaseNotExposed,
    firewallRequired,
    horizontalScaling,
    httpsRequired,
    monitoringEnabled,
    noSinglePointOfFailure,
    poolsFitMemory,
    trustedCertificate,
    zeroDowntimeMaintenance,
};
export { CannotDecideYet, isUnknownValueError } from "../lib/unknown";
export { StackModel } from "../lib/model";

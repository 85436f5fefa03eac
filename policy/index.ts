// Entry point the Pulumi CLI runs (`pulumi preview --policy-pack policy`): constructing the PolicyPack starts the
// analyzer gRPC server. Import the policies from ./policies instead of this file.

import { PolicyPack } from "@pulumi/policy";
import { PACK_ENFORCEMENT_LEVEL, PACK_NAME, packMetadata, policies } from "./policies";

new PolicyPack(PACK_NAME, {
    policies,
    enforcementLevel: PACK_ENFORCEMENT_LEVEL,
    description: packMetadata.description,
    displayName: packMetadata.displayName,
    tags: packMetadata.tags,
});

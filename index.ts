// Entry point of the Pulumi program: the stack's config in, the stack's outputs out. Everything else lives in
// lib/ (config, topology) and components/.
import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "./lib/config";
import { deployStack } from "./program";

const prefix = `${PROJECT}:`;
const raw = Object.fromEntries(
    Object.entries(pulumi.runtime.allConfig())
        .filter(([key]) => key.startsWith(prefix))
        .map(([key, value]) => [key.slice(prefix.length), value]),
);
const config = new pulumi.Config(PROJECT);
// Which keys the engine holds as secrets (`pulumi config set --secret`): the SDK's runtime has the check, untyped.
const isConfigSecret = (pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean }).isConfigSecret;
const secretKeys = isConfigSecret ? Object.keys(raw).filter((key) => isConfigSecret(`${prefix}${key}`)) : undefined;

const out = deployStack({
    raw,
    secret: (key) => config.requireSecret(key),
    sshAgentSocket: process.env.SSH_AUTH_SOCK || undefined,
    secretKeys,
});

export const siteUrl = out.siteUrl;
export const domain = out.domain;
export const publicIp = out.publicIp;
export const dnsRecords = out.dnsRecords;
export const zoneFile = out.zoneFile;
export const entryPoints = out.entryPoints;
export const hosts = out.hosts;
export const smoke = out.smoke;
export const sshPrivateKey = out.sshPrivateKey;

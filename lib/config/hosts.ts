// The hosts list (`hosts`): each host's name, roles and connection (SSH or Docker), and the checks across hosts.

import * as net from "net";
import { ConfigError } from "./errors";
import { MAX_HOSTS } from "./limits";
import { object, portValue, unknownKeys } from "./read";
import { ipFamily, isAddress } from "./validate";
import { Role, ROLES } from "./vocabulary";

/** How the program reaches a host: an existing server over SSH, or a local container it creates. */
export type HostConnectionSpec = SshHostSpec | DockerHostSpec;

export interface SshHostSpec {
    type: "ssh";
    /** Address (IPv4, IPv6 or DNS name) the program connects to. */
    address: string;
    port: number;
    user: string;
    /** Name of the secret config key that holds the private key; undefined = use the SSH agent. */
    privateKeyConfig?: string;
    /** Address other hosts use to reach this one (database clients, load balancer backends). */
    privateAddress: string;
    /** The server's SSH host key ("ssh-ed25519 AAAA…"); undefined = trust on first use (recorded in the state). */
    hostKey?: string;
}

export interface DockerHostSpec {
    type: "docker";
    /** Address on the Docker machine the published ports bind to. */
    bindAddress: string;
    sshPort: number;
    /** Published HTTP/HTTPS ports; the entry point gets 8080/8443 by default, other hosts publish none. */
    httpPort?: number;
    httpsPort?: number;
    /** Publish the database port too (the seed design exposes it); undefined = not published. */
    dbPort?: number;
}

export interface HostSpec {
    name: string;
    roles: Role[];
    connection: HostConnectionSpec;
}

/** The seed design's one host: a local Docker container holding every role but the load balancer. */
export const DEFAULT_HOSTS: unknown = [
    {
        name: "web-01",
        roles: ["web", "app", "db"],
        connection: { type: "docker", sshPort: 2222, httpPort: 8080, httpsPort: 8443, dbPort: 3306 },
    },
];

const HOST_KEYS = new Set(["name", "roles", "connection"]);
const SSH_KEYS = new Set(["type", "address", "port", "user", "privateKeyConfig", "privateAddress", "hostKey"]);
/** An OpenSSH public key line: type, base64 blob (whose first field repeats the type), optional comment. */
const HOST_KEY_TYPES = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"];
/**
 * An RSA host key cannot be pinned: pinning makes the SSH client of @pulumi/command offer only the key's own algorithm
 * name, "ssh-rsa", i.e. SHA-1 signatures, which OpenSSH 8.8 and later refuse by default (Ubuntu 22.04 and later,
 * Debian 12 and later), so every command would fail to connect. Every OpenSSH server has an Ed25519 key too.
 */
const RSA_HOST_KEY = "a pinned ssh-rsa host key cannot work: the deployment's SSH client would then offer only SHA-1 " +
    "\"ssh-rsa\" signatures, which OpenSSH 8.8 and later refuse. Pin the server's Ed25519 or ECDSA key instead " +
    "(ssh-keyscan -t ed25519,ecdsa HOST), or leave hostKey out to record the key at the first deployment";

/** The host key line, normalised to "TYPE BASE64", or an explanation of what is wrong with it. */
export function parseHostKey(value: unknown): { key: string } | { error: string } {
    const expected = `expected an OpenSSH public key line such as "ssh-ed25519 AAAA…" (${HOST_KEY_TYPES.join(", ")}), e.g. from ssh-keyscan`;
    if (typeof value !== "string" || value.length > 16384) return { error: expected };
    const m = /^(\S+) ([A-Za-z0-9+/]+={0,2})(?: [^\r\n]*)?$/.exec(value.trim());
    if (m?.[1] === "ssh-rsa") return { error: RSA_HOST_KEY };
    if (!m || !HOST_KEY_TYPES.includes(m[1])) return { error: expected };
    const blob = Buffer.from(m[2], "base64");
    const len = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
    if (len <= 0 || 4 + len > blob.length || blob.subarray(4, 4 + len).toString("latin1") !== m[1] || blob.length < 4 + len + 32) {
        return { error: `${expected}; the key data does not encode a ${m[1]} key` };
    }
    return { key: `${m[1]} ${m[2]}` };
}
const DOCKER_KEYS = new Set(["type", "bindAddress", "sshPort", "httpPort", "httpsPort", "dbPort"]);

type HostEnv = { hasSshAgent: boolean; secretKeys?: Set<string> };

export function parseHosts(value: unknown, configKeys: Set<string>, env: HostEnv): HostSpec[] {
    if (!Array.isArray(value) || value.length === 0) {
        throw new ConfigError("hosts", value, "expected a non-empty list of hosts");
    }
    if (value.length > MAX_HOSTS) throw new ConfigError("hosts", undefined, `${value.length} hosts: at most ${MAX_HOSTS}`, true);
    const hosts = value.map((h, i) => parseHost(h, `hosts[${i}]`, configKeys, env));
    // Other hosts reach each host at its private address: MySQL accounts and binds, ufw rules, HAProxy backends and
    // Nginx's trusted proxies, which the scripts take as IPv4 only.
    if (hosts.length > 1) {
        hosts.forEach((h, i) => {
            if (h.connection.type === "ssh" && net.isIP(h.connection.privateAddress) !== 4) {
                throw new ConfigError(
                    `hosts[${i}].connection.privateAddress`,
                    h.connection.privateAddress,
                    "the other hosts reach this host at its private address (MySQL, firewall rules, load balancer): " +
                        "it must be an IPv4 address; set privateAddress when address is a DNS name or IPv6",
                );
            }
        });
    }

    const seen = new Set<string>();
    hosts.forEach((h, i) => {
        if (seen.has(h.name)) throw new ConfigError(`hosts[${i}].name`, h.name, "duplicate host name");
        seen.add(h.name);
    });
    const holders = (role: Role) => hosts.filter((h) => h.roles.includes(role));
    if (holders("web").length === 0) {
        throw new ConfigError("hosts", hosts.map((h) => h.name), "no host has the web role");
    }
    if (holders("db").length === 0) {
        throw new ConfigError("hosts", hosts.map((h) => h.name), "no host has the db role");
    }
    if (holders("lb").length > 1) {
        throw new ConfigError("hosts", holders("lb").map((h) => h.name), "only one host may have the lb role");
    }
    if (holders("web").length > 1 && holders("lb").length === 0) {
        throw new ConfigError(
            "hosts",
            holders("web").map((h) => h.name),
            "more than one web host needs a host with the lb role in front of them",
        );
    }
    hosts.forEach((h, i) => {
        if (h.roles.includes("app") !== h.roles.includes("web")) {
            throw new ConfigError(
                `hosts[${i}].roles`,
                h.roles,
                "web and app go together: Nginx hands PHP to the PHP-FPM socket on the same host",
            );
        }
        if (h.roles.includes("lb") && h.roles.includes("web")) {
            throw new ConfigError(`hosts[${i}].roles`, h.roles, "the lb role needs a host of its own (both use ports 80 and 443)");
        }
    });
    // The entry point (the load balancer, else the web hosts) publishes HTTP and HTTPS by default; others publish none.
    const entry = holders("lb").length > 0 ? holders("lb") : holders("web");
    for (const h of entry) {
        if (h.connection.type === "docker") {
            h.connection.httpPort ??= 8080;
            h.connection.httpsPort ??= 8443;
        }
    }
    const docker = hosts.filter((h) => h.connection.type === "docker");
    const published = new Map<string, string>();
    for (const h of docker) {
        const c = h.connection as DockerHostSpec;
        for (const [what, p] of [["sshPort", c.sshPort], ["httpPort", c.httpPort], ["httpsPort", c.httpsPort], ["dbPort", c.dbPort]] as const) {
            if (p === undefined) continue;
            const at = `${c.bindAddress}:${p}`;
            const i = hosts.indexOf(h);
            if (published.has(at)) {
                throw new ConfigError(`hosts[${i}].connection.${what}`, p, `port already published by ${published.get(at)}`);
            }
            published.set(at, `${h.name}.${what}`);
        }
    }
    return hosts;
}

function parseHost(value: unknown, at: string, configKeys: Set<string>, env: HostEnv): HostSpec {
    const o = object(value, at);
    unknownKeys(o, at, HOST_KEYS);
    const name = o.name;
    if (typeof name !== "string" || !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(name)) {
        throw new ConfigError(`${at}.name`, name, "expected a host name: lower-case letters, digits and hyphens (a DNS label)");
    }
    if (!Array.isArray(o.roles) || o.roles.length === 0 || o.roles.length > ROLES.length) {
        throw new ConfigError(`${at}.roles`, o.roles, `expected a non-empty list of roles from ${ROLES.join(", ")}`);
    }
    const roles: Role[] = [];
    o.roles.forEach((r, j) => {
        if (!(ROLES as readonly unknown[]).includes(r)) {
            throw new ConfigError(`${at}.roles[${j}]`, r, `unknown role; expected one of ${ROLES.join(", ")}`);
        }
        if (roles.includes(r as Role)) throw new ConfigError(`${at}.roles[${j}]`, r, "role listed twice");
        roles.push(r as Role);
    });
    const c = object(o.connection, `${at}.connection`);
    const cat = `${at}.connection`;
    let connection: HostConnectionSpec;
    if (c.type === "ssh") {
        unknownKeys(c, cat, SSH_KEYS);
        const address = c.address;
        if (typeof address !== "string" || address === "") {
            throw new ConfigError(`${cat}.address`, address, "an ssh host needs the address to connect to");
        }
        if (!isAddress(address)) {
            throw new ConfigError(`${cat}.address`, address, "expected an IP address or a DNS name");
        }
        const privateAddress = c.privateAddress === undefined ? address : c.privateAddress;
        if (typeof privateAddress !== "string" || (c.privateAddress !== undefined && net.isIP(privateAddress) !== 4)) {
            throw new ConfigError(`${cat}.privateAddress`, privateAddress, "expected an IPv4 address (what the other hosts use to reach this one)");
        }
        const user = c.user === undefined ? "root" : c.user;
        if (typeof user !== "string" || !/^[a-z_][a-z0-9_-]{0,31}$/.test(user)) {
            throw new ConfigError(`${cat}.user`, user, "expected a Unix user name");
        }
        const keyName = c.privateKeyConfig;
        if (keyName !== undefined) {
            if (typeof keyName !== "string" || !configKeys.has(keyName)) {
                throw new ConfigError(
                    `${cat}.privateKeyConfig`,
                    keyName,
                    "names no config key; set it with `pulumi config set --secret <key> \"$(cat key)\"`",
                );
            }
            if (env.secretKeys && !env.secretKeys.has(keyName)) {
                throw new ConfigError(`${cat}.privateKeyConfig`, keyName, "names a config key that is not a secret; set it with `pulumi config set --secret`");
            }
        } else if (!configKeys.has("sshPrivateKey") && !env.hasSshAgent) {
            throw new ConfigError(
                `${cat}`,
                `${name}@${address}`,
                "an ssh host needs a key: set the secret sshPrivateKey, name one in privateKeyConfig, or run an SSH agent (SSH_AUTH_SOCK)",
            );
        }
        const sshConnection: SshHostSpec = {
            type: "ssh",
            address,
            port: portValue(c.port === undefined ? 22 : c.port, `${cat}.port`),
            user,
            privateKeyConfig: keyName ?? (configKeys.has("sshPrivateKey") ? "sshPrivateKey" : undefined),
            privateAddress,
        };
        if (c.hostKey !== undefined) {
            const hk = parseHostKey(c.hostKey);
            if ("error" in hk) throw new ConfigError(`${cat}.hostKey`, c.hostKey, hk.error);
            sshConnection.hostKey = hk.key;
        }
        connection = sshConnection;
    } else if (c.type === "docker") {
        unknownKeys(c, cat, DOCKER_KEYS);
        const bindAddress = c.bindAddress === undefined ? "127.0.0.1" : c.bindAddress;
        if (typeof bindAddress !== "string" || ipFamily(bindAddress) === 0) {
            throw new ConfigError(`${cat}.bindAddress`, bindAddress, "expected an IP address such as 127.0.0.1");
        }
        connection = {
            type: "docker",
            bindAddress,
            sshPort: portValue(c.sshPort === undefined ? 2222 : c.sshPort, `${cat}.sshPort`),
            httpPort: c.httpPort === undefined ? undefined : portValue(c.httpPort, `${cat}.httpPort`),
            httpsPort: c.httpsPort === undefined ? undefined : portValue(c.httpsPort, `${cat}.httpsPort`),
            dbPort: c.dbPort === undefined ? undefined : portValue(c.dbPort, `${cat}.dbPort`),
        };
    } else {
        throw new ConfigError(`${cat}.type`, c.type, "expected ssh (an existing server) or docker (a local container)");
    }
    return { name, roles, connection };
}

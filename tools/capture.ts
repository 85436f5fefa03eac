// Run the real program under Pulumi mocks and capture every resource it registers: type, name, URN, inputs (secrets
// still wrapped as the engine would see them), parent and explicit dependencies, plus the stack outputs.
// Used by the unit tests, the offline policy audit and the end-to-end suite (which runs the captured commands).

import * as pulumi from "@pulumi/pulumi";
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { RawConfig } from "../lib/config";
import { deployStack } from "../program";
import { REMOTE_COMMAND_TYPE, factsOf, StepFacts } from "@seed-web/facts";

/** The engine's marker for a secret value: { [SIG_KEY]: SECRET_SIG, value }. */
export const SIG_KEY = pulumi.runtime.specialSigKey;
export const SECRET_SIG = pulumi.runtime.specialSecretSig;

/** A resource as the program registers it with the engine: what the capture and the analyzer's view of it share. */
export interface RegisteredResource {
    type: string;
    name: string;
    urn: string;
    custom: boolean;
    parent?: string;
    /** Outputs the program asks the engine to keep secret. */
    additionalSecretOutputs: string[];
}

export interface CapturedResource extends RegisteredResource {
    /** Inputs as registered; secret values stay wrapped (see isSecretValue / reveal). */
    inputs: Record<string, unknown>;
    /** Outputs the (mock) provider returned. */
    state: Record<string, unknown>;
    /** URNs of the explicit dependencies (dependsOn). */
    dependsOn: string[];
    /** The options that decide a replacement's order: delete the old one first (else create the new one first). */
    deleteBeforeReplace: boolean;
    /** Inputs whose change replaces the resource (besides what the provider itself replaces on, e.g. triggers). */
    replaceOnChanges: string[];
    /** The engine drops the resource from the state without running its delete (seed-web:forget). */
    retainOnDelete: boolean;
}

export interface Capture {
    resources: CapturedResource[];
    /** Stack outputs, resolved; `secretOutputs` names the ones that are secret. */
    outputs: Record<string, unknown>;
    secretOutputs: string[];
    /** The values the mocks generated as secrets (passwords, keys): none may appear outside a secret. */
    generatedSecrets: string[];
}

export interface CaptureOptions {
    raw: RawConfig;
    /** Secret config values by key (e.g. sshPrivateKey). */
    secrets?: Record<string, string>;
    stack?: string;
    sshAgentSocket?: string;
    preview?: boolean;
    /**
     * What a local command (the trust-on-first-use host key scan of an ssh host) prints; by default a made-up
     * ECDSA key. The end-to-end suite runs the program's own command here, against the test hosts.
     */
    localCommand?: (create: string) => string;
    /**
     * The generated passwords by resource name (and the TLS keys and certificates, by type and name), kept from one
     * capture to the next like the engine's state keeps them (the end-to-end suite's successive `up`s); filled with
     * the new ones. Without it, new ones every time.
     */
    passwords?: Map<string, string>;
}

export function isSecretValue(v: unknown): v is { value: unknown } {
    return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** The value with every secret wrapper removed. */
export function reveal(v: unknown): unknown {
    if (isSecretValue(v)) return reveal(v.value);
    if (Array.isArray(v)) return v.map(reveal);
    if (typeof v === "object" && v !== null) {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)]));
    }
    return v;
}

const OPENSSH_KEY_HEADER = "-----BEGIN OPENSSH PRIVATE KEY-----";

/** The @pulumi/tls resources, mocked with real PEMs made by the openssl CLI (the end-to-end suite runs the captured
 * commands on real hosts, whose servers load them). openssl runs only when the program registers such resources. */
const TLS_TYPES = new Set([
    "tls:index/privateKey:PrivateKey",
    "tls:index/selfSignedCert:SelfSignedCert",
    "tls:index/certRequest:CertRequest",
    "tls:index/locallySignedCert:LocallySignedCert",
]);

/** The provider's ecdsaCurve names (its default is P224) as OpenSSL names them. */
const EC_CURVES: Record<string, string> = { P224: "secp224r1", P256: "prime256v1", P384: "secp384r1", P521: "secp521r1" };

function mockTls(type: string, inputs: Record<string, unknown>, secrets: string[]): Record<string, unknown> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-tls-mock-"));
    const file = (name: string, text: unknown) => {
        const f = path.join(dir, name);
        fs.writeFileSync(f, String(text), { mode: 0o600 });
        return f;
    };
    const openssl = (args: string[]) => execFileSync("openssl", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const subject = (s: unknown) => {
        const v = (s ?? {}) as { commonName?: string; organization?: string };
        return `/CN=${v.commonName ?? "seed-web"}${v.organization ? `/O=${v.organization}` : ""}`;
    };
    const days = (hours: unknown) => String(Math.max(1, Math.floor(Number(hours ?? 24) / 24)));
    try {
        switch (type) {
            case "tls:index/privateKey:PrivateKey": {
                // node's crypto makes the key (no process), in the provider's PEM forms: SEC1 for ECDSA, PKCS#1 for RSA
                const key =
                    inputs.algorithm === "ECDSA"
                        ? crypto.generateKeyPairSync("ec", { namedCurve: EC_CURVES[String(inputs.ecdsaCurve ?? "P224")] })
                        : crypto.generateKeyPairSync("rsa", { modulusLength: Number(inputs.rsaBits ?? 2048) });
                const pem = String(key.privateKey.export({ format: "pem", type: inputs.algorithm === "ECDSA" ? "sec1" : "pkcs1" }));
                // the whole PEM, its first line of key material, and the one-line base64 form the scripts receive
                secrets.push(pem, pem.split("\n")[1], Buffer.from(pem, "utf8").toString("base64"));
                return { privateKeyPem: pem, publicKeyPem: String(key.publicKey.export({ format: "pem", type: "spki" })) };
            }
            case "tls:index/selfSignedCert:SelfSignedCert": {
                const ext = inputs.isCaCertificate ? ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"] : [];
                const certPem = openssl(["req", "-x509", "-new", "-key", file("key.pem", inputs.privateKeyPem), "-subj", subject(inputs.subject), "-days", days(inputs.validityPeriodHours), ...ext]);
                return { certPem };
            }
            case "tls:index/certRequest:CertRequest": {
                const sans = [...((inputs.ipAddresses as string[]) ?? []).map((a) => `IP:${a}`), ...((inputs.dnsNames as string[]) ?? []).map((d) => `DNS:${d}`)];
                const san = sans.length > 0 ? ["-addext", `subjectAltName=${sans.join(",")}`] : [];
                return { certRequestPem: openssl(["req", "-new", "-key", file("key.pem", inputs.privateKeyPem), "-subj", subject(inputs.subject), ...san]) };
            }
            default: {
                // LocallySignedCert: the request's names, signed by the CA, for a server
                const ext = file("ext.cnf", "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n");
                const certPem = openssl([
                    "x509", "-req", "-in", file("csr.pem", inputs.certRequestPem), "-CA", file("ca.pem", inputs.caCertPem),
                    "-CAkey", file("ca-key.pem", inputs.caPrivateKeyPem), "-set_serial", `0x${crypto.randomBytes(12).toString("hex")}`,
                    "-days", days(inputs.validityPeriodHours), "-copy_extensions", "copy", "-extfile", ext,
                ]);
                return { certPem };
            }
        }
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** A well-formed OpenSSH public key line of that type with random key material. */
export function mockPublicKey(type: string, bytes = 32): string {
    const field = (b: Buffer) => {
        const length = Buffer.alloc(4);
        length.writeUInt32BE(b.length);
        return Buffer.concat([length, b]);
    };
    return `${type} ${Buffer.concat([field(Buffer.from(type)), field(crypto.randomBytes(bytes))]).toString("base64")}`;
}

/** A real Ed25519 key pair: the private key in OpenSSH's own format (unencrypted) and PKCS#8, the public key line. */
export function mockEd25519(): { privateKeyOpenssh: string; privateKeyPem: string; publicKeyOpenssh: string; body: string } {
    const { privateKey } = crypto.generateKeyPairSync("ed25519");
    const jwk = privateKey.export({ format: "jwk" });
    const seed = Buffer.from(String(jwk.d), "base64url");
    const pub = Buffer.from(String(jwk.x), "base64url");
    const u32 = (n: number) => {
        const b = Buffer.alloc(4);
        b.writeUInt32BE(n);
        return b;
    };
    const str = (b: Buffer | string) => {
        const v = Buffer.isBuffer(b) ? b : Buffer.from(b);
        return Buffer.concat([u32(v.length), v]);
    };
    const pubBlob = Buffer.concat([str("ssh-ed25519"), str(pub)]);
    const check = crypto.randomBytes(4);
    let priv = Buffer.concat([check, check, str("ssh-ed25519"), str(pub), str(Buffer.concat([seed, pub])), str("")]);
    for (let i = 1; priv.length % 8 !== 0; i++) priv = Buffer.concat([priv, Buffer.from([i])]);
    const blob = Buffer.concat([Buffer.from("openssh-key-v1\0"), str("none"), str("none"), str(""), u32(1), str(pubBlob), str(priv)]);
    const body = blob.toString("base64");
    const lines = body.match(/.{1,70}/g) ?? [];
    return {
        privateKeyOpenssh: `${OPENSSH_KEY_HEADER}\n${lines.join("\n")}\n-----END OPENSSH PRIVATE KEY-----\n`,
        privateKeyPem: String(privateKey.export({ format: "pem", type: "pkcs8" })),
        publicKeyOpenssh: `ssh-ed25519 ${pubBlob.toString("base64")}`,
        body,
    };
}

export async function captureProgram(options: CaptureOptions): Promise<Capture> {
    const stack = options.stack ?? "test";
    const generatedSecrets: string[] = [];
    const tlsSecrets: string[] = [];   // listed after the passwords, whatever order the mocks ran in
    const registered = new Map<string, { type: string; name: string; custom: boolean; inputs: Record<string, unknown>; state: Record<string, unknown> }>();

    pulumi.runtime.setMocks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs) {
                // What the provider computes; the engine's outputs are the inputs plus these.
                const computed: Record<string, unknown> = {};
                if (args.type === "random:index/randomPassword:RandomPassword") {
                    const length = Number(args.inputs.length ?? 32);
                    const value =
                        options.passwords?.get(args.name) ?? crypto.randomBytes(length).toString("base64").replace(/[^A-Za-z0-9]/g, "x").slice(0, length);
                    options.passwords?.set(args.name, value);
                    generatedSecrets.push(value);
                    computed.result = value;
                } else if (args.type === "command:local:Command") {
                    const create = String(args.inputs.create);
                    computed.stdout = options.localCommand ? options.localCommand(create) : `${mockPublicKey("ecdsa-sha2-nistp256", 104)}\n`;
                    computed.stderr = "";
                } else if (args.type === "tls:index/privateKey:PrivateKey" && args.inputs.algorithm === "ED25519") {
                    // SSH keys (the Docker host's client and host keys): a real key pair in OpenSSH form, as the tls
                    // provider makes it; the end-to-end suite's Docker host (test/e2e/docker.ts) logs in with them.
                    const key = mockEd25519();
                    generatedSecrets.push(key.privateKeyOpenssh, key.body, key.privateKeyPem);
                    computed.privateKeyOpenssh = key.privateKeyOpenssh;
                    computed.privateKeyPem = key.privateKeyPem;
                    computed.publicKeyOpenssh = `${key.publicKeyOpenssh}\n`;
                } else if (TLS_TYPES.has(args.type)) {
                    // kept from one capture to the next like the passwords (the engine's state keeps the keys and
                    // certificates: a new capture must not rotate them)
                    const kept = options.passwords?.get(`${args.type}::${args.name}`);
                    const made = kept !== undefined ? (JSON.parse(kept) as Record<string, unknown>) : mockTls(args.type, reveal(args.inputs) as Record<string, unknown>, tlsSecrets);
                    if (kept !== undefined && typeof made.privateKeyPem === "string") {
                        const pem = made.privateKeyPem;
                        tlsSecrets.push(pem, pem.split("\n")[1], Buffer.from(pem, "utf8").toString("base64"));
                    }
                    options.passwords?.set(`${args.type}::${args.name}`, JSON.stringify(made));
                    Object.assign(computed, made);
                } else if (args.type === REMOTE_COMMAND_TYPE) {
                    computed.stdout = "changed=0";
                    computed.stderr = "";
                } else if (args.type === "docker:index/image:Image") {
                    computed.repoDigest = "";
                    computed.imageName = args.inputs.imageName;
                } else if (args.type === "docker:index/network:Network") {
                    computed.name = args.inputs.name;
                }
                const state = { ...args.inputs, ...computed };
                registered.set(`${args.type}::${args.name}`, {
                    type: args.type,
                    name: args.name,
                    custom: args.custom ?? true,
                    inputs: args.inputs,
                    state,
                });
                // The program reads only computed outputs; handing the inputs back too would make the mock monitor
                // keep a second copy of every input (most of the audit's memory on large topologies).
                return { id: args.custom === false ? undefined : `${args.name}-id`, state: computed };
            },
            call(args: pulumi.runtime.MockCallArgs) {
                return args.inputs;
            },
        },
        "seed-web",
        stack,
        options.preview ?? false,
    );

    const created: {
        resource: pulumi.Resource;
        type: string;
        name: string;
        parent?: pulumi.Resource;
        dependsOn: pulumi.Resource[];
        additionalSecretOutputs: string[];
        deleteBeforeReplace: boolean;
        replaceOnChanges: string[];
        retainOnDelete: boolean;
    }[] = [];
    const record: pulumi.ResourceTransformation = (args) => {
        const deps = args.opts.dependsOn;
        const list = deps === undefined ? [] : Array.isArray(deps) ? deps : [deps];
        created.push({
            resource: args.resource,
            type: args.type,
            name: args.name,
            parent: args.opts.parent,
            // dependsOn here is always a list of resources (never an Output) in this program.
            dependsOn: list as pulumi.Resource[],
            additionalSecretOutputs: (args.opts as pulumi.CustomResourceOptions).additionalSecretOutputs ?? [],
            deleteBeforeReplace: (args.opts as pulumi.CustomResourceOptions).deleteBeforeReplace ?? false,
            replaceOnChanges: args.opts.replaceOnChanges ?? [],
            retainOnDelete: args.opts.retainOnDelete ?? false,
        });
        return undefined;
    };

    const secrets = options.secrets ?? {};
    const out = deployStack(
        {
            // Like the engine's config map, which holds the secret keys too (decrypted).
            raw: { ...options.raw, ...secrets },
            secret: (key) => {
                const v = secrets[key] ?? options.raw[key];
                if (v === undefined) throw new Error(`missing required secret configuration variable '${key}'`);
                return pulumi.secret(v);
            },
            sshAgentSocket: options.sshAgentSocket,
            // Like the engine, which knows the keys set with --secret.
            secretKeys: Object.keys(secrets),
        },
        { transformations: [record] },
    );
    // The root component is created with the transformation, not through it.
    created.unshift({
        resource: undefined as unknown as pulumi.Resource,
        type: "seed-web:index:WebStack",
        name: "seed-web",
        dependsOn: [],
        additionalSecretOutputs: [],
        deleteBeforeReplace: false,
        replaceOnChanges: [],
        retainOnDelete: false,
    });

    const urnOf = new Map<pulumi.Resource, string>();
    await Promise.all(
        created
            .filter((c) => c.resource)
            .map(async (c) => urnOf.set(c.resource, await promiseOf(c.resource.urn))),
    );
    const outputs: Record<string, unknown> = {};
    const secretOutputs: string[] = [];
    for (const [key, value] of Object.entries(out)) {
        const o = pulumi.output(value);
        outputs[key] = await promiseOf(o);
        if (await (o as unknown as { isSecret: Promise<boolean> }).isSecret) secretOutputs.push(key);
    }

    // The mocks name a resource after its parent's own type only (`Parent$Type`); the engine joins the types of the
    // whole parent chain (`Root$Parent$Type`), and that URN is what `pulumi up --target/--replace` matches.
    for (const c of created) if (c.parent && !urnOf.has(c.parent)) urnOf.set(c.parent, await promiseOf(c.parent.urn));
    const byResource = new Map(created.filter((c) => c.resource).map((c) => [c.resource, c]));
    const qualified = new Map<pulumi.Resource, string>();
    const qualifiedType = (r: pulumi.Resource): string => {
        let t = qualified.get(r);
        if (t === undefined) {
            const c = byResource.get(r);
            // a resource created outside the transformation (the root component): its own type, from its URN
            const own = c?.type ?? (urnOf.get(r) ?? "").split("::")[2]?.split("$").pop() ?? "";
            t = c?.parent ? `${qualifiedType(c.parent)}$${own}` : own;
            qualified.set(r, t);
        }
        return t;
    };
    const engineUrn = new Map<string, string>();
    for (const [r, mockUrn] of urnOf) engineUrn.set(mockUrn, engineUrnOf(stack, qualifiedType(r), mockUrn.split("::").pop()!));
    const urnFor = (r: pulumi.Resource | undefined) => (r ? engineUrn.get(urnOf.get(r) ?? "") : undefined);

    const resources: CapturedResource[] = [];
    for (const c of created) {
        const r = registered.get(`${c.type}::${c.name}`);
        if (!r) continue;
        // an asset's or archive's path is a promise in the SDK: resolved here, as the engine records it
        const source = r.inputs.source as { path?: unknown } | undefined;
        if (r.type === COPY_TO_REMOTE_TYPE && source && typeof (source.path as Promise<string>)?.then === "function") {
            r.inputs = { ...r.inputs, source: { ...source, path: await (source.path as Promise<string>) } };
        }
        resources.push({
            type: r.type,
            name: r.name,
            urn: c.resource ? urnFor(c.resource)! : engineUrnOf(stack, c.type, c.name),
            custom: r.custom,
            inputs: r.inputs,
            state: r.state,
            parent: c.parent ? urnFor(c.parent) : undefined,
            dependsOn: c.dependsOn.map((d) => urnFor(d)).filter((u): u is string => !!u),
            additionalSecretOutputs: c.additionalSecretOutputs,
            deleteBeforeReplace: c.deleteBeforeReplace,
            replaceOnChanges: c.replaceOnChanges,
            retainOnDelete: c.retainOnDelete,
        });
    }
    generatedSecrets.push(...tlsSecrets);
    for (const s of Object.values(secrets)) generatedSecrets.push(s);
    return { resources, outputs, secretOutputs, generatedSecrets };
}

/**
 * A resource's URN as the engine makes it: `urn:pulumi:<stack>::<project>::<qualified type>::<name>`, the qualified
 * type being the types of its parents below the stack, then its own, joined by `$`.
 */
export function engineUrnOf(stack: string, qualifiedType: string, name: string, project = "seed-web"): string {
    return `urn:pulumi:${stack}::${project}::${qualifiedType}::${name}`;
}

function promiseOf<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => o.apply((v) => resolve(v)));
}

export const COPY_TO_REMOTE_TYPE = "command:remote:CopyToRemote";

/** A remote command as the end-to-end suite runs it. */
export interface PlannedCommand {
    name: string;
    urn: string;
    facts: StepFacts;
    host: string;
    port: number;
    user: string;
    /** The host key the connection pins ("TYPE BASE64"), when it pins one. */
    hostKey?: string;
    /** The private key the connection logs in with, when it has one (else the SSH agent). */
    privateKey?: string;
    create: string;
    /** What the engine runs when the command is deleted (destroy, removed, replaced), with this command's state. */
    delete?: string;
    stdin?: string;
    /** Names of the remote commands that must run first (directly, or through a component they depend on). */
    after: string[];
    /** The triggers, as JSON: a change replaces the command (the provider replaces on `triggers`). */
    triggers: string;
    /** The other inputs as JSON (create, delete, stdin, connection): a change alone is an update (create again). */
    inputs: string;
    /** Replacement order: delete the old command first; else the new one's create runs first. */
    deleteBeforeReplace: boolean;
    replaceOnChanges: string[];
    /** Retained on delete (seed-web:forget): the engine forgets it without running its delete. */
    retainOnDelete: boolean;
    /** The copies (CopyToRemote) it depends on: a local directory copied to a remote path before it runs. */
    uploads?: { source: string; remotePath: string }[];
}

/** The remote commands of a capture, in an order that respects their dependencies. */
export function plannedCommands(capture: Capture): PlannedCommand[] {
    const byUrn = new Map(capture.resources.map((r) => [r.urn, r]));
    const commands = capture.resources.filter((r) => r.type === REMOTE_COMMAND_TYPE);
    const commandUrns = new Set(commands.map((c) => c.urn));
    // A dependency on a component means a dependency on every command below it.
    const below = (urn: string): string[] =>
        capture.resources.filter((r) => r.parent === urn).flatMap((r) => (commandUrns.has(r.urn) ? [r.urn] : below(r.urn)));
    const planned = commands.map((c): PlannedCommand => {
        const inputs = reveal(c.inputs) as Record<string, unknown>;
        const conn = inputs.connection as { host: string; port?: number; user?: string; hostKey?: string; privateKey?: string };
        const facts = factsOf(inputs);
        if (!facts) throw new Error(`remote command ${c.name} carries no facts`);
        const after = new Set<string>();
        for (const d of c.dependsOn) {
            for (const u of commandUrns.has(d) ? [d] : below(d)) after.add(byUrn.get(u)!.name);
        }
        const uploads = c.dependsOn
            .map((d) => byUrn.get(d))
            .filter((r) => r?.type === COPY_TO_REMOTE_TYPE)
            .map((r) => {
                const i = reveal(r!.inputs) as { source: { path: string }; remotePath: string };
                return { source: i.source.path, remotePath: i.remotePath };
            });
        return {
            name: c.name,
            urn: c.urn,
            facts,
            host: conn.host,
            port: conn.port ?? 22,
            user: conn.user ?? "root",
            hostKey: conn.hostKey,
            privateKey: conn.privateKey,
            create: String(inputs.create),
            delete: inputs.delete === undefined ? undefined : String(inputs.delete),
            stdin: inputs.stdin === undefined ? undefined : String(inputs.stdin),
            after: [...after],
            triggers: JSON.stringify(inputs.triggers),
            inputs: JSON.stringify({ create: inputs.create, delete: inputs.delete, stdin: inputs.stdin, connection: inputs.connection }),
            deleteBeforeReplace: c.deleteBeforeReplace,
            replaceOnChanges: c.replaceOnChanges,
            retainOnDelete: c.retainOnDelete,
            ...(uploads.length > 0 ? { uploads } : {}),
        };
    });
    // Topological order, stable in registration order.
    const done = new Set<string>();
    const ordered: PlannedCommand[] = [];
    while (ordered.length < planned.length) {
        const next = planned.find((p) => !done.has(p.name) && p.after.every((a) => done.has(a)));
        if (!next) throw new Error(`dependency cycle among ${planned.filter((p) => !done.has(p.name)).map((p) => p.name).join(", ")}`);
        done.add(next.name);
        ordered.push(next);
    }
    return ordered;
}

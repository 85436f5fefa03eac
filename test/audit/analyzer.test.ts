// The real analyzer protocol: the pack started the way the Pulumi CLI starts it (`run-policy-pack <engine> <dir>` in
// policy/, port on the first line of stdout), driven over gRPC like the engine drives it (GetAnalyzerInfo, Configure
// with the reconciled config, Analyze per resource with its inputs, AnalyzeStack with every resource's outputs;
// properties as google.protobuf.Struct, secrets in their wire form). Its verdicts must be the offline audit's.
// Twice: the pack in the tree (policy/), and the pack `npm pack` makes of it (what `pulumi policy publish` uploads),
// unpacked into an empty directory with only its public dependencies: it must load and answer on its own.

import * as assert from "assert";
import { ChildProcess, execFile, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { PROJECT } from "../../lib/config";
import { catalog, PACK_NAME, policies } from "../../policy/policies";
import { captureProgram } from "../../tools/capture";
import { readStackFile } from "../../tools/stack-config";
import { AnalyzedResource, analyzedResources, evaluate, Violation } from "../../tools/audit/evaluate";
import { readPolicyConfigFile, reconcilePolicyConfig, ReconciledConfig } from "../../tools/audit/policy-config";
import { describeResource, ROOT } from "./helpers";

/* eslint-disable @typescript-eslint/no-require-imports */
const PROTO = path.dirname(require.resolve("@pulumi/pulumi/proto/analyzer_pb"));
const pb = require(path.join(PROTO, "analyzer_pb"));
const rpc = require(path.join(PROTO, "analyzer_grpc_pb"));
// The very grpc-js and protobuf runtime the stubs were built against.
const grpc = require(require.resolve("@grpc/grpc-js", { paths: [PROTO] })) as typeof import("@grpc/grpc-js");
const { Struct } = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [PROTO] }));
const { Empty } = require(require.resolve("google-protobuf/google/protobuf/empty_pb", { paths: [PROTO] }));
/* eslint-enable @typescript-eslint/no-require-imports */

const LEVEL_ENUM: Record<string, number> = { advisory: 0, mandatory: 1, disabled: 2, remediate: 3 };
const LEVEL_NAME: Record<number, string> = { 0: "advisory", 1: "mandatory", 2: "disabled", 3: "remediate" };

interface Diagnostic {
    getPolicyname(): string;
    getPolicypackname(): string;
    getPolicypackversion(): string;
    getEnforcementlevel(): number;
    getUrn(): string;
    getMessage(): string;
}

function call<T>(client: Record<string, unknown>, method: string, req: unknown): Promise<T> {
    return new Promise((resolve, reject) =>
        (client[method] as (r: unknown, cb: (e: Error | null, v: T) => void) => void).call(client, req, (e, v) => (e ? reject(e) : resolve(v))),
    );
}

/** What the engine would send: JSON-shaped (Struct has no undefined), secrets as `{ <sig>: <secret sig>, value }`. */
function struct(v: Record<string, unknown>) {
    return Struct.fromJavaScript(JSON.parse(JSON.stringify(v)));
}

function options(r: AnalyzedResource) {
    const o = new pb.AnalyzerResourceOptions();
    o.setAdditionalsecretoutputsList(r.additionalSecretOutputs);
    if (r.parent) o.setParent(r.parent);
    return o;
}

function configureRequest(config: ReconciledConfig) {
    const req = new pb.ConfigureAnalyzerRequest();
    for (const [name, c] of Object.entries(config)) {
        const pc = new pb.PolicyConfig();
        pc.setEnforcementlevel(LEVEL_ENUM[c.enforcementLevel ?? "advisory"]);
        pc.setProperties(Struct.fromJavaScript(c.properties));
        req.getPolicyconfigMap().set(name, pc);
    }
    return req;
}

function key(policy: string, urn: string, level: string): string {
    return `${policy} ${level} ${urn}`;
}

const execFileAsync = promisify(execFile);

/** The names of the project's workspace packages (they are not on the registry: a pack cannot depend on them). */
function workspaceNames(): Set<string> {
    const root = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { workspaces?: string[] };
    return new Set((root.workspaces ?? []).map((w) => (JSON.parse(fs.readFileSync(path.join(ROOT, w, "package.json"), "utf8")) as { name: string }).name));
}

/**
 * `npm pack` of policy/ (its prepack script builds it, incrementally), unpacked into an empty temporary
 * directory whose node_modules links every package the project installed except its workspace packages: what the
 * CLI's install of a published pack gives it. Returns the pack's directory.
 */
async function packedPolicy(): Promise<string> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-pack-"));
    const { stdout } = await execFileAsync("npm", ["pack", "--json", "--pack-destination", dir], { cwd: path.join(ROOT, "policy"), encoding: "utf8" });
    const tarball = (JSON.parse(stdout) as { filename: string }[])[0].filename;
    await execFileAsync("tar", ["-xzf", path.join(dir, tarball), "-C", dir]);
    const skip = workspaceNames();
    const link = (from: string, to: string, prefix: string) => {
        fs.mkdirSync(to, { recursive: true });
        for (const e of fs.readdirSync(from)) {
            if (e.startsWith(".") || skip.has(prefix + e)) continue;
            if (e.startsWith("@") && !prefix) link(path.join(from, e), path.join(to, e), `${e}/`);
            else fs.symlinkSync(path.join(from, e), path.join(to, e));
        }
    };
    link(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "");
    return path.join(dir, "package");
}

interface Server {
    proc: ChildProcess;
    port: number;
    dir: string;
}

/** The pack in `dir` started the way the CLI starts it; resolves with the port it printed on its first line. */
function startServer(dir: string, procs: ChildProcess[]): Promise<Server> {
    // No engine: run-policy-pack drops the engine address, and the pack never calls back (no logging); a closed port
    // stands in for it. The runner is the pack's own @pulumi/pulumi, as the CLI runs it.
    const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [dir] });
    const proc = spawn(process.execPath, [runner, "127.0.0.1:1", "."], {
        cwd: dir,
        env: { ...process.env, NODE_OPTIONS: "" },
        stdio: ["ignore", "pipe", "pipe"],
    });
    procs.push(proc);
    let stderr = "";
    proc.stderr!.on("data", (d) => (stderr += d));
    return new Promise<Server>((resolve, reject) => {
        let out = "";
        proc.stdout!.on("data", (d) => {
            out += d;
            const m = /^(\d+)\n/.exec(out);
            if (m) resolve({ proc, port: Number(m[1]), dir });
        });
        proc.on("error", reject);
        proc.on("exit", (code) => reject(new Error(`run-policy-pack exited with ${code}: ${stderr}`)));
    });
}

const PACKS: { title: string; dir: () => Promise<string> }[] = [
    { title: "the pack in the tree (policy/)", dir: async () => path.join(ROOT, "policy") },
    { title: "the published pack (npm pack of policy/, unpacked alone)", dir: packedPolicy },
];

describe("the policy pack over the real analyzer protocol", function () {
    // Both packs are made and started at once (npm pack, its prepack build, tar, two servers): real processes whose
    // waits overlap instead of adding up. A failure is reported by the pack's own hook, which awaits it.
    const servers = new Map<string, Promise<Server>>();
    const procs: ChildProcess[] = [];
    const dirs: Promise<string>[] = [];
    before(() => {
        for (const pack of PACKS) {
            const dir = pack.dir();
            dirs.push(dir);
            const server = dir.then((d) => startServer(d, procs));
            server.catch(() => undefined);
            servers.set(pack.title, server);
        }
    });
    after(async () => {   // also when a pack's tests were not run (--grep)
        for (const proc of procs) if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
        for (const dir of await Promise.all(dirs.map((d) => d.catch(() => undefined)))) {
            if (dir && !dir.startsWith(ROOT)) fs.rmSync(path.dirname(dir), { recursive: true, force: true });
        }
    });

    for (const pack of PACKS) describe(`${pack.title} over the real analyzer protocol (run-policy-pack + gRPC)`, function () {
        let client: Record<string, unknown> & { close(): void };
        let resources: AnalyzedResource[];
        const stack = "dev";
        const root = `urn:pulumi:${stack}::${PROJECT}::pulumi:pulumi:Stack::${PROJECT}-${stack}`;

        before(async function () {
            this.timeout(60000);   // real processes (npm pack, tar, the pack's server) on a busy machine
            const capture = captureProgram({ raw: readStackFile(path.join(ROOT, "Pulumi.dev.yaml")).raw, stack });
            const { port } = await servers.get(pack.title)!;
            client = new rpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
            resources = analyzedResources(await capture, { stack, project: PROJECT });
        });

        after(() => client?.close());

    async function overGrpc(config: ReconciledConfig): Promise<string[]> {
            await call(client, "configure", configureRequest(config));
            const out: string[] = [];
            const collect = (ds: Diagnostic[]) => {
                for (const d of ds) {
                    assert.strictEqual(d.getPolicypackname(), PACK_NAME);
                    // The engine attaches a stack diagnostic without a URN to the root stack resource.
                    out.push(key(d.getPolicyname(), d.getUrn() || root, LEVEL_NAME[d.getEnforcementlevel()]));
                }
            };
            for (const r of resources) {
                const req = describeResource(new pb.AnalyzeRequest(), r, struct(r.inputs), options(r));
                collect((await call<{ getDiagnosticsList(): Diagnostic[] }>(client, "analyze", req)).getDiagnosticsList());
            }
            const sreq = new pb.AnalyzeStackRequest();
            sreq.setResourcesList(resources.map((r) => {
                const a = describeResource(new pb.AnalyzerResource(), r, struct(r.outputs), options(r));
                if (r.parent) a.setParent(r.parent);
                a.setDependenciesList(r.dependencies);
                return a;
            }));
            collect((await call<{ getDiagnosticsList(): Diagnostic[] }>(client, "analyzeStack", sreq)).getDiagnosticsList());
            return out.sort();
        }

        async function offline(config: ReconciledConfig): Promise<string[]> {
            const vs: Violation[] = await evaluate(resources, policies, config, { name: PACK_NAME, version: "0.1.0", enforcementLevel: "advisory" });
            return vs.map((v) => key(v.policy, v.urn, v.level)).sort();
        }

        it("GetAnalyzerInfo, then the same verdicts as the offline audit, with the default and the example config", async () => {
            const info = await call<{ getName(): string; getVersion(): string; getSupportsconfig(): boolean; getPoliciesList(): { getName(): string; getEnforcementlevel(): number }[] }>(
                client, "getAnalyzerInfo", new Empty());
            assert.strictEqual(info.getName(), PACK_NAME);
            assert.strictEqual(info.getVersion(), "0.1.0");
            assert.ok(info.getSupportsconfig());
            assert.deepStrictEqual(
                info.getPoliciesList().map((p) => `${p.getName()}:${LEVEL_NAME[p.getEnforcementlevel()]}`),
                catalog.map((c) => `${c.policy.name}:${c.policy.enforcementLevel}`),
            );

            const defaults = reconcilePolicyConfig(policies, {});
            const grpcDefault = await overGrpc(defaults);
            assert.deepStrictEqual(grpcDefault, await offline(defaults));
            assert.strictEqual(grpcDefault.filter((k) => k.includes(" mandatory ")).length, 3);
            assert.strictEqual(grpcDefault.length, 10);

            const example = reconcilePolicyConfig(policies, readPolicyConfigFile(path.join(ROOT, "policy", "policy-config.example.json")));
            const grpcExample = await overGrpc(example);
            assert.deepStrictEqual(grpcExample, await offline(example));
            assert.notDeepStrictEqual(grpcExample, grpcDefault);
        });

        it("a misspelt setting (minHostPerRole) is refused by the pack, naming the closest known one: the CLI passes it on unchecked", async () => {
            // What the CLI sends for `{ "no-single-point-of-failure": { "minHostPerRole": 1 } }`: the schema defaults
            // with the unknown key added (it validates only the declared settings: @pulumi/policy sends a policy's
            // `properties` and `required`, nothing like additionalProperties).
            const info = await call<{ getPoliciesList(): { getName(): string; getConfigschema(): { toObject(): Record<string, unknown> } | undefined }[] }>(client, "getAnalyzerInfo", new Empty());
            const nspof = info.getPoliciesList().find((p) => p.getName() === "no-single-point-of-failure")!;
            assert.deepStrictEqual(Object.keys(nspof.getConfigschema()!.toObject()).sort(), ["properties", "requiredList"]);
            const typo = reconcilePolicyConfig(policies, {});
            typo["no-single-point-of-failure"].properties.minHostPerRole = 1;
            await assert.rejects(overGrpc(typo), (e: Error) =>
                /invalid config for policy no-single-point-of-failure: unknown setting "minHostPerRole" \(did you mean "minHostsPerRole"\?\); its settings are roles, minHostsPerRole/.test(e.message));
            // a resource policy's typo: refused at the first resource it sees, before anything is created
            const typo2 = reconcilePolicyConfig(policies, {});
            typo2["trusted-certificate"].properties.allowSelfSigned = true;
            await assert.rejects(overGrpc(typo2), (e: Error) => /invalid config for policy trusted-certificate: unknown setting "allowSelfSigned"; it takes no settings/.test(e.message));
            // the right spelling runs
            const right = reconcilePolicyConfig(policies, { "no-single-point-of-failure": { properties: { minHostsPerRole: 1 } } });
            assert.ok(!(await overGrpc(right)).some((k) => k.startsWith("no-single-point-of-failure ")));
        });
    });
});

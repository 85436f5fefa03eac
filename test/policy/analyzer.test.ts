// The pack's real analyzer process (what `pulumi preview --policy-pack policy` starts: the compiled pack, whose
// PolicyPack serves gRPC on a port it prints), driven over gRPC the way the CLI drives it: GetAnalyzerInfo, Configure,
// AnalyzeStack. A misspelt policy setting must be refused there too, since the CLI itself does not refuse it: it
// validates settings against `{type: object, properties, required}` only (the schema as @pulumi/policy sends it).

import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import { rawResources, RawResource, seedDesign, urnOf } from "./fixtures";

/* eslint-disable @typescript-eslint/no-require-imports */
const grpc = require("@grpc/grpc-js");
const analyzerpb = require("@pulumi/pulumi/proto/analyzer_pb");
const analyzerGrpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
const { Empty } = require("google-protobuf/google/protobuf/empty_pb");
/* eslint-enable @typescript-eslint/no-require-imports */

const ROOT = path.resolve(__dirname, "..", "..", ...(path.basename(path.resolve(__dirname, "..", "..")) === "bin" ? [".."] : []));
const PACK_DIR = path.join(ROOT, "policy");

type Client = Record<string, (req: unknown, cb: (err: Error | null, resp: unknown) => void) => void>;

function call<T>(client: Client, method: string, req: unknown): Promise<T> {
    return new Promise((resolve, reject) => client[method](req, (err, resp) => (err ? reject(err) : resolve(resp as T))));
}

function stackRequest(rs: RawResource[]) {
    const req = new analyzerpb.AnalyzeStackRequest();
    req.setResourcesList(
        rs.map((r) => {
            const a = new analyzerpb.AnalyzerResource();
            a.setType(r.type);
            a.setName(r.name);
            a.setUrn(urnOf(r.type, r.name));
            a.setProperties(Struct.fromJavaScript(JSON.parse(JSON.stringify(r.props))));
            a.setOptions(new analyzerpb.AnalyzerResourceOptions());
            return a;
        }),
    );
    return req;
}

async function configure(client: Client, settings: Record<string, Record<string, unknown>>): Promise<void> {
    const req = new analyzerpb.ConfigureAnalyzerRequest();
    const map = req.getPolicyconfigMap();
    for (const [policy, props] of Object.entries(settings)) {
        const c = new analyzerpb.PolicyConfig();
        c.setEnforcementlevel(analyzerpb.EnforcementLevel.ADVISORY);
        c.setProperties(Struct.fromJavaScript(props));
        map.set(policy, c);
    }
    await call(client, "configure", req);
}

describe("the pack's analyzer process over gRPC (as the Pulumi CLI runs it)", function () {
    this.timeout(30000);
    let child: ChildProcess;
    let client: Client;

    before(async () => {
        child = spawn(process.execPath, ["bin/policy/index.js"], { cwd: PACK_DIR, stdio: ["ignore", "pipe", "pipe"] });
        let err = "";
        child.stderr!.on("data", (d) => (err += d));
        const port = await new Promise<string>((resolve, reject) => {
            let out = "";
            child.stdout!.on("data", (d) => {
                out += d;
                const m = /^(\d+)\n/.exec(out);
                if (m) resolve(m[1]);
            });
            child.on("exit", (code) => reject(new Error(`the pack exited (${code}) before serving: ${err}`)));
        });
        const Ctor = grpc.makeGenericClientConstructor(analyzerGrpc.AnalyzerService, "Analyzer");
        client = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as Client;
    });

    after(() => {
        (client as unknown as { close?: () => void })?.close?.();
        if (child && child.exitCode === null) child.kill();
    });

    it("sends each policy's settings schema (properties only: the CLI never sees an additionalProperties)", async () => {
        const info = await call<{ getSupportsconfig(): boolean; getPoliciesList(): { getName(): string; getConfigschema(): { getProperties(): { toJavaScript(): object } } | undefined }[] }>(
            client,
            "getAnalyzerInfo",
            new Empty(),
        );
        assert.strictEqual(info.getSupportsconfig(), true);
        const nspof = info.getPoliciesList().find((p) => p.getName() === "no-single-point-of-failure")!;
        assert.ok(Object.keys(nspof.getConfigschema()!.getProperties().toJavaScript()).includes("minHostsPerRole"));
    });

    it("a misspelt setting (minHostPerRole): the policy fails naming it and the closest known one, not a silent default", async () => {
        await configure(client, { "no-single-point-of-failure": { minHostPerRole: 1 } });
        await assert.rejects(
            call(client, "analyzeStack", stackRequest(rawResources(seedDesign()))),
            (e: Error) =>
                /invalid config for policy no-single-point-of-failure: unknown setting "minHostPerRole" \(did you mean "minHostsPerRole"\?\); its settings are roles, minHostsPerRole/.test(e.message),
        );
    });

    it("a typo in a resource policy's settings is refused at the first resource it sees (before anything is created)", async () => {
        await configure(client, { "trusted-certificate": { allowSelfsigned: true } });
        const rs = rawResources(seedDesign());
        const nginx = rs.find((r) => r.name === "web-01-nginx")!;
        const req = new analyzerpb.AnalyzeRequest();
        req.setType(nginx.type);
        req.setName(nginx.name);
        req.setUrn(urnOf(nginx.type, nginx.name));
        req.setProperties(Struct.fromJavaScript(JSON.parse(JSON.stringify(nginx.props))));
        req.setOptions(new analyzerpb.AnalyzerResourceOptions());
        await assert.rejects(call(client, "analyze", req), (e: Error) => /invalid config for policy trusted-certificate: unknown setting "allowSelfsigned"/.test(e.message));
    });

    it("the right spelling runs: minHostsPerRole 1 lifts the single-host advisories", async () => {
        await configure(client, { "no-single-point-of-failure": { minHostsPerRole: 1 } });
        const resp = await call<{ getDiagnosticsList(): { getPolicyname(): string }[] }>(client, "analyzeStack", stackRequest(rawResources(seedDesign())));
        const names = resp.getDiagnosticsList().map((d) => d.getPolicyname());
        assert.ok(names.includes("firewall-required"), names.join(","));
        assert.ok(!names.includes("no-single-point-of-failure"), names.join(","));
    });
});

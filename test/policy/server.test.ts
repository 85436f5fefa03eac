// Through @pulumi/policy's own analyzeStack/analyze handlers (what the gRPC server runs, without the socket): the
// levels the CLI shows, and "cannot decide yet" turned into an advisory "can't run policy ... during preview".

import * as assert from "assert";
import { catalog, PACK_NAME, policies } from "../../policy/policies";
import { rawFacts, rawResources, RawResource, seedDesign, urnOf, UNKNOWN } from "./fixtures";

/* eslint-disable @typescript-eslint/no-require-imports */
const server = require("@pulumi/policy/server") as {
    makeAnalyzeStackRpcFun(name: string, version: string, level: string, policies: unknown[]): (call: unknown, cb: (err: unknown, resp: Resp) => void) => Promise<void>;
    makeAnalyzeRpcFun(name: string, version: string, level: string, policies: unknown[]): (call: unknown, cb: (err: unknown, resp: Resp) => void) => Promise<void>;
};
const analyzerpb = require("@pulumi/pulumi/proto/analyzer_pb");
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
/* eslint-enable @typescript-eslint/no-require-imports */

interface Diagnostic {
    getPolicyname(): string;
    getMessage(): string;
    getEnforcementlevel(): number;
    getUrn(): string;
}
interface Resp {
    getDiagnosticsList(): Diagnostic[];
}

const LEVEL: Record<number, string> = { 0: "advisory", 1: "mandatory", 2: "disabled", 3: "remediate" };

function analyzerResource(r: RawResource) {
    const a = new analyzerpb.AnalyzerResource();
    a.setType(r.type);
    a.setName(r.name);
    a.setUrn(urnOf(r.type, r.name));
    a.setProperties(Struct.fromJavaScript(JSON.parse(JSON.stringify(r.props))));
    a.setOptions(new analyzerpb.AnalyzerResourceOptions());
    return a;
}

async function analyzeStack(rs: RawResource[]): Promise<{ policy: string; level: string; message: string }[]> {
    const req = new analyzerpb.AnalyzeStackRequest();
    req.setResourcesList(rs.map(analyzerResource));
    const fn = server.makeAnalyzeStackRpcFun(PACK_NAME, "0.1.0", "advisory", policies);
    const resp = await new Promise<Resp>((resolve, reject) => fn({ request: req }, (err, r) => (err ? reject(err) : resolve(r))));
    return resp.getDiagnosticsList().map((d) => ({ policy: d.getPolicyname(), level: LEVEL[d.getEnforcementlevel()], message: d.getMessage() }));
}

async function analyze(r: RawResource): Promise<{ policy: string; level: string; message: string }[]> {
    const req = new analyzerpb.AnalyzeRequest();
    req.setType(r.type);
    req.setName(r.name);
    req.setUrn(urnOf(r.type, r.name));
    req.setProperties(Struct.fromJavaScript(JSON.parse(JSON.stringify(r.props))));
    req.setOptions(new analyzerpb.AnalyzerResourceOptions());
    const fn = server.makeAnalyzeRpcFun(PACK_NAME, "0.1.0", "advisory", policies);
    const resp = await new Promise<Resp>((resolve, reject) => fn({ request: req }, (err, r2) => (err ? reject(err) : resolve(r2))));
    return resp.getDiagnosticsList().map((d) => ({ policy: d.getPolicyname(), level: LEVEL[d.getEnforcementlevel()], message: d.getMessage() }));
}

describe("policy pack through the @pulumi/policy server handlers", () => {
    it("the seed design: the documented violations at their default levels", async () => {
        const ds = await analyzeStack(rawResources(seedDesign()));
        const byPolicy = ds.map((d) => `${d.policy}:${d.level}`).sort();
        assert.deepStrictEqual(byPolicy, [
            "app-db-separation:advisory",
            "backups-enabled:advisory",
            "database-not-exposed:mandatory",
            "database-not-exposed:mandatory",
            "firewall-required:mandatory",
            "horizontal-scaling:advisory",
            "https-required:mandatory",
            "monitoring-enabled:advisory",
            "no-single-point-of-failure:advisory",
            "no-single-point-of-failure:advisory",
            "zero-downtime-maintenance:advisory",
        ]);
        const fw = ds.find((d) => d.policy === "firewall-required")!;
        const description = catalog.find((c) => c.policy.name === "firewall-required")!.policy.description;
        assert.strictEqual(fw.message, `${description}\nweb-01 has no firewall: every port it listens on is reachable from the network. Fix: \`pulumi config set seed-web:firewall true\`.`);
    });

    it("unknown values: definite violations stay mandatory, the undecided part becomes an advisory 'can't run ... during preview'", async () => {
        const rs = rawResources(seedDesign());
        rawFacts(rs, "web-01-database").bindAddress = UNKNOWN.string;
        const ds = (await analyzeStack(rs)).filter((d) => d.policy === "database-not-exposed");
        assert.strictEqual(ds.length, 2);
        assert.strictEqual(ds[0].level, "mandatory");
        assert.match(ds[0].message, /container web-01 publishes the database port 3306/);
        assert.strictEqual(ds[1].level, "advisory");
        assert.match(ds[1].message, /^can't run policy 'database-not-exposed' from policy pack 'seed-web@v0\.1\.0' during preview: cannot check database exposure of web-01 until the values are known/);
    });

    it("the resource policy through analyze: a self-signed certificate", async () => {
        const rs = rawResources(seedDesign().map((h) => ({ ...h, tls: "self-signed" as const })));
        const ds = await analyze(rs.find((r) => r.name === "web-01-nginx")!);
        assert.deepStrictEqual(ds.map((d) => `${d.policy}:${d.level}`), ["trusted-certificate:advisory"]);
        assert.deepStrictEqual(await analyze(rs.find((r) => r.name === "web-01-php")!), []);
    });
});

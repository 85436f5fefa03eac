// Through @pulumi/policy's own analyzeStack/analyze handlers (what the gRPC server runs, without the socket): the
// levels the CLI shows, and "cannot decide yet" turned into an advisory "can't run policy ... during preview".

import * as assert from "assert";
import { catalog, PACK_NAME, policies } from "../../policy/policies";
import { AnalyzerResourceMessage, describeResource } from "../audit/helpers";
import { rawFacts, rawResources, RawResource, SEED_VERDICTS, seedDesign, urnOf, UNKNOWN } from "./fixtures";

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

/** A diagnostic as the CLI shows it: the policy, its level by name, the message. */
type Answer = { policy: string; level: string; message: string };

/** Run one of the server's handlers on `request`: the diagnostics it answers, with their levels by name. */
async function diagnostics(make: typeof server.makeAnalyzeRpcFun, request: unknown): Promise<Answer[]> {
    const fn = make(PACK_NAME, "0.1.0", "advisory", policies);
    const resp = await new Promise<Resp>((resolve, reject) => fn({ request }, (err, r) => (err ? reject(err) : resolve(r))));
    return resp.getDiagnosticsList().map((d) => ({ policy: d.getPolicyname(), level: LEVEL[d.getEnforcementlevel()], message: d.getMessage() }));
}

/** `message` filled as the engine fills it for the resource (its props as a Struct, default options). */
function described<T extends AnalyzerResourceMessage>(message: T, r: RawResource): T {
    const props = Struct.fromJavaScript(JSON.parse(JSON.stringify(r.props)));
    return describeResource(message, { type: r.type, name: r.name, urn: urnOf(r.type, r.name) }, props, new analyzerpb.AnalyzerResourceOptions());
}

function analyzeStack(rs: RawResource[]): Promise<Answer[]> {
    const req = new analyzerpb.AnalyzeStackRequest();
    req.setResourcesList(rs.map((r) => described(new analyzerpb.AnalyzerResource(), r)));
    return diagnostics(server.makeAnalyzeStackRpcFun, req);
}

function analyze(r: RawResource): Promise<Answer[]> {
    return diagnostics(server.makeAnalyzeRpcFun, described(new analyzerpb.AnalyzeRequest(), r));
}

describe("policy pack through the @pulumi/policy server handlers", () => {
    it("the seed design: the documented violations at their default levels", async () => {
        const ds = await analyzeStack(rawResources(seedDesign()));
        assert.deepStrictEqual(ds.map((d) => `${d.policy}:${d.level}`).sort(), SEED_VERDICTS);
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

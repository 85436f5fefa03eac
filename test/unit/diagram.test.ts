import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { loadConfig } from "../../lib/config";
import { buildTopology } from "../../lib/topology";
import { diagramFor, DOCS_DIR, hostOfResource, main, renderDiagram, SHIPPED_STACKS } from "../../tools/diagram";
import { stackFilePath } from "../../tools/stack-config";
import { runMain } from "../audit/helpers";

describe("diagrams", () => {
    for (const stack of SHIPPED_STACKS) {
        it(`docs/${stack}.md is up to date (npm run diagram -- --stack ${stack})`, async () => {
            const committed = fs.readFileSync(path.join(DOCS_DIR, `${stack}.md`), "utf8");
            assert.strictEqual(committed, await diagramFor(stackFilePath(stack), stack), `docs/${stack}.md is stale: run npm run diagram -- --all`);
        });
    }

    it("draws user → DNS → entry point → web/app → database, with ports, firewalls and violations", () => {
        const t = buildTopology(loadConfig({}));
        const text = renderDiagram("dev", t, [
            { policy: "firewall-required", level: "mandatory", host: "web-01" },
            { policy: "monitoring-enabled", level: "advisory" },
        ]);
        assert.match(text, /user -->\|"resolves www\.foobar\.com"\| dns/);
        assert.match(text, /user -->\|"HTTP :80 to 8\.8\.8\.8"\| web_01_nginx/);
        assert.match(text, /web_01_php -->\|"SQL :3306"\| web_01_db/);
        assert.match(text, /subgraph web_01\["web-01 · web, app, db · no firewall"\]/);
        assert.match(text, /audit_web_01>"✖ firewall-required \(mandatory\)"\]:::mandatory/);
        assert.match(text, /audit_stack>"⚠ monitoring-enabled \(advisory\)"\]:::advisory/);
    });

    describe("the CLI's arguments (util.parseArgs)", () => {
        /** main() in this process: exit code, stdout, stderr. */
        const cli = (args: string[]) => runMain(main, args);
        const docs = () => SHIPPED_STACKS.map((s) => fs.statSync(path.join(DOCS_DIR, `${s}.md`)).mtimeMs);

        it("--help: the usage on stdout, exit 0", async () => {
            const r = await cli(["--help"]);
            assert.strictEqual(r.code, 0);
            assert.match(r.stdout, /^usage: npm run diagram -- /);
            assert.strictEqual(r.stderr, "");
        });

        it("an unknown or misspelt option is refused (exit 2) and writes nothing: `--stack dev --outt x`", async () => {
            const before = docs();
            for (const args of [["--stack", "dev", "--outt", "x"], ["--stack", "dev", "x"], ["--all", "--stack", "dev"], ["--all", "--out", "x"], []]) {
                const r = await cli(args);
                assert.strictEqual(r.code, 2, args.join(" "));
                assert.match(r.stderr, /^error: .*\nusage: /, args.join(" "));
                assert.strictEqual(r.stdout, "", args.join(" "));
            }
            assert.match((await cli(["--stack", "dev", "--outt", "x"])).stderr, /Unknown option '--outt'/);
            assert.deepStrictEqual(docs(), before);
        });

        it("a missing stack lists the stacks there", async () => {
            const r = await cli(["--stack", "nosuchstack"]);
            assert.strictEqual(r.code, 2);
            assert.match(r.stderr, /no stack file .*Pulumi\.nosuchstack\.yaml; the stacks here: dev, distributed, hardened/);
        });
    });

    it("attributes a resource to its host by name", () => {
        assert.strictEqual(hostOfResource("web-01-database", ["web-01"]), "web-01");
        assert.strictEqual(hostOfResource("web-01", ["web-01"]), "web-01");
        assert.strictEqual(hostOfResource("seed-web-dev", ["web-01"]), undefined);
    });
});

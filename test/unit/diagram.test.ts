import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { loadConfig } from "../../lib/config";
import { buildTopology } from "../../lib/topology";
import { diagramFor, DOCS_DIR, hostOfResource, renderDiagram, SHIPPED_STACKS } from "../../tools/diagram";
import { stackFilePath } from "../../tools/stack-config";

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

    it("attributes a resource to its host by name", () => {
        assert.strictEqual(hostOfResource("web-01-database", ["web-01"]), "web-01");
        assert.strictEqual(hostOfResource("web-01", ["web-01"]), "web-01");
        assert.strictEqual(hostOfResource("seed-web-dev", ["web-01"]), undefined);
    });
});

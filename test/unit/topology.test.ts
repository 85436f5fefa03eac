import * as assert from "assert";
import { loadConfig } from "../../lib/config";
import { buildTopology, zoneFile } from "../../lib/topology";

const ssh = (name: string, roles: string[], address: string) => ({ name, roles, connection: { type: "ssh", address } });

describe("topology", () => {
    it("the seed design: one host with web, app and db; the app reaches MySQL locally", () => {
        const t = buildTopology(loadConfig({}));
        assert.strictEqual(t.hosts.length, 1);
        const [h] = t.hosts;
        assert.deepStrictEqual(h.roles, ["web", "app", "db"]);
        assert.deepStrictEqual(h.web?.serverNames, ["foobar.com", "www.foobar.com"]);
        assert.strictEqual(h.web?.docRoot, "/var/www/foobar.com");
        assert.deepStrictEqual(h.web?.db, { host: "localhost", port: 3306, name: "app", user: "app" });
        assert.deepStrictEqual(h.database, { bindAddress: "0.0.0.0", port: 3306, name: "app", user: "app", clientHosts: ["localhost"] });
        assert.strictEqual(h.firewall, undefined);
        assert.strictEqual(h.privateAddress, "172.30.88.10");
        assert.deepStrictEqual(t.entryPoints, ["web-01"]);
        assert.strictEqual(t.siteUrl, "http://www.foobar.com/");
    });

    it("DNS: apex A record to the public IP, www CNAME to the apex, and the zone-file snippet", () => {
        const t = buildTopology(loadConfig({}));
        assert.deepStrictEqual(t.dns, [
            { name: "foobar.com.", type: "A", value: "8.8.8.8", ttl: 3600 },
            { name: "www.foobar.com.", type: "CNAME", value: "foobar.com.", ttl: 3600 },
        ]);
        const zone = zoneFile(t.dns).split("\n");
        assert.match(zone[0], /^foobar\.com\.\s+3600\s+IN A\s+8\.8\.8\.8$/);
        assert.match(zone[1], /^www\.foobar\.com\.\s+3600\s+IN CNAME\s+foobar\.com\.$/);
    });

    it("without www: one server name and no CNAME", () => {
        const t = buildTopology(loadConfig({ www: "false", domain: "example.org", publicIp: "192.0.2.7" }));
        assert.deepStrictEqual(t.serverNames, ["example.org"]);
        assert.deepStrictEqual(t.dns.map((r) => r.type), ["A"]);
        assert.strictEqual(t.siteUrl, "http://example.org/");
    });

    it("a separate database host: web reaches it by private address, only the app host may connect", () => {
        const hosts = JSON.stringify([ssh("web-01", ["web", "app"], "10.0.0.3"), ssh("db-01", ["db"], "10.0.0.5")]);
        const t = buildTopology(loadConfig({ hosts, sshPrivateKey: "K", dbBindAddress: "10.0.0.5" }));
        const [web, db] = t.hosts;
        assert.strictEqual(web.database, undefined);
        assert.strictEqual(db.web, undefined);
        assert.strictEqual(web.web?.db.host, "10.0.0.5");
        assert.deepStrictEqual(db.database?.clientHosts, ["10.0.0.3"]);
        assert.strictEqual(db.database?.bindAddress, "10.0.0.5");
    });
});

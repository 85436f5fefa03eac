import * as assert from "assert";
import { loadConfig } from "../../lib/config";
import { buildTopology, serverIdOf, zoneFile } from "../../lib/topology";

const ssh = (name: string, roles: string[], address: string) => ({ name, roles, connection: { type: "ssh", address } });

describe("topology", () => {
    it("the seed design: one host with web, app and db; the app reaches MySQL locally", () => {
        const t = buildTopology(loadConfig({}));
        assert.strictEqual(t.hosts.length, 1);
        const [h] = t.hosts;
        assert.deepStrictEqual(h.roles, ["web", "app", "db"]);
        assert.deepStrictEqual(h.web?.serverNames, ["foobar.com", "www.foobar.com"]);
        assert.strictEqual(h.web?.docRoot, "/var/www/foobar.com");
        assert.deepStrictEqual(h.web?.db, { host: "localhost", port: 3306, name: "app", user: "app", tls: false });
        assert.deepStrictEqual(h.database, {
            engine: "auto", bindAddress: "0.0.0.0", port: 3306, name: "app", user: "app", clientHosts: ["localhost"],
            role: "standalone", serverId: 1, primary: undefined, replicas: [], tls: false,
        });
        assert.deepStrictEqual(h.web?.tls, { mode: "none", httpsPort: 443, redirectHttp: false, hstsMaxAge: 0 });
        assert.deepStrictEqual([h.lb, h.certbot, h.monitoring, h.backup], [undefined, undefined, undefined, undefined]);
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

describe("topology: the hardened server and the distributed stack", () => {
    const distributed = () => {
        const list = [
            { name: "lb-01", roles: ["lb"], connection: { type: "ssh", address: "203.0.113.20", privateAddress: "10.0.0.10" } },
            { name: "web-01", roles: ["web", "app"], connection: { type: "ssh", address: "203.0.113.21", privateAddress: "10.0.0.11" } },
            { name: "web-02", roles: ["web", "app"], connection: { type: "ssh", address: "203.0.113.22", privateAddress: "10.0.0.12" } },
            { name: "db-01", roles: ["db"], connection: { type: "ssh", address: "203.0.113.23", privateAddress: "10.0.0.13" } },
            { name: "db-02", roles: ["db"], connection: { type: "ssh", address: "203.0.113.24", port: 2222, privateAddress: "10.0.0.14" } },
        ];
        return buildTopology(
            loadConfig({
                hosts: JSON.stringify(list),
                sshPrivateKey: "K",
                firewall: "true",
                tls: "letsencrypt",
                acmeEmail: "admin@foobar.com",
                dbBindAddress: "auto",
                monitoring: "true",
                monitoringAllowFrom: '["10.0.0.50"]',
                backups: "true",
                dbPrimary: "db-01",
            }),
        );
    };
    const host = (t: ReturnType<typeof buildTopology>, name: string) => t.hosts.find((h) => h.name === name)!;
    const rules = (t: ReturnType<typeof buildTopology>, name: string) =>
        host(t, name).firewall!.rules.map((r) => `${r.port}:${r.from}`).sort();

    it("the load balancer is the entry point: round robin over the web hosts, TLS and the certificate there", () => {
        const t = distributed();
        assert.deepStrictEqual(t.entryPoints, ["lb-01"]);
        assert.strictEqual(t.siteUrl, "https://www.foobar.com/");
        const lb = host(t, "lb-01");
        assert.deepStrictEqual(lb.lb?.backends, [
            { name: "web-01", address: "10.0.0.11", port: 443 },
            { name: "web-02", address: "10.0.0.12", port: 443 },
        ]);
        assert.strictEqual(lb.lb?.backendTls, true, "the backends over TLS");
        assert.deepStrictEqual(lb.lb?.tls, { mode: "letsencrypt", httpsPort: 443, redirectHttp: true, hstsMaxAge: 31536000 });
        assert.deepStrictEqual(lb.certbot, { serverNames: ["foobar.com", "www.foobar.com"], email: "admin@foobar.com", server: "https://acme-v02.api.letsencrypt.org/directory", mode: "haproxy" });
        for (const w of ["web-01", "web-02"]) {
            assert.strictEqual(host(t, w).web?.tls.mode, "none", "TLS ends at the balancer");
            assert.strictEqual(host(t, w).web?.backendTlsPort, 443, "the balancer reaches it over TLS");
            assert.deepStrictEqual(host(t, w).web?.trustedProxies, ["10.0.0.10"]);
            assert.strictEqual(host(t, w).certbot, undefined);
            assert.strictEqual(host(t, w).web?.db.host, "10.0.0.13");
        }
    });

    it("firewalls: SSH everywhere, the public ports on the balancer only, HTTPS (not HTTP) from the balancer, MySQL from the app hosts", () => {
        const t = distributed();
        assert.deepStrictEqual(rules(t, "lb-01"), ["22:any", "443:any", "80:any", "9100:10.0.0.50"]);
        assert.deepStrictEqual(rules(t, "web-01"), ["22:any", "443:10.0.0.10", "8081:10.0.0.50", "9100:10.0.0.50"]);
        assert.deepStrictEqual(rules(t, "db-01"), ["22:any", "3306:10.0.0.11", "3306:10.0.0.12", "3306:10.0.0.14", "9100:10.0.0.50"]);
        assert.deepStrictEqual(rules(t, "db-02"), ["2222:any", "3306:10.0.0.11", "3306:10.0.0.12", "9100:10.0.0.50"]);
    });

    it("database: a primary and a replica on their private addresses; backups on the primary", () => {
        const t = distributed();
        const [p, r] = [host(t, "db-01").database!, host(t, "db-02").database!];
        assert.deepStrictEqual([p.role, p.serverId, p.bindAddress, p.replicas], ["primary", serverIdOf("db-01"), "10.0.0.13", [{ name: "db-02", address: "10.0.0.14" }]]);
        assert.deepStrictEqual([r.role, r.serverId, r.bindAddress, r.primary], ["replica", serverIdOf("db-02"), "10.0.0.14", { name: "db-01", address: "10.0.0.13" }]);
        assert.deepStrictEqual(p.clientHosts, ["10.0.0.11", "10.0.0.12"]);
        assert.deepStrictEqual(host(t, "db-01").backup, { engine: "auto", database: "app", time: "03:15", retention: 7, directory: "/var/backups/seed-web" });
        assert.strictEqual(host(t, "db-02").backup, undefined);
    });

    it("one hardened server: loopback database, TLS with redirect and HSTS, only SSH/HTTP/HTTPS open", () => {
        const t = buildTopology(
            loadConfig({ firewall: "true", tls: "self-signed", dbBindAddress: "auto", monitoring: "true", backups: "true" }),
        );
        const [h] = t.hosts;
        assert.strictEqual(h.database?.bindAddress, "127.0.0.1");
        assert.deepStrictEqual(h.web?.tls, { mode: "self-signed", httpsPort: 443, redirectHttp: true, hstsMaxAge: 31536000 });
        assert.deepStrictEqual(h.firewall?.rules.map((r) => `${r.port}:${r.from}`).sort(), ["22:any", "443:any", "80:any"]);
        assert.strictEqual(h.certbot, undefined);
        assert.deepStrictEqual(h.monitoring, { listen: "127.0.0.1", port: 9100, allowFrom: [] }, "nobody may scrape: loopback");
    });

    it("monitoring: the node exporter listens on each host's private address for the allowed scrapers, never on all addresses", () => {
        const t = distributed();
        for (const h of t.hosts) {
            assert.strictEqual(h.monitoring?.listen, h.privateAddress, h.name);
            assert.notStrictEqual(h.monitoring?.listen, "0.0.0.0");
        }
        assert.strictEqual(host(t, "db-01").monitoring?.listen, "10.0.0.13");
    });
});

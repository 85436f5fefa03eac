// The improvements under mocks: which steps each host gets, in which order, and the secrets they handle.
import * as assert from "assert";
import { factsOf, REMOTE_COMMAND_TYPE, StepFacts } from "../../lib/facts";
import { Capture, captureProgram, isSecretValue, plannedCommands, reveal } from "../../tools/capture";
import { readStackFile, stackFilePath } from "../../tools/stack-config";

const facts = (c: Capture, name: string) => {
    const r = c.resources.find((x) => x.name === name && x.type === REMOTE_COMMAND_TYPE);
    assert.ok(r, `no command ${name}`);
    return factsOf(reveal(r.inputs) as Record<string, unknown>) as StepFacts;
};
const stepsOn = (c: Capture, host: string) =>
    plannedCommands(c)
        .filter((p) => p.facts.host === host)
        .map((p) => p.facts.step);

describe("improvements (under mocks)", () => {
    let dist: Capture;
    let hard: Capture;
    before(async () => {
        const d = readStackFile(stackFilePath("distributed"));
        dist = await captureProgram({ raw: d.raw, stack: "distributed", sshAgentSocket: "/tmp/agent.sock" });
        const h = readStackFile(stackFilePath("hardened"));
        hard = await captureProgram({ raw: h.raw, stack: "hardened", sshAgentSocket: "/tmp/agent.sock" });
    });

    it("distributed: each host gets the steps of its roles, in order", () => {
        assert.deepStrictEqual(stepsOn(dist, "lb-01"), ["base", "firewall", "lb", "certbot", "smoke", "monitoring"]);
        assert.deepStrictEqual(stepsOn(dist, "web-01"), ["base", "firewall", "php", "nginx", "app", "smoke", "monitoring"]);
        assert.deepStrictEqual(stepsOn(dist, "db-01"), ["base", "firewall", "database", "backup", "monitoring"]);
        assert.deepStrictEqual(stepsOn(dist, "db-02"), ["base", "firewall", "database", "monitoring"]);
        assert.deepStrictEqual((facts(dist, "lb-01-base") as { preinstall: string[] }).preinstall, ["firewall", "lb", "certbot", "monitoring"]);
    });

    it("distributed: the balancer waits for every web host, the replica for the primary, the apps for the primary", () => {
        const after = Object.fromEntries(plannedCommands(dist).map((p) => [p.name, p.after.sort()]));
        assert.deepStrictEqual(after["lb-01-lb"], ["lb-01-firewall", "web-01-smoke", "web-02-smoke"]);
        assert.deepStrictEqual(after["db-02-database"], ["db-01-database", "db-02-firewall"]);
        assert.deepStrictEqual(after["web-01-app"], ["db-01-database", "web-01-nginx"]);
        assert.deepStrictEqual(after["web-01-php"], ["web-01-firewall"]);
        assert.deepStrictEqual(after["db-01-backup"], ["db-01-database"]);
    });

    it("distributed: the replication password reaches both database hosts on stdin, after the app password, as a secret", () => {
        const [app, repl] = dist.generatedSecrets;
        for (const name of ["db-01-database", "db-02-database"]) {
            const cmd = dist.resources.find((r) => r.name === name && r.type === REMOTE_COMMAND_TYPE)!;
            assert.ok(isSecretValue(cmd.inputs.stdin));
            assert.strictEqual(reveal(cmd.inputs.stdin), `${app}\n${repl}\n`);
        }
        assert.deepStrictEqual((facts(dist, "db-02-database") as { replication: unknown }).replication, { role: "replica", serverId: 2, primary: "db-01" });
        assert.deepStrictEqual((facts(dist, "db-01-database") as { replication: unknown }).replication, { role: "primary", serverId: 1, replicas: ["db-02"] });
    });

    it("distributed: the balancer's settings name the backends by private address", () => {
        const lb = plannedCommands(dist).find((p) => p.name === "lb-01-lb")!;
        assert.match(lb.create, /LEMP_LB_BACKENDS='web-01=10\.0\.0\.11:80 web-02=10\.0\.0\.12:80'/);
        assert.match(lb.create, /LEMP_TLS='letsencrypt'/);
        const cert = plannedCommands(dist).find((p) => p.name === "lb-01-certbot")!;
        assert.match(cert.create, /LEMP_ACME_MODE='haproxy'/);
        assert.match(cert.create, /LEMP_ACME_EMAIL='admin@foobar\.com'/);
    });

    it("hardened: one host with firewall, certbot (webroot), monitoring and backups; MySQL on loopback", () => {
        assert.deepStrictEqual(stepsOn(hard, "web-01"), ["base", "firewall", "database", "backup", "php", "nginx", "certbot", "app", "smoke", "monitoring"]);
        assert.strictEqual((facts(hard, "web-01-database") as { bindAddress: string }).bindAddress, "127.0.0.1");
        const fw = facts(hard, "web-01-firewall") as { rules: { port: number; from: string }[] };
        assert.deepStrictEqual(fw.rules.map((r) => `${r.port}:${r.from}`).sort(), ["22:any", "443:any", "8081:203.0.113.50", "80:any", "9100:203.0.113.50"]);
        const nginx = plannedCommands(hard).find((p) => p.name === "web-01-nginx")!;
        assert.match(nginx.create, /LEMP_TLS='letsencrypt'.*/s);
        assert.match(nginx.create, /LEMP_REDIRECT_HTTP='1'/);
        assert.match(nginx.create, /LEMP_HSTS_MAX_AGE='31536000'/);
    });

    it("a Docker host with a firewall gets NET_ADMIN for ufw, and none without", async () => {
        const withFw = await captureProgram({ raw: { firewall: "true" } });
        const without = await captureProgram({ raw: {} });
        const caps = (c: Capture) => (reveal(c.resources.find((r) => r.type === "docker:index/container:Container")!.inputs) as { capabilities?: unknown }).capabilities;
        assert.deepStrictEqual(caps(withFw), { adds: ["NET_ADMIN"] });
        assert.strictEqual(caps(without), undefined);
    });
});

// The hardened and distributed stacks under mocks: which steps each host gets, in which order, and the secrets they handle.
import * as assert from "assert";
import * as crypto from "crypto";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { factsOf, REMOTE_COMMAND_TYPE, StepFacts } from "@seed-web/facts";
import { Capture, captureProgram, isSecretValue, plannedCommands, reveal } from "../../tools/capture";
import { readStackFile, stackFilePath } from "../../tools/stack-config";
import { backendTlsName, serverIdOf } from "../../lib/topology";

const facts = (c: Capture, name: string) => {
    const r = c.resources.find((x) => x.name === name && x.type === REMOTE_COMMAND_TYPE);
    assert.ok(r, `no command ${name}`);
    return factsOf(reveal(r.inputs) as Record<string, unknown>) as StepFacts;
};
const stepsOn = (c: Capture, host: string) =>
    plannedCommands(c)
        .filter((p) => p.facts.host === host)
        .map((p) => p.facts.step);

describe("the hardened and distributed stacks (under mocks)", () => {
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
        assert.deepStrictEqual(stepsOn(dist, "db-01"), ["base", "firewall", "database", "backup", "replication", "monitoring"]);
        assert.deepStrictEqual(stepsOn(dist, "db-02"), ["base", "firewall", "database", "monitoring"]);
        assert.deepStrictEqual((facts(dist, "lb-01-base") as { preinstall: string[] }).preinstall, ["firewall", "lb", "certbot", "monitoring"]);
    });

    it("distributed: the balancer waits for every web host, the replica for the primary, the smoke checks for the primary", () => {
        const after = Object.fromEntries(plannedCommands(dist).map((p) => [p.name, p.after.sort()]));
        assert.deepStrictEqual(after["lb-01-lb"], ["lb-01-firewall", "web-01-smoke", "web-02-smoke"]);
        assert.deepStrictEqual(after["db-02-database"], ["db-01-database", "db-02-firewall"]);
        // the app does not wait for the database (a moved primary: the apps switch while it still replicates)
        assert.deepStrictEqual(after["web-01-app"], ["web-01-nginx"]);
        assert.deepStrictEqual(after["web-01-smoke"], ["db-01-database", "web-01-app"]);
        assert.deepStrictEqual(after["web-01-php"], ["web-01-firewall"]);
        assert.deepStrictEqual(after["db-01-backup"], ["db-01-database"]);
    });

    it("distributed: the replication password reaches both database hosts on stdin, after the app password, as a secret", () => {
        const [app, repl] = dist.generatedSecrets;
        for (const name of ["db-01-database", "db-02-database"]) {
            const cmd = dist.resources.find((r) => r.name === name && r.type === REMOTE_COMMAND_TYPE)!;
            assert.ok(isSecretValue(cmd.inputs.stdin));
            // then the server's TLS key, certificate and the CA, each a PEM as one base64 line
            const lines = String(reveal(cmd.inputs.stdin)).split("\n");
            assert.deepStrictEqual(lines.slice(0, 2), [app, repl]);
            assert.deepStrictEqual(
                lines.slice(2).map((l) => Buffer.from(l, "base64").toString("utf8").split("\n")[0]),
                ["-----BEGIN EC PRIVATE KEY-----", "-----BEGIN CERTIFICATE-----", "-----BEGIN CERTIFICATE-----", ""],
            );
        }
        assert.deepStrictEqual((facts(dist, "db-02-database") as { replication: unknown }).replication, { role: "replica", serverId: serverIdOf("db-02"), primary: "db-01" });
        assert.deepStrictEqual((facts(dist, "db-01-database") as { replication: unknown }).replication, { role: "primary", serverId: serverIdOf("db-01"), replicas: ["db-02"] });
    });

    it("distributed: balancer → web over TLS: a certificate per web host from the stack's CA for its private address, the CA to the balancer, keys on stdin only", () => {
        const caPem = (dist.resources.find((r) => r.name === "seed-web-db-ca")!.state as { certPem: string }).certPem;
        const ca = new crypto.X509Certificate(caPem);
        const lb = plannedCommands(dist).find((p) => p.name === "lb-01-lb")!;
        assert.match(lb.create, /LEMP_LB_BACKEND_TLS='1'/);
        assert.strictEqual(Buffer.from(String(lb.stdin).split("\n")[0], "base64").toString("utf8"), caPem, "the balancer gets the stack's CA");
        assert.strictEqual((facts(dist, "lb-01-lb") as { backendTls?: boolean }).backendTls, true);
        for (const [web, address] of [["web-01", "10.0.0.11"], ["web-02", "10.0.0.12"]]) {
            const nginx = plannedCommands(dist).find((p) => p.name === `${web}-nginx`)!;
            assert.match(nginx.create, /LEMP_BACKEND_TLS_PORT='443'/);
            assert.ok(nginx.create.includes(`LEMP_BACKEND_TLS_NAME='${web}.seed-web.invalid'`), "the name the balancer sends as SNI and verifies");
            assert.doesNotMatch(nginx.create, /PRIVATE KEY|LS0tLS1CRUdJTi/, "no key or PEM in the command text");
            const [key, cert] = String(nginx.stdin).split("\n").slice(0, 2).map((l) => Buffer.from(l, "base64").toString("utf8"));
            assert.match(key, /^-----BEGIN (EC )?PRIVATE KEY-----/);
            const x = new crypto.X509Certificate(cert);
            assert.ok(x.verify(ca.publicKey), `${web}'s certificate is signed by the stack's CA`);
            assert.strictEqual(x.checkIP(address), address, `${web}'s certificate names ${address}, the address HAProxy dials`);
            assert.strictEqual(x.checkHost(`${web}.seed-web.invalid`), `${web}.seed-web.invalid`, `${web}'s certificate names what HAProxy's verifyhost checks`);
            assert.strictEqual(backendTlsName(web, address), `${web}.seed-web.invalid`);
            assert.ok(x.checkPrivateKey(crypto.createPrivateKey(key)), `${web}'s key matches its certificate`);
            assert.strictEqual((facts(dist, `${web}-nginx`) as { backendTlsPort?: number }).backendTlsPort, 443);
        }
    });

    it("distributed: the balancer's settings name the backends by private address", () => {
        const lb = plannedCommands(dist).find((p) => p.name === "lb-01-lb")!;
        assert.match(lb.create, /LEMP_LB_BACKENDS='web-01=10\.0\.0\.11:443 web-02=10\.0\.0\.12:443'/);
        assert.match(lb.create, /LEMP_TLS='letsencrypt'/);
        const cert = plannedCommands(dist).find((p) => p.name === "lb-01-certbot")!;
        assert.match(cert.create, /LEMP_ACME_MODE='haproxy'/);
        assert.match(cert.create, /LEMP_ACME_EMAIL='admin@foobar\.com'/);
    });

    it("distributed: TLS between hosts: the stack's CA signs a certificate per database host for its private address", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-tls-test-"));
        try {
            const state = (name: string) => dist.resources.find((r) => r.name === name)!.state as Record<string, string>;
            fs.writeFileSync(path.join(dir, "ca.pem"), state("seed-web-db-ca").certPem);
            for (const [host, address] of [["db-01", "10.0.0.13"], ["db-02", "10.0.0.14"]]) {
                fs.writeFileSync(path.join(dir, "cert.pem"), state(`${host}-db-tls-cert`).certPem);
                const text = execFileSync("openssl", ["x509", "-in", path.join(dir, "cert.pem"), "-noout", "-ext", "subjectAltName,extendedKeyUsage"], { encoding: "utf8" });
                assert.match(text, new RegExp(`IP Address:${address.replace(/\./g, "\\.")}`));
                assert.match(text, /TLS Web Server Authentication/);
                execFileSync("openssl", ["verify", "-CAfile", path.join(dir, "ca.pem"), path.join(dir, "cert.pem")]);
                const db = plannedCommands(dist).find((p) => p.name === `${host}-database`)!;
                assert.match(db.create, /LEMP_DB_TLS='1'/);
                assert.doesNotMatch(db.create, /PRIVATE KEY|LS0tLS1CRUdJTi/, "no key or PEM in the command text");
                assert.strictEqual((facts(dist, `${host}-database`) as { tls: boolean }).tls, true);
            }
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
        for (const web of ["web-01", "web-02"]) {
            const app = plannedCommands(dist).find((p) => p.name === `${web}-app`)!;
            assert.match(app.create, /LEMP_DB_TLS='1'/);
            const ca = Buffer.from(String(app.stdin).split("\n")[1], "base64").toString("utf8");
            assert.strictEqual(ca, (dist.resources.find((r) => r.name === "seed-web-db-ca")!.state as { certPem: string }).certPem);
        }
        // the CA's and the servers' keys are secrets: generated, and never in plaintext outside a secret
        const keys = dist.resources.filter((r) => r.type === "tls:index/privateKey:PrivateKey").map((r) => r.name).sort();
        assert.deepStrictEqual(keys, ["db-01-db-tls-key", "db-02-db-tls-key", "seed-web-db-ca-key", "web-01-web-tls-key", "web-02-web-tls-key"]);
        for (const r of dist.resources.filter((x) => x.type.startsWith("tls:index/") && x.inputs.privateKeyPem !== undefined)) {
            assert.ok(isSecretValue(r.inputs.privateKeyPem), `${r.name}.privateKeyPem in plaintext`);
        }
        // the replication account's copy privileges are taken away on the primary after the replica
        const after = Object.fromEntries(plannedCommands(dist).map((p) => [p.name, p.after.sort()]));
        assert.deepStrictEqual(after["db-01-replication"], ["db-01-backup", "db-02-database"]);
        assert.deepStrictEqual(facts(dist, "db-01-replication"), {
            schema: "seed-web.facts/v1", step: "replication", host: "db-01", roles: ["db"], replicas: ["db-02"], privileges: ["REPLICATION SLAVE"],
        });
        // the balancer checks PHP and the database, not the static page
        assert.strictEqual((facts(dist, "lb-01-lb") as { healthCheck: string }).healthCheck, "/health.php");
        assert.match(plannedCommands(dist).find((p) => p.name === "lb-01-lb")!.create, /LEMP_HEALTH_PATH='\/health\.php'/);
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

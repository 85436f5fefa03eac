// `npm run verify` on a real host built by hand from the design document (apt and a few config lines, not the
// program's scripts): the seed design's three mandatory issues, in the three formats; and bad input: an unknown host
// name, an unreadable key file, a host that does not answer and one whose host key does not match (exit 3, the others
// still reported).
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { bootHosts, destroyHosts, KEY, sshRun, TestHost } from "./lib";
import { keyscan, verifyCli, writeStack } from "./verify-lib";

/** The seed design by hand: Nginx and MariaDB from apt (PHP-FPM changes no verdict: left out for time), MySQL on every address. */
const HAND_INSTALL = String.raw`
set -e
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends nginx mariadb-server >/dev/null
sed -i 's/^bind-address.*/bind-address = 0.0.0.0/' /etc/mysql/mariadb.conf.d/50-server.cnf
systemctl restart mariadb
`;

describe("e2e: verify a server built by hand, and bad input", function () {
    const hand: TestHost = { name: "vf-hand", ip: "10.200.0.210", roles: ["web", "app", "db"] };
    let stackFile: string;
    let handKey: string;

    before(async () => {
        await bootHosts([hand]);
        const t = Date.now();
        const install = await sshRun({ host: hand.ip, port: 22, user: "root" }, HAND_INSTALL, { timeoutMs: 600_000 });
        assert.strictEqual(install.code, 0, install.stderr);
        console.log(`      installed by hand in ${((Date.now() - t) / 1000).toFixed(1)}s`);
        handKey = keyscan(hand.ip);
        // A stack file that only lists the host: nothing declared, so no drift, only the policies' verdicts.
        stackFile = writeStack("hand", [{ ...hand, hostKey: handKey }]);
    });
    after(() => destroyHosts([hand]));

    it("verify --config reports the seed design's three mandatory issues (exit 5), in text, JSON and SARIF", async () => {
        const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-verify-")), "verify.sarif");
        // the three formats at once (each run is mostly the offline capture of the stack file)
        const [json, text, sarif] = await Promise.all([
            verifyCli(["--config", stackFile, "--identity", KEY, "--format", "json"]),
            verifyCli(["--config", stackFile, "--identity", KEY]),
            verifyCli(["--config", stackFile, "--identity", KEY, "--format", "sarif", "--output", out]),
        ]);
        assert.strictEqual(json.code, 5, json.stderr);
        const report = JSON.parse(json.stdout) as {
            violations: { policy: string; level: string; undecided: boolean; message: string }[];
            verify: { handBuilt: boolean; drift: unknown[]; hosts: { name: string; reachable: boolean; ms: number }[] };
        };
        assert.deepStrictEqual(report.violations.filter((v) => v.level === "mandatory").map((v) => v.policy).sort(), ["database-not-exposed", "firewall-required", "https-required"]);
        assert.deepStrictEqual(report.violations.filter((v) => v.undecided), []);
        assert.ok(report.verify.handBuilt);
        assert.deepStrictEqual(report.verify.drift, []);
        console.log(`      vf-hand checked in ${report.verify.hosts[0].ms} ms (CLI ${json.ms} ms in all)`);

        assert.strictEqual(text.code, 5);
        assert.match(text.stdout, /\[mandatory\]  firewall-required .*\n.*\n\s+vf-hand has no firewall/);
        assert.match(text.stdout, /MySQL on vf-hand listens on 0\.0\.0\.0:3306 and vf-hand has no firewall/);
        assert.match(text.stdout, /entry point vf-hand \(web host\) serves plain HTTP only/);
        assert.match(text.stdout, /Drift: not checked \(the stack file only lists hosts/);

        assert.strictEqual(sarif.code, 5);
        const run = (JSON.parse(fs.readFileSync(out, "utf8")) as { runs: { results: { ruleId: string; level: string }[] }[] }).runs[0];
        assert.deepStrictEqual(run.results.filter((r) => r.level === "error").map((r) => r.ruleId).sort(), ["database-not-exposed", "firewall-required", "https-required"]);
    });

    it("bad input: an unknown host name and an unreadable key file (exit 2); a host that does not answer and a wrong host key (named, the others still reported; exit 5 for the reached host's violations)", async () => {
        const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-verify-key-"));
        execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(keyDir, "k")]);
        const wrongKey = fs.readFileSync(path.join(keyDir, "k.pub"), "utf8").split(" ").slice(0, 2).join(" ");
        // vf-gone: nobody answers at its address; vf-badkey: the hand-built host under a host key that is not its own.
        const mixed = writeStack("mixed", [
            { ...hand, hostKey: handKey },
            { name: "vf-gone", ip: "10.200.0.229", roles: ["db"], hostKey: handKey },
            { name: "vf-badkey", ip: hand.ip, roles: ["db"], hostKey: wrongKey },
        ]);
        const [unknown, noKey, r] = await Promise.all([
            verifyCli(["--config", stackFile, "--identity", KEY, "--host", "vf-nope"]),
            verifyCli(["--config", stackFile, "--identity", "/nonexistent/vf-key"]),
            verifyCli(["--config", mixed, "--identity", KEY, "--format", "json"]),
        ]);
        assert.strictEqual(unknown.code, 2);
        assert.match(unknown.stderr, /--host "vf-nope": no such host in Pulumi\.hand\.yaml \(its hosts: vf-hand\)/);
        assert.strictEqual(noKey.code, 2);
        assert.match(noKey.stderr, /--identity "\/nonexistent\/vf-key": cannot read it \(ENOENT\)/);
        // exit 5, not 3: the unreachable hosts never hide the mandatory violations of the one reached (5 > 3)
        assert.strictEqual(r.code, 5, r.stderr);
        const report = JSON.parse(r.stdout) as { violations: { policy: string; level: string; resource: { name: string } }[]; verify: { unreachable: string[]; hosts: { name: string; error?: string }[] } };
        assert.deepStrictEqual(report.verify.unreachable.sort(), ["vf-badkey", "vf-gone"]);
        assert.match(report.verify.hosts.find((h) => h.name === "vf-badkey")!.error!, /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/);
        assert.match(report.verify.hosts.find((h) => h.name === "vf-gone")!.error!, /10\.200\.0\.229.*(No route to host|timed out|refused)/);
        // the reachable host is still fully judged; the unreachable ones get no verdict (no pass either)
        const mandatory = report.violations.filter((v) => v.level === "mandatory").map((v) => `${v.policy} ${v.resource.name}`).sort();
        assert.deepStrictEqual(mandatory, ["database-not-exposed vf-hand-database", "firewall-required vf-hand-base", "https-required vf-hand-nginx"]);
    });
});

// verify judges what a host DOES (issue #23), on a real host set up by hand, none of the program's files: Nginx
// serving HTTPS from a configuration written by hand (a self-signed certificate made with openssl, a redirect, HSTS),
// MariaDB on every address, ufw installed but inactive and the packets filtered with iptables (the nft backend), then
// with a native nftables ruleset. And the README's "Audit your existing server" output compared with the real one,
// and its short verify example (a hardened server whose ufw was switched off) with verify's output for such a host.
import * as assert from "assert";
import Ajv from "ajv";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { apply, bootHosts, destroyHosts, KEY, planFor, sshRun, TestHost } from "./lib";
import { keyscan, verifyCli, writeStack } from "./verify-lib";

const ROOT = path.join(__dirname, "..", "..");

function selfSigned(): { crt: string; key: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-vf-cert-"));
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", "/CN=example.org", "-addext", "subjectAltName=DNS:example.org",
        "-keyout", path.join(dir, "k"), "-out", path.join(dir, "c")], { stdio: "ignore" });
    const out = { crt: fs.readFileSync(path.join(dir, "c"), "utf8"), key: fs.readFileSync(path.join(dir, "k"), "utf8") };
    fs.rmSync(dir, { recursive: true, force: true });
    return out;
}

const setup = (cert: { crt: string; key: string }) => String.raw`
set -e
install -d -m 700 /etc/ssl/mysite
cat >/etc/ssl/mysite/site.crt <<'EOF'
${cert.crt}EOF
cat >/etc/ssl/mysite/site.key <<'EOF'
${cert.key}EOF
rm -f /etc/nginx/sites-enabled/default
cat >/etc/nginx/conf.d/mysite.conf <<'EOF'
# written by hand
server { listen 80; server_name example.org; return 301 https://example.org$request_uri; }
server { listen 443 ssl; server_name example.org; ssl_certificate /etc/ssl/mysite/site.crt; ssl_certificate_key /etc/ssl/mysite/site.key;
         ssl_protocols TLSv1.2 TLSv1.3; add_header Strict-Transport-Security "max-age=63072000" always; root /var/www/html; }
EOF
sed -i 's/^bind-address.*/bind-address = 0.0.0.0/' /etc/mysql/mariadb.conf.d/50-server.cnf
systemctl enable --now nginx mariadb >/dev/null 2>&1
systemctl restart nginx mariadb
ufw disable >/dev/null 2>&1 || true
# what a server set up by hand does not have (the warm rootfs holds every step's packages)
apt-get purge -y -q haproxy 'prometheus-node-exporter*' >/dev/null 2>&1
iptables-restore <<'EOF'
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
-A INPUT -p tcp -m multiport --dports 80,443 -j ACCEPT
COMMIT
EOF
`;

/** The same filtering as a native nftables ruleset (iptables emptied). */
const NFTABLES = String.raw`
set -e
export DEBIAN_FRONTEND=noninteractive
command -v nft >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends nftables >/dev/null; }
nft -f - <<'EOF'
flush ruleset
table inet filter {
	chain input {
		type filter hook input priority filter; policy drop;
		iif "lo" accept
		ct state established,related accept
		tcp dport 22 accept
		tcp dport { 80, 443 } accept
	}
}
EOF
`;

interface Report {
    passed: boolean;
    violations: { policy: string; level: string; undecided: boolean; message: string }[];
    verify: { exitCode: number; hosts: { name: string; observed: Record<string, string> }[] };
}

describe("e2e: verify judges what a host built by hand does (HTTPS by hand, iptables, nftables)", function () {
    const host: TestHost = { name: "vf-byhand", ip: "10.200.0.230", roles: ["web", "app", "db"], rootfs: "warm" };
    let stackFile: string;

    before(async () => {
        const t = Date.now();
        await bootHosts([host]);
        const r = await sshRun({ host: host.ip, port: 22, user: "root" }, setup(selfSigned()), { timeoutMs: 300_000 });
        assert.strictEqual(r.code, 0, r.stderr);
        console.log(`      booted and set up by hand in ${((Date.now() - t) / 1000).toFixed(1)}s`);
        stackFile = writeStack("byhand", [{ ...host, hostKey: keyscan(host.ip) }]);
    });
    after(() => destroyHosts([host]));

    let textRun: Promise<Awaited<ReturnType<typeof verifyCli>>> | undefined;
    const judge = async () => {
        const r = await verifyCli(["--config", stackFile, "--identity", KEY, "--format", "json"]);
        assert.ok(r.stdout, r.stderr);
        const report = JSON.parse(r.stdout) as Report;
        const validate = new Ajv({ allErrors: true, strict: true }).compile(JSON.parse(fs.readFileSync(path.join(ROOT, "test", "fixtures", "verify-report.schema.json"), "utf8")));
        assert.ok(validate(report), JSON.stringify(validate.errors, null, 2));
        const mandatory = report.violations.filter((v) => v.level === "mandatory").map((v) => v.policy);
        return { r, report, mandatory, observed: report.verify.hosts[0].observed };
    };

    it("HTTPS configured by hand and an iptables firewall: no https-required, firewall-required or database-not-exposed; the self-signed certificate named", async () => {
        textRun = verifyCli(["--config", stackFile, "--identity", KEY]); // for the README's example, at the same time
        const { report, mandatory, observed } = await judge();
        for (const p of ["https-required", "firewall-required", "database-not-exposed"]) assert.ok(!mandatory.includes(p), `${p}: ${JSON.stringify(report.violations, null, 1)}`);
        assert.deepStrictEqual(report.violations.filter((v) => v.undecided), []);
        assert.match(observed.nginx, /^HTTPS served: TLSv1\.2, TLSv1\.3; not trusted \(self-signed\) certificate for example\.org, \d+ days left; HTTP redirected to HTTPS; HSTS max-age=63072000$/);
        assert.match(observed.firewall, /^ufw inactive; iptables(?: and nftables)? ruleset: default deny \(incoming\), allowing 22\/tcp from any, 80\/tcp from any, 443\/tcp from any$/);
        assert.ok(report.violations.some((v) => v.policy === "trusted-certificate" && /vf-byhand serves HTTPS with a self-signed certificate/.test(v.message)));
        assert.strictEqual(report.passed, report.verify.exitCode === 0);
    });

    it("the README's 'Audit your existing server' output is what verify prints for such a host", async () => {
        const r = await (textRun ?? verifyCli(["--config", stackFile, "--identity", KEY]));
        const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
        const block = /<!-- verify-byhand-example -->\n```\n([\s\S]*?)```/.exec(readme);
        assert.ok(block, "README: the example block marked verify-byhand-example");
        // the README shows web-01 at 203.0.113.10 and its own stack file; times and days vary
        const normal = (s: string) => s
            .replace(/vf-byhand/g, "web-01").replace(/10\.200\.0\.230/g, "203.0.113.10")
            .replace(/\/tmp\/seed-web-verify-e2e-[^/]+\/Pulumi\.byhand\.yaml/g, "my-server.yaml").replace(/stack byhand/g, "stack my-server")
            .replace(/checked in \d+ ms/g, "checked in N ms").replace(/\d+ days left/g, "N days left");
        assert.deepStrictEqual(normal(r.stdout).split("\n"), normal(block[1]).split("\n"), r.stdout);
        assert.strictEqual(r.code, Number(/^exit code (\d)$/m.exec(block[1])![1]));
    });

    it("the same filtering as a native nftables ruleset: read as the firewall", async () => {
        const r = await sshRun({ host: host.ip, port: 22, user: "root" }, NFTABLES, { timeoutMs: 300_000 });
        assert.strictEqual(r.code, 0, r.stderr);
        const { report, mandatory, observed } = await judge();
        for (const p of ["https-required", "firewall-required", "database-not-exposed"]) assert.ok(!mandatory.includes(p), `${p}: ${JSON.stringify(report.violations, null, 1)}`);
        assert.match(observed.firewall, /^ufw inactive; nftables ruleset: default deny \(incoming\), allowing 22\/tcp from any, 80\/tcp from any, 443\/tcp from any$/);
        // and with 3306 opened to everybody, the exposure is seen (from the rules, and by the runner's port probe)
        const open = await sshRun({ host: host.ip, port: 22, user: "root" }, "nft add rule inet filter input tcp dport 3306 accept");
        assert.strictEqual(open.code, 0, open.stderr);
        const after = await judge();
        assert.ok(after.mandatory.includes("database-not-exposed"), JSON.stringify(after.report.violations, null, 1));
        assert.strictEqual(after.r.code, 5);
    });
});

/**
 * Whether `live` shows the README's shortened example `shown`, by structure: every line of the example appears in the
 * output in the same order, the lines from "Hosts:" on consecutively (blank lines aside); `…` within a line stands for
 * text left out, a line that is only `…` for lines left out; the volatile values (host name and address, the stack
 * file's directory, milliseconds) are normalised. Undefined when it does, else what differs.
 */
export function showsExample(live: string, shown: string, host: { name: string; ip: string }): string | undefined {
    const norm = (t: string) => t.split(host.name).join("web-01").split(host.ip).join("203.0.113.10")
        .replace(/\(live hosts; [^)]*\/(Pulumi\.[^/)]+\.yaml)\)/g, "(live hosts; $1)").replace(/checked in \d+ ms/g, "checked in N ms");
    const out = norm(live).split("\n").filter((l) => l.trim() !== "");
    const want = norm(shown).split("\n").filter((l) => l.trim() !== "" && !/^exit code \d$/.test(l));
    const re = (l: string) => new RegExp(`^${l.split("…").map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
    let at = 0;
    let consecutive = false;
    let skip = false;
    for (const l of want) {
        if (l.trim() === "…") {
            skip = true;
            continue;
        }
        const r = re(l);
        const found = consecutive && !skip ? (r.test(out[at] ?? "") ? at : -1) : out.findIndex((x, i) => i >= at && r.test(x));
        if (found < 0) return `README line ${JSON.stringify(l)} not found${consecutive && !skip ? ` at output line ${JSON.stringify(out[at])}` : " in order"}`;
        at = found + 1;
        skip = false;
        if (l === "Hosts:") consecutive = true;
    }
    return undefined;
}

describe("e2e: the README's short verify example against a hardened server whose ufw was switched off", function () {
    const host: TestHost = { name: "vb2-hard", ip: "10.200.0.231", roles: ["web", "app", "db"], rootfs: "warm" };
    // the README's hardened stack, with a self-signed certificate instead of Let's Encrypt (no ACME server here)
    const settings = { firewall: "true", tls: "self-signed", dbBindAddress: "auto", monitoring: "true", monitoringAllowFrom: '["203.0.113.50"]', backups: "true" };

    before(async () => {
        const t = Date.now();
        await bootHosts([host]);
        const { plan } = await planFor([host], settings);
        await apply(plan);
        const off = await sshRun({ host: host.ip, port: 22, user: "root" }, "ufw disable >/dev/null");
        assert.strictEqual(off.code, 0, off.stderr);
        console.log(`      booted, provisioned (hardened) and ufw switched off in ${((Date.now() - t) / 1000).toFixed(1)}s`);
    });
    after(() => destroyHosts([host]));

    /** The --stack-outputs runs (stdin), started with the README example's run so that their waits overlap. */
    let stdinRuns: Promise<Awaited<ReturnType<typeof verifyCli>>[]> | undefined;
    const startStdinRuns = async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-vb2-"));
        try {
            const file = path.join(dir, "Pulumi.dockerish.yaml");
            const connection = { type: "docker", bindAddress: host.ip, sshPort: 22, httpPort: 80, httpsPort: 443 };
            fs.writeFileSync(file, `config:\n  seed-web:hosts:\n    - ${JSON.stringify({ name: host.name, roles: host.roles, connection })}\n`);
            const outputs = (hostKey: string) => JSON.stringify({ hosts: [{ name: host.name, hostKey }], sshPrivateKey: fs.readFileSync(KEY, "utf8") });
            // no --identity and no agent: only the outputs' key can log in, only their host key is pinned
            return await Promise.all([
                verifyCli(["--config", file, "--stack-outputs", "-", "--format", "json"], outputs(keyscan(host.ip))),
                verifyCli(["--config", file, "--stack-outputs", "-", "--format", "json"], outputs("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl")),
            ]);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    };

    it("verify's text output has the README example's lines, in order (the hosts and the drift exactly), and its exit code", async () => {
        const stackFile = writeStack("hardened", [{ ...host, hostKey: keyscan(host.ip) }], settings);
        stdinRuns ??= startStdinRuns();
        stdinRuns.catch(() => undefined); // awaited by its own test
        const r = await verifyCli(["--config", stackFile, "--identity", KEY]);
        const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
        const block = /<!-- verify-short-example -->\n```\n([\s\S]*?)```/.exec(readme);
        assert.ok(block, "README: the example block marked verify-short-example");
        const why = showsExample(r.stdout, block[1], host);
        assert.strictEqual(why, undefined, `${why}\n--- verify printed:\n${r.stdout}${r.stderr}`);
        assert.strictEqual(r.code, Number(/^exit code (\d)$/m.exec(block[1])![1]));
    });

    it("--stack-outputs on stdin reaches a Docker host with the keys only the outputs hold (the test host standing in for the container: its sshd as the 'published' port); a wrong host key in them is refused", async () => {
        const [good, wrong] = await (stdinRuns ??= startStdinRuns());
        const hostOf = (r: { stdout: string; stderr: string }) => {
            assert.ok(r.stdout, r.stderr);
            return (JSON.parse(r.stdout) as { verify: { hosts: { reachable: boolean; error?: string }[] } }).verify.hosts[0];
        };
        assert.strictEqual(hostOf(good).reachable, true, JSON.stringify(hostOf(good)));
        assert.notStrictEqual(good.code, 3);
        assert.strictEqual(hostOf(wrong).reachable, false);
        assert.match(hostOf(wrong).error ?? "", /host key/i);
        assert.strictEqual(wrong.code, 3);
    });

    it("the comparison fails on a README that says otherwise (another drift, another order, a missing line)", () => {
        const live = ["Policies:", "    x", "", "Verify of stack hardened (live hosts; /tmp/d/Pulumi.hardened.yaml): 6 resources, 10 policies: 1 mandatory, 6 advisory violations.", "",
            "Hosts:", "    vb2-hard (10.200.0.231): checked in 77 ms", "        firewall: ufw inactive", "        nginx: HTTPS served", "",
            "Drift: 1 declared fact contradicted by the hosts:", "    - vb2-hard firewall: declared: a, b; observed: ufw inactive", ""].join("\n");
        const ok = "Verify of stack hardened (live hosts; Pulumi.hardened.yaml): … resources, 10 policies: 1 mandatory, … advisory violations.\n\nHosts:\n" +
            "    web-01 (203.0.113.10): checked in 930 ms\n        firewall: ufw inactive\n        …\nDrift: 1 declared fact contradicted by the hosts:\n" +
            "    - web-01 firewall: declared: a, …; observed: ufw inactive\n\nexit code 5\n";
        assert.strictEqual(showsExample(live, ok, host), undefined);
        assert.ok(showsExample(live, ok.replace("ufw inactive", "ufw active"), host));
        assert.ok(showsExample(live, ok.replace("Hosts:\n", "Hosts:\n    web-02 (203.0.113.11): checked in 1 ms\n"), host));
        assert.ok(showsExample(live.replace("Drift: 1", "Drift: 2"), ok, host));
        assert.ok(showsExample(live, ok.replace("        …\n", ""), host), "note lines left out without a … line");
        assert.ok(showsExample(live, ok.replace("1 mandatory", "3 mandatory"), host));
    });
});

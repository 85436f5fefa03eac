// An existing server (issue 25): what it held before the stack's first apply is its administrators' and is kept —
// a `test` database holding rows, a remote root account, ufw active with its own rules, certbot.timer renewing
// another certificate — reported as kept, and still there after `destroy`; what appears after the first apply is
// secured again; `removePreexisting` removes them on purpose. Applied the way the engine would (lib.ts: up/destroy).
import * as assert from "assert";
import { PlannedCommand } from "../../tools/capture";
import { apply, bootHosts, destroy, destroyHosts, EngineRun, hosts, onHost, planFor, StepRun, summary, TestHost, up } from "./lib";

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)}s`;
const log = (what: string, runs: (EngineRun | StepRun)[]) =>
    console.log(`      ${what} (${elapsed()}): ${summary(runs.map((r) => ({ op: "op" in r ? r.op : "create", ...r })) as EngineRun[])}`);

/** A certificate in a certbot lineage (/etc/letsencrypt/live/NAME) for the names given, signed by a CA the host
 * trusts (made here once: the smoke check verifies the site's certificate as a client would). */
const lineage = (name: string, names: string[]) => `
if [ ! -f /usr/local/share/ca-certificates/rs-test-ca.crt ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=rs-test-ca -keyout /root/rs-ca.key -out /usr/local/share/ca-certificates/rs-test-ca.crt 2>/dev/null
  update-ca-certificates >/dev/null 2>&1
fi
d=/etc/letsencrypt/live/${name}
mkdir -p "$d" /etc/letsencrypt/renewal
openssl req -newkey rsa:2048 -nodes -subj /CN=${names[0]} -keyout "$d/privkey.pem" -out /root/rs.csr 2>/dev/null
printf 'subjectAltName=%s\\n' '${names.map((n) => `DNS:${n}`).join(",")}' >/root/rs.ext
openssl x509 -req -in /root/rs.csr -CA /usr/local/share/ca-certificates/rs-test-ca.crt -CAkey /root/rs-ca.key -CAcreateserial -days 60 -extfile /root/rs.ext -out "$d/fullchain.pem" 2>/dev/null
printf 'version = 2.1.0\\ncert = %s/fullchain.pem\\n' "$d" >/etc/letsencrypt/renewal/${name}.conf
`;

/** The administrators' own things, read on the host. */
const STATE = String.raw`
mysql -N <<'SQL'
SELECT CONCAT('remote_root=', GROUP_CONCAT(Host ORDER BY Host)) FROM mysql.user WHERE User = 'root' AND Host NOT IN ('localhost', '127.0.0.1', '::1');
SELECT CONCAT('test_rows=', COUNT(*)) FROM test.notes;
SQL
echo "ufw=$(ufw status | head -1 | sed 's/Status: //') $(ufw show added | sed -n 's/^ufw //p' | sort | paste -sd, -)"
echo "timer=$(systemctl is-enabled certbot.timer)"
echo "other=$(ls /etc/letsencrypt/live/other.example/fullchain.pem 2>/dev/null)"
`;

describe("e2e: an existing server — what it held before the stack is kept and reported", function () {
    const host: TestHost = { name: "rs-exist", ip: "10.200.0.182", roles: ["web", "app", "db"], rootfs: "warm" };
    // a host the stack ran on before, stopped for good: taken out of the stack by seed-web:forget
    const gone: TestHost = { name: "rs-gone", ip: "10.200.0.184", roles: ["web", "app", "db"], rootfs: "warm" };
    const ip = host.ip;
    // letsencrypt with a certificate already in place: certbot.sh sends no ACME request (the server is never dialed)
    const settings = { firewall: "true", tls: "letsencrypt", acmeEmail: "admin@foobar.com", acmeServer: "https://acme.invalid/directory" };
    const passwords = new Map<string, string>();
    let plan: PlannedCommand[];
    let first: StepRun[];
    const state = async () => (await onHost(ip, STATE)).trim().split("\n");

    before(async () => {
        await bootHosts([host, gone]);
        // the server as its administrators left it: MariaDB with a test database holding rows and a remote root,
        // ufw active with SSH and a VPN port, certbot renewing another site's certificate
        await onHost(
            ip,
            `set -e
systemctl start mariadb
mysql <<'SQL'
CREATE DATABASE test;
CREATE TABLE test.notes (v VARCHAR(20));
INSERT INTO test.notes VALUES ('mine'), ('ours');
CREATE USER 'root'@'%' IDENTIFIED BY 'the-admins-own';
GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;
SQL
ufw allow 22/tcp >/dev/null
ufw allow 1194/udp >/dev/null
ufw --force enable >/dev/null
${lineage("other.example", ["other.example"])}
${lineage("foobar.com", ["foobar.com", "www.foobar.com"])}
systemctl enable --now certbot.timer 2>/dev/null`,
        );
        ({ plan } = await planFor([host], settings, passwords));
        first = await apply(plan);
        log("first up", first);
    });
    after(() => destroyHosts([host, gone]));

    it("the first apply keeps them and says so: the test database with its rows, root@'%', ufw's own rule, certbot.timer", async () => {
        const db = first.find((r) => r.name === "rs-exist-database")!;
        assert.match(db.stdout, /^kept=account root@%$/m, db.stderr);
        assert.match(db.stdout, /^kept=database test$/m);
        assert.match(db.stderr, /kept: account root@% \(here before the stack; removePreexisting removes it\)/);
        const fw = first.find((r) => r.name === "rs-exist-firewall")!;
        assert.match(fw.stdout, /^kept=rule allow 1194\/udp$/m, fw.stderr);
        const now = await state();
        assert.deepStrictEqual(now.filter((l) => !l.startsWith("ufw=")), ["remote_root=%", "test_rows=2", "timer=enabled", "other=/etc/letsencrypt/live/other.example/fullchain.pem"]);
        const ufw = now.find((l) => l.startsWith("ufw="))!;
        assert.match(ufw, /^ufw=active /);
        assert.ok(ufw.includes("allow 1194/udp") && ufw.includes("allow 80/tcp") && ufw.includes("allow 443/tcp"), ufw);
    });

    it("what appears after the first apply is secured again (another remote root, an empty test database, a rule); the kept ones stay", async () => {
        await onHost(ip, `mysql -e "CREATE USER 'root'@'10.9.9.%' IDENTIFIED BY 'later'; CREATE DATABASE test_later; GRANT SELECT ON test_later.* TO 'app'@'localhost'"; ufw allow 2525/tcp >/dev/null`);
        const runs = await apply(plan, (p) => /-(database|firewall)$/.test(p.name));
        log("re-apply", runs);
        const db = runs.find((r) => r.name === "rs-exist-database")!;
        assert.match(db.stderr, /dropped user 'root'@'10\.9\.9\.%'/);
        assert.match(db.stderr, /removed grants on the test database/);
        assert.doesNotMatch(db.stderr, /dropped user 'root'@'%'|dropped database test\b/);
        assert.match(runs.find((r) => r.name === "rs-exist-firewall")!.stderr, /ufw delete allow 2525\/tcp/);
        const now = await state();
        assert.strictEqual(now[0], "remote_root=%");
        assert.strictEqual(now[1], "test_rows=2");
        assert.ok(!now.find((l) => l.startsWith("ufw="))!.includes("2525"));
        const again = await apply(plan, (p) => /-(database|firewall|certbot)$/.test(p.name));
        assert.deepStrictEqual(again.filter((r) => r.changed !== 0).map((r) => `${r.name} changed=${r.changed}`), []);
    });

    it("a host that is gone leaves the stack by seed-web:forget: one `up` sets retainOnDelete, the next completes without dialing it", async () => {
        // the stack as it was on the other host (its commands in the state), and the host stopped
        const gonePasswords = new Map<string, string>();
        const { plan: onGone } = await planFor([gone], {}, gonePasswords);
        const { plan: forgetting, capture } = await planFor([gone], { forget: JSON.stringify(["rs-gone"]) }, gonePasswords);
        hosts(["stop", gone.name]);
        // without it, every delete dials the host and fails
        await assert.rejects(destroy(onGone), /step rs-gone-\w+ \(delete\) failed/);
        // the `up` that lists it: an option only, nothing runs on the host
        const setting = await up(onGone, forgetting);
        assert.deepStrictEqual(setting.filter((r) => r.op !== "same").map((r) => r.name), []);
        assert.deepStrictEqual(capture.outputs.forgotten, [{ name: "rs-gone", address: gone.ip, left: ["base", "database", "php", "nginx", "app", "smoke"] }]);
        // the `up` without the host (the stack moved to rs-exist): its deletes are skipped, the up completes
        const moved = await up(forgetting, plan);
        log("up without the forgotten host", moved);
        const deletes = moved.filter((r) => r.op === "delete");
        assert.deepStrictEqual(deletes.map((r) => r.ms), onGone.map(() => 0), "a delete ran");
        assert.ok(moved.filter((r) => r.op === "create").every((r) => r.changed === 0), summary(moved));
    });

    it("destroy gives the server back as it was: ufw active with its own rules only, certbot.timer on, the data and root@'%' there", async () => {
        const runs = await destroy(plan);
        log("destroy", runs);
        assert.match(runs.find((r) => r.name === "rs-exist-certbot")!.stdout, /^left=certbot\.timer$/m);
        const now = await state();
        assert.deepStrictEqual(now, [
            "remote_root=%",
            "test_rows=2",
            "ufw=active allow 1194/udp,allow 22/tcp",
            "timer=enabled",
            "other=/etc/letsencrypt/live/other.example/fullchain.pem",
        ]);
    });

    it("removePreexisting removes them on purpose: the remote root, the test database and ufw's own rule go", async () => {
        const { plan: removing } = await planFor([host], { ...settings, removePreexisting: "true" }, passwords);
        const runs = await apply(removing, (p) => /-(database|firewall)$/.test(p.name)); // the steps it concerns
        log("up with removePreexisting", runs);
        const db = runs.find((r) => r.name === "rs-exist-database")!;
        assert.match(db.stderr, /dropped user 'root'@'%'/);
        assert.match(db.stderr, /dropped database test/);
        assert.match(runs.find((r) => r.name === "rs-exist-firewall")!.stderr, /ufw delete allow 1194\/udp/);
        assert.strictEqual((await onHost(ip, "mysql -N -e \"SELECT COUNT(*) FROM mysql.user WHERE User = 'root' AND Host = '%'\"")).trim(), "0");
    });
});

// The Let's Encrypt path (`tls: letsencrypt`) for real: the program's own commands obtain a certificate from a local
// ACME server (Pebble, in the test host `acme`) over HTTP-01, on one server (certbot --webroot behind Nginx) and on
// a load balancer (certbot --standalone behind HAProxy). The program gets only its ordinary config (tls, acmeEmail,
// acmeServer); the host under test trusts Pebble's API certificate and Pebble's root in its system trust store, the
// way a real server trusts Let's Encrypt through ca-certificates.
import * as assert from "assert";
import { PlannedCommand } from "../../tools/capture";
import { ACME, ACME_DIRECTORY, installPebble, pebbleOrders, startPebble, trust } from "./acme";
import { apply, bootHosts, destroyHosts, httpGet, httpsGet, HttpsAnswer, onHost, planFor, StepRun, TestHost } from "./lib";

const NAMES = ["foobar.com", "www.foobar.com"];
const WWW = "www.foobar.com";
const SETTINGS = { tls: "letsencrypt", acmeEmail: "admin@foobar.com", acmeServer: ACME_DIRECTORY };

/** GET / over TLS by address, SNI and Host = www, the chain verified against `root` only (rejected otherwise). */
function verifiedGet(ip: string, root: string, path = "/"): Promise<HttpsAnswer> {
    return httpsGet(ip, path, WWW, { ca: [root], rejectUnauthorized: true });
}

/** Poll until the served certificate's fingerprint differs from `old` (after a reload old workers may answer first). */
async function waitNewCert(ip: string, root: string, old: string, ms = 15_000): Promise<HttpsAnswer> {
    const until = Date.now() + ms;
    for (;;) {
        const s = await verifiedGet(ip, root);
        if (s.cert.fingerprint256 !== old || Date.now() > until) return s;
        await new Promise((r) => setTimeout(r, 300));
    }
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
const times = (runs: StepRun[]) => runs.map((r) => `${r.name} ${secs(r.ms)}`).join(", ");
const timed = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    const t = Date.now();
    const v = await f();
    console.log(`      ${what}: ${secs(Date.now() - t)}`);
    return v;
};

/** What the program runs for a scenario, and its base step (base.sh installs ca-certificates) already applied. */
async function prepare(all: TestHost[], settings: Record<string, string>): Promise<PlannedCommand[]> {
    const { plan } = await planFor(all, settings);
    await timed(`base on ${all.map((h) => h.name).join(", ")}`, () => apply(plan, (p) => p.facts.step === "base"));
    return plan;
}

/**
 * Start Pebble for the entry host (the names resolve to it), make the entry host trust the ACME API's CA and this
 * run's Pebble root in its system store, then apply the whole plan unchanged (its second run of base changes nothing).
 */
async function provision(plan: PlannedCommand[], entry: TestHost, tlsCa: string) {
    const root = await timed("pebble start", () => startPebble(tlsCa, NAMES, entry.ip));
    await trust(entry.ip, { "seed-web-e2e-acme-tls": tlsCa, "seed-web-e2e-pebble-root": root });
    const runs = await timed("apply", () => apply(plan));
    console.log(`      steps: ${times(runs)}`);
    return { root, runs };
}

const web: TestHost = { name: "le-web", ip: "10.200.0.41", roles: ["web", "app", "db"], rootfs: "warm" };
const lb: TestHost = { name: "le-lb", ip: "10.200.0.42", roles: ["lb"], rootfs: "warm" };
const w1: TestHost = { name: "le-w1", ip: "10.200.0.43", roles: ["web", "app"], rootfs: "warm" };
const db: TestHost = { name: "le-db", ip: "10.200.0.44", roles: ["db"], rootfs: "warm" };

/** A step's settings: the environment assignments before its `bash -c` (the script text after it names every knob). */
const envOf = (p: PlannedCommand) => p.create.slice(0, p.create.indexOf(" bash -c "));

/** A second apply: every step reports changed=0, and Pebble receives no new order. */
async function secondApplyAsksNothing(plan: PlannedCommand[]): Promise<void> {
    const orders = await pebbleOrders();
    assert.ok(orders >= 1, "Pebble's log shows no order: the count below would prove nothing");
    const second = await timed("second apply", () => apply(plan));
    assert.deepStrictEqual(second.filter((r) => r.changed !== 0).map((r) => `${r.name} changed=${r.changed}`), []);
    assert.strictEqual(await pebbleOrders(), orders);
}

/** `certbot renew --force-renewal` as the timer runs it (empty environment); the server must serve the new certificate. */
async function forcedRenewal(ip: string, root: string, server: string) {
    const before = (await verifiedGet(ip, root)).cert.fingerprint256;
    await timed("forced renewal", () => onHost(ip, "env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin certbot renew -q --force-renewal --no-random-sleep-on-renew"));
    const after = await waitNewCert(ip, root, before);
    assert.notStrictEqual(after.cert.fingerprint256, before, `${server} still serves the old certificate`);
    return after;
}

describe("e2e: Let's Encrypt (tls: letsencrypt) against a local ACME server (Pebble)", function () {
    let tlsCa: string;
    let webPlan: PlannedCommand[];
    let lbPlan: PlannedCommand[];

    before(async () => {
        // every host of both scenarios at once, and their apt work at once (the second scenario's hosts then wait)
        await timed("boot", () => bootHosts([ACME, web, lb, w1, db]));
        [tlsCa, webPlan, lbPlan] = await timed("pebble install + base steps", () =>
            Promise.all([timed("pebble install", installPebble), prepare([web], { ...SETTINGS, firewall: "true" }), prepare([lb, w1, db], { ...SETTINGS, dbBindAddress: "auto" })]),
        );
    });
    after(() => destroyHosts([web, lb, w1, db, ACME]));

    describe("one server: certbot --webroot behind Nginx", function () {
        let plan: PlannedCommand[];
        let root: string;
        let runs: StepRun[];

        before(async () => {
            plan = webPlan;
            ({ root, runs } = await provision(plan, web, tlsCa));
        });
        after(() => destroyHosts([web]));

        it("runs the certbot step after nginx, and the smoke check (certificate verified) after it", async () => {
            const order = runs.map((r) => plan.find((p) => p.name === r.name)!.facts.step);
            assert.ok(order.includes("certbot"), `steps: ${order.join(", ")}`);
            assert.ok(order.indexOf("nginx") < order.indexOf("certbot") && order.indexOf("certbot") < order.indexOf("smoke"), `order: ${order.join(", ")}`);
            const certbot = plan.find((p) => p.facts.step === "certbot")!;
            // only the program's ordinary settings: no test-only knob (CA bundle, insecure smoke check)
            assert.match(envOf(certbot), /LEMP_ACME_SERVER='https:\/\/10\.200\.0\.40:14000\/dir'/);
            assert.match(envOf(certbot), /LEMP_ACME_EMAIL='admin@foobar\.com'/);
            assert.doesNotMatch(envOf(certbot), /CA_BUNDLE/);
            assert.doesNotMatch(envOf(plan.find((p) => p.facts.step === "smoke")!), /INSECURE/);
            // certbot (python3-requests) checks the ACME API against certifi, which on Debian is the system store
            assert.strictEqual((await onHost(web.ip, "python3 -c 'import certifi; print(certifi.where())'")).trim(), "/etc/ssl/certs/ca-certificates.crt");
        });

        it("HTTPS serves Pebble's certificate for both names, verified against Pebble's root, with HSTS", async () => {
            const s = await verifiedGet(web.ip, root);
            assert.strictEqual(s.status, 200);
            assert.match(String(s.cert.issuer.CN), /^Pebble Intermediate CA /);
            assert.deepStrictEqual(String(s.cert.subjectaltname).split(", ").sort(), NAMES.map((n) => `DNS:${n}`).sort());
            assert.match(s.head.toLowerCase(), /strict-transport-security: max-age=31536000/);
            // the ACME account (as Pebble has it) carries the configured e-mail
            assert.match(await onHost(web.ip, `certbot show_account --server ${ACME_DIRECTORY} 2>&1`), /admin@foobar\.com/);
        });

        it("plain HTTP redirects to HTTPS, except the ACME challenges (renewals answer them)", async () => {
            const plain = await httpGet(web.ip, "/index.php", WWW);
            assert.strictEqual(plain.status, 301);
            assert.strictEqual(plain.headers.location, `https://${WWW}/index.php`);
            const challenge = await httpGet(web.ip, "/.well-known/acme-challenge/absent", WWW);
            assert.strictEqual(challenge.status, 404);
        });

        it("renewal is scheduled (certbot.timer) and the deploy hook is in place", async () => {
            const out = await onHost(
                web.ip,
                "systemctl is-enabled certbot.timer; systemctl is-active certbot.timer; stat -c '%a %U' /etc/letsencrypt/renewal-hooks/deploy/seed-web; " +
                    "readlink /etc/seed-web/tls/foobar.com/fullchain.pem; ls /etc/seed-web/pending/nginx 2>/dev/null | wc -l",
            );
            assert.deepStrictEqual(out.trim().split("\n"), ["enabled", "active", "755 root", "/etc/letsencrypt/live/foobar.com/fullchain.pem", "0"]);
        });

        it("a second apply changes nothing and asks the ACME server for nothing", async () => {
            await secondApplyAsksNothing(plan);
        });

        it("a renewal the way the timer runs it (certbot renew, forced) answers the challenge and the hook puts the new certificate in service", async () => {
            const after = await forcedRenewal(web.ip, root, "nginx");
            assert.match(String(after.cert.issuer.CN), /^Pebble Intermediate CA /);
        });
    });

    describe("behind a load balancer: certbot --standalone behind HAProxy", function () {
        const all = [lb, w1, db];
        let plan: PlannedCommand[];
        let root: string;

        before(async () => {
            plan = lbPlan;
            ({ root } = await provision(plan, lb, tlsCa));
        });
        after(() => destroyHosts(all));

        it("only the load balancer gets the certbot step, in haproxy mode", () => {
            const certbot = plan.filter((p) => p.facts.step === "certbot");
            assert.deepStrictEqual(certbot.map((p) => p.facts.host), [lb.name]);
            assert.match(envOf(certbot[0]), /LEMP_ACME_MODE='haproxy'/);
        });

        it("HAProxy serves Pebble's certificate for both names (verified), the page from the web host; HTTP redirects", async () => {
            const s = await verifiedGet(lb.ip, root, "/index.php");
            assert.strictEqual(s.status, 200);
            assert.match(String(s.cert.issuer.CN), /^Pebble Intermediate CA /);
            assert.deepStrictEqual(String(s.cert.subjectaltname).split(", ").sort(), NAMES.map((n) => `DNS:${n}`).sort());
            assert.match(s.head.toLowerCase(), /x-served-by: le-w1/);
            const plain = await httpGet(lb.ip, "/", WWW);
            assert.strictEqual(plain.status, 301);
            assert.strictEqual(plain.headers.location, `https://${WWW}/`);
        });

        it("renewal is scheduled and the deploy hook rebuilds haproxy.pem", async () => {
            const out = await onHost(
                lb.ip,
                "systemctl is-enabled certbot.timer; test -x /etc/letsencrypt/renewal-hooks/deploy/seed-web && echo hook; " +
                    "stat -c %a /etc/seed-web/tls/foobar.com/haproxy.pem; grep -c 'haproxy.pem' /etc/letsencrypt/renewal-hooks/deploy/seed-web",
            );
            const [timer, hook, mode, mentions] = out.trim().split("\n");
            assert.deepStrictEqual([timer, hook, mode], ["enabled", "hook", "600"]);
            assert.ok(Number(mentions) > 0);
        });

        it("a second apply changes nothing and asks the ACME server for nothing", async () => {
            await secondApplyAsksNothing(plan);
        });

        it("a forced renewal (standalone behind HAProxy again) puts the new certificate in HAProxy through the hook", async () => {
            await forcedRenewal(lb.ip, root, "haproxy");
        });
    });
});

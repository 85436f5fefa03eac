// Inside traffic (issue 25): the load balancer reaches the web hosts over TLS only, each web host's certificate
// issued by the stack's own CA for the address HAProxy dials and verified by HAProxy (health checks included); the
// web host refuses plain HTTP from the balancer, and a web host presenting a certificate the stack's CA did not sign
// is taken out of the rotation.
import * as assert from "assert";
import { PlannedCommand } from "../../tools/capture";
import { apply, bootHosts, destroy, destroyHosts, httpGet, onHost, planFor, summary, TestHost, waitForPage } from "./lib";

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)}s`;

describe("e2e: balancer → web over TLS verified with the stack's CA", function () {
    const lb: TestHost = { name: "rs2-lb", ip: "10.200.0.187", roles: ["lb"], rootfs: "warm" };
    const web: TestHost = { name: "rs2-web", ip: "10.200.0.188", roles: ["web", "app", "db"], rootfs: "warm" };
    const list = [lb, web];
    const site = "foobar.com";
    const ca = "/etc/seed-web/tls/backend.invalid/ca.pem";
    let plan: PlannedCommand[];

    before(async function () {
        this.timeout(900_000);
        await bootHosts(list);
        ({ plan } = await planFor(list, { firewall: "true" }));
        const runs = await apply(plan);
        console.log(`      up (${elapsed()}): ${summary(runs.map((r) => ({ op: "create" as const, ...r })))}`);
    });
    after(() => destroyHosts(list));

    it("HAProxy's backend line: TLS, the certificate verified against the stack's CA for the host dialled", async () => {
        const server = (await onHost(lb.ip, "grep -E '^ +server rs2-web ' /etc/haproxy/haproxy.cfg")).trim();
        assert.strictEqual(server, `server rs2-web ${web.ip}:443 check ssl verify required ca-file ${ca} verifyhost rs2-web.seed-web.invalid sni str(rs2-web.seed-web.invalid) check-sni rs2-web.seed-web.invalid`);
        // the page through the balancer, answered by the web host
        const page = await waitForPage(lb.ip, "/index.php", site, "seed-web");
        assert.strictEqual(page.headers["x-served-by"], web.name);
    });

    it("the web host refuses plain HTTP from the balancer and serves it TLS with a certificate of the stack's CA for its address", async () => {
        // plain HTTP: nothing listens on the private address (the loopback only, for the smoke check): refused on the
        // host itself (below the firewall), and no answer from the balancer
        const self = await onHost(web.ip, `curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H 'Host: ${site}' http://${web.ip}/ || echo " exit $?"`).then((o) => o.trim());
        assert.match(self, /exit 7$/, `plain HTTP on the private address: ${self}`);
        const plain = await onHost(lb.ip, `curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H 'Host: ${site}' http://${web.ip}/ || echo " exit $?"`).then((o) => o.trim());
        assert.match(plain, /exit (7|28)$/, `plain HTTP from the balancer: ${plain}`);
        const http = (await onHost(web.ip, "ss -Hltn 'sport = :80' | awk '{ print $4 }'")).trim();
        assert.deepStrictEqual(http.split("\n").sort(), ["127.0.0.1:80", "[::1]:80"].filter((a) => http.includes(a)).sort(), `port 80 listeners: ${http}`);
        assert.match(http, /^127\.0\.0\.1:80$/m);
        const local = await onHost(web.ip, `curl -s -o /dev/null -w '%{http_code}' -H 'Host: ${site}' http://127.0.0.1/`);
        assert.strictEqual(local, "200");
        // TLS from the balancer, verified against the stack's CA (curl: the certificate's IP address)
        const tls = await onHost(lb.ip, `curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert ${ca} https://${web.ip}/ -H 'Host: ${site}' || echo " exit $?"`).then((o) => o.trim());
        assert.strictEqual(tls, "200");
        // the firewall: 443 from the balancer only, 80 from nobody
        const ufw = await onHost(web.ip, "ufw status | grep -E '^(80|443)/tcp' || true");
        assert.match(ufw, new RegExp(`^443/tcp +ALLOW +${lb.ip.replace(/\./g, "\\.")} *$`, "m"));
        assert.doesNotMatch(ufw, /^80\/tcp/m);
    });

    it("a web host presenting a certificate the stack's CA did not sign is taken out of the rotation (503), and back once its own is in place", async function () {
        this.timeout(120_000);
        const dir = "/etc/seed-web/tls/backend.invalid";
        // an impostor's certificate for the very same address (self-signed), put where nginx reads the stack's
        await onHost(
            web.ip,
            `set -e
cp -a ${dir} /root/rs2-backend-saved
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=${web.ip} -addext subjectAltName=IP:${web.ip},DNS:rs2-web.seed-web.invalid \\
  -keyout ${dir}/privkey.pem -out ${dir}/fullchain.pem 2>/dev/null
systemctl reload nginx`,
        );
        const answer = async (want: number) => {
            const until = Date.now() + 30_000;
            let got = 0;
            while (Date.now() < until) {
                got = (await httpGet(lb.ip, "/index.php", site)).status;
                if (got === want) return got;
                await new Promise((r) => setTimeout(r, 500));
            }
            return got;
        };
        try {
            assert.strictEqual(await answer(503), 503, "HAProxy still sends requests to a web host whose certificate the stack's CA did not sign");
            const why = await onHost(lb.ip, "journalctl -u haproxy --no-pager -n 50 2>/dev/null | grep -i 'rs2-web' | tail -3 || true");
            console.log(`      HAProxy: ${why.trim().split("\n").pop() ?? ""}`);
        } finally {
            await onHost(web.ip, `rm -rf ${dir} && mv /root/rs2-backend-saved ${dir} && systemctl reload nginx`);
        }
        assert.strictEqual(await answer(200), 200, "the web host with the stack's certificate back is not back in the rotation");
    });

    it("destroy removes the stack's key and certificates for the hop (backend.invalid) from both hosts", async function () {
        this.timeout(300_000);
        const present = "ls -A /etc/seed-web/tls/backend.invalid 2>/dev/null | sort | paste -sd, -";
        assert.strictEqual((await onHost(web.ip, present)).trim(), "fullchain.pem,privkey.pem");
        assert.strictEqual((await onHost(lb.ip, present)).trim(), "ca.pem");
        const runs = await destroy(plan);
        console.log(`      destroy (${elapsed()}): ${summary(runs)}`);
        for (const h of list) assert.strictEqual((await onHost(h.ip, "ls -d /etc/seed-web/tls/backend.invalid 2>&1 || true")).trim(), "ls: cannot access '/etc/seed-web/tls/backend.invalid': No such file or directory", h.name);
    });
});

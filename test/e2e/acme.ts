// A local ACME server for the end-to-end tests: Pebble (Let's Encrypt's test server, Debian's `pebble` package) inside
// a test host of its own, so that the program's `tls: letsencrypt` path runs for real without leaving the test hosts.
//
// Pebble's ACME API is HTTPS only: its TLS certificate comes from a throwaway CA made here with openssl (the "ACME
// TLS CA"). The certificates Pebble issues chain to a root it generates at every start (the "Pebble root", served on
// its management port). A host under test trusts both through its system trust store, the way a real server trusts
// Let's Encrypt's API and ISRG Root X1 through the ca-certificates package: certbot (python3-requests, whose Debian
// certifi is the system bundle) and curl then need no test-only setting, and neither does the renewal timer.

import * as https from "https";
import { onHost, sshRun, TestHost } from "./lib";

export const ACME: TestHost = { name: "acme", ip: "10.200.0.40", roles: [] };
export const ACME_DIRECTORY = `https://${ACME.ip}:14000/dir`;
const MANAGEMENT = `https://${ACME.ip}:15000`;

/** A root shell script on a test host, sent on standard input (its stderr in the error). */
export async function script(ip: string, text: string, timeoutMs = 180_000): Promise<string> {
    const r = await sshRun({ host: ip, port: 22, user: "root" }, "bash -s", { stdin: `set -euo pipefail\n${text}`, timeoutMs });
    if (r.code !== 0) throw new Error(`script on ${ip} failed (exit ${r.code ?? r.signal}): ${r.stderr.trim().split("\n").slice(-12).join("\n")}`);
    return r.stdout;
}

/** Install Pebble and make its TLS certificate (for its address and name): once per acme host. Returns the ACME TLS CA. */
export async function installPebble(): Promise<string> {
    await script(
        ACME.ip,
        `
export DEBIAN_FRONTEND=noninteractive
apt-get -q update >/dev/null
apt-get -q -y --no-install-recommends install pebble openssl >/dev/null
d=/etc/pebble
install -d -m 0700 "$d"
cd "$d"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=seed-web e2e ACME TLS CA" \\
  -keyout ca.key -out ca.pem 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=${ACME.name}" -keyout key.pem -out req.csr 2>/dev/null
printf 'subjectAltName=IP:${ACME.ip},DNS:${ACME.name}\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' >ext.cnf
openssl x509 -req -in req.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile ext.cnf -out cert.pem 2>/dev/null
cat >config.json <<EOF
{"pebble": {"listenAddress": "0.0.0.0:14000", "managementListenAddress": "0.0.0.0:15000",
  "certificate": "$d/cert.pem", "privateKey": "$d/key.pem", "httpPort": 80, "tlsPort": 5001,
  "ocspResponderURL": "", "externalAccountBindingRequired": false}}
EOF
`,
    );
    return onHost(ACME.ip, "cat /etc/pebble/ca.pem");
}

/**
 * (Re)start Pebble with `names` resolving to `siteIp` (its /etc/hosts: Pebble validates http-01 challenges at
 * http://NAME:80/), and return the root it generated for this run. Validation without the sleep, no rejected nonces,
 * no reuse of earlier authorizations (a renewal answers its challenges again).
 */
export async function startPebble(tlsCa: string, names: string[], siteIp: string): Promise<string> {
    await script(
        ACME.ip,
        `
sed -i '/# seed-web e2e site$/d' /etc/hosts
echo '${siteIp} ${names.join(" ")} # seed-web e2e site' >>/etc/hosts
systemctl stop pebble 2>/dev/null || true
systemctl reset-failed pebble 2>/dev/null || true
systemd-run --quiet --unit=pebble --setenv=PEBBLE_VA_NOSLEEP=1 --setenv=PEBBLE_WFE_NONCEREJECT=0 --setenv=PEBBLE_AUTHZREUSE=0 \\
  /usr/bin/pebble -config /etc/pebble/config.json
`,
    );
    const until = Date.now() + 15_000;
    for (;;) {
        try {
            const dir = JSON.parse(await fetchText(ACME_DIRECTORY, tlsCa)) as { newOrder?: string };
            if (dir.newOrder) break;
        } catch (e) {
            if (Date.now() > until) throw new Error(`Pebble did not answer at ${ACME_DIRECTORY}: ${(e as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, 200));
    }
    return fetchText(`${MANAGEMENT}/roots/0`, tlsCa);
}

/** How many new-order requests Pebble has answered since its start (from its log). */
export async function pebbleOrders(): Promise<number> {
    return Number((await onHost(ACME.ip, "journalctl -q -u pebble --no-pager -o cat | grep -c 'POST /order-plz' || true")).trim());
}

/** GET over HTTPS from the runner, the server checked against `ca`. */
export function fetchText(url: string, ca: string): Promise<string> {
    return new Promise((resolve, reject) => {
        const req = https.get(url, { ca, timeout: 5_000 }, (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (d) => (body += d));
            res.on("end", () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: HTTP ${res.statusCode}: ${body.slice(0, 200)}`))));
        });
        req.on("timeout", () => req.destroy(new Error(`${url}: timed out`)));
        req.on("error", reject);
    });
}

/** Add CA certificates to a host's system trust store (/usr/local/share/ca-certificates + update-ca-certificates). */
export async function trust(ip: string, cas: Record<string, string>): Promise<void> {
    const files = Object.entries(cas)
        .map(([name, pem]) => `cat >/usr/local/share/ca-certificates/${name}.crt <<'PEM'\n${pem.trim()}\nPEM\n`)
        .join("");
    await script(ip, `command -v update-ca-certificates >/dev/null\n${files}update-ca-certificates >/dev/null 2>&1\n`);
}

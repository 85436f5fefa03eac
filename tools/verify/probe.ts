// The probes: scripts/probe.sh in ONE ssh session per host (host key checked: the stack's hostKey, else known_hosts,
// never StrictHostKeyChecking=no), and from the runner what really answers: TCP ports, a TLS handshake per protocol
// version, the certificate, the HTTP redirect.

import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as tls from "tls";
import { HTTP_PORT, HTTPS_PORT, TLS_PROTOCOLS, TlsProtocol } from "@seed-web/facts";
import { PROJECT_DIR } from "../stack-config";
import { CertificateInfo, HostTarget, RunnerProbe } from "./observe";

export const PROBE_SCRIPT = path.join(PROJECT_DIR, "scripts", "probe.sh");
/** The platform data (releases, engines, version-specific statements) the steps read too: sent before the probe. */
export const PLATFORM_SCRIPT = path.join(PROJECT_DIR, "scripts", "platform.sh");

/** What one probe session runs: platform.sh, then probe.sh. */
export function probeScriptText(): string {
    return `${fs.readFileSync(PLATFORM_SCRIPT, "utf8")}\n${fs.readFileSync(PROBE_SCRIPT, "utf8")}`;
}

export interface SshOptions {
    /** Private key file; undefined = the SSH agent. */
    identity?: string;
    /** known_hosts file for hosts without a hostKey (default: ssh's own, ~/.ssh/known_hosts). */
    knownHosts?: string;
    backupDir?: string;
    timeoutMs?: number;
}

export class HostUnreachable extends Error {}

/** The most verify reads from one host's probe session (a real nginx -T of hundreds of sites is a few MiB): more is
 * not read, the session is ended and the host reported as not checked, so a huge answer cannot exhaust the runner. */
export const MAX_PROBE_BYTES = 16 * 1024 * 1024;
/** ssh's stderr kept (its last lines name the failure). */
const MAX_STDERR_BYTES = 64 * 1024;
/** Response headers read over the HTTPS probe (HSTS). */
const MAX_HEADER_BYTES = 64 * 1024;

let pinDir: string | undefined;

/** The ssh arguments reaching `h` with its host key checked. */
export function sshArgs(h: HostTarget, o: SshOptions): string[] {
    const args = ["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR",
        "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=2", "-o", "ControlMaster=no", "-o", "ControlPath=none"];
    if (h.hostKey) {
        pinDir ??= fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-verify-"));
        const name = h.port === 22 ? h.address : `[${h.address}]:${h.port}`;
        const file = path.join(pinDir, crypto.createHash("sha256").update(`${name} ${h.hostKey}`).digest("hex").slice(0, 16));
        fs.writeFileSync(file, `${name} ${h.hostKey}\n`);
        const type = h.hostKey.split(" ")[0];
        args.push("-o", `UserKnownHostsFile=${file}`, "-o", "GlobalKnownHostsFile=/dev/null", "-o", "CheckHostIP=no",
            "-o", `HostKeyAlgorithms=${type === "ssh-rsa" ? "rsa-sha2-512,rsa-sha2-256" : type}`);
    } else if (o.knownHosts) {
        args.push("-o", `UserKnownHostsFile=${o.knownHosts}`);
    }
    const identity = h.identity ?? o.identity;
    if (identity) args.push("-i", identity, "-o", "IdentitiesOnly=yes");
    args.push("-p", String(h.port), `${h.user}@${h.address}`);
    return args;
}

/** Run scripts/probe.sh on the host in one session; its stdout. Throws HostUnreachable when ssh fails. */
export function sshProbe(h: HostTarget, o: SshOptions & { maxBytes?: number }): Promise<string> {
    const script = probeScriptText();
    const env = o.backupDir && /^\/[A-Za-z0-9_./-]{0,200}$/.test(o.backupDir) ? `LEMP_PROBE_BACKUP_DIR=${o.backupDir} ` : "";
    const remote = h.user === "root" ? `${env}bash -s` : `sudo -n ${env}bash -s`;
    return new Promise((resolve, reject) => {
        const child = spawn("ssh", [...sshArgs(h, o), remote], { stdio: ["pipe", "pipe", "pipe"] });
        const max = o.maxBytes ?? MAX_PROBE_BYTES;
        const chunks: Buffer[] = [];
        let size = 0;
        let tooBig = false;
        let err = "";
        child.stdout.on("data", (d: Buffer) => {
            if (tooBig) return;
            size += d.length;
            if (size > max) {
                tooBig = true;
                child.kill("SIGKILL");
                return;
            }
            chunks.push(d);
        });
        child.stderr.on("data", (d: Buffer) => {
            err += d.toString("utf8");
            if (err.length > MAX_STDERR_BYTES) err = err.slice(-MAX_STDERR_BYTES);
        });
        const timer = setTimeout(() => child.kill("SIGKILL"), o.timeoutMs ?? 30_000);
        child.on("error", (e) => {
            clearTimeout(timer);
            reject(new HostUnreachable(`ssh could not start: ${e.message}`));
        });
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            if (tooBig) return reject(new HostUnreachable(`${h.user}@${h.address}:${h.port}: the probe's answer exceeds ${max} bytes: not read further, the host not checked`));
            const out = Buffer.concat(chunks).toString("utf8");
            if (code === 0 && /^### end$/m.test(out)) return resolve(out);
            const why = err.trim().split("\n").filter(Boolean).slice(-2).join("; ") || (signal ? `killed (${signal}) after ${o.timeoutMs ?? 30_000} ms` : `exit ${code}`);
            reject(new HostUnreachable(`${h.user}@${h.address}:${h.port}: ${why}`));
        });
        child.stdin.on("error", () => undefined);
        child.stdin.end(script);
    });
}

export function portOpen(host: string, port: number, ms: number, local?: (address: string) => void): Promise<boolean> {
    return new Promise((resolve) => {
        const s = net.connect({ host, port, timeout: ms });
        s.on("connect", () => {
            if (local && s.localAddress) local(s.localAddress.replace(/^::ffff:/, ""));
            s.destroy();
            resolve(true);
        });
        s.on("timeout", () => {
            s.destroy();
            resolve(false);
        });
        s.on("error", () => resolve(false));
    });
}

let systemRoots: string[] | undefined;
function roots(extraCa?: string): string[] {
    if (!systemRoots) {
        systemRoots = [...tls.rootCertificates];
        for (const f of ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"]) {
            try {
                systemRoots.push(fs.readFileSync(f, "utf8"));
                break;
            } catch {
                /* not on this system */
            }
        }
    }
    return extraCa ? [...systemRoots, extraCa] : systemRoots;
}

interface Handshake {
    ok: boolean;
    cert?: CertificateInfo;
    hsts?: number;
}

function handshake(host: string, port: number, servername: string, version: TlsProtocol, ms: number, ca: string | undefined, wantCert: boolean): Promise<Handshake> {
    return new Promise((resolve) => {
        let settled = false;
        const done = (v: Handshake) => {
            if (settled) return;
            settled = true;
            socket.destroy();
            resolve(v);
        };
        const socket = tls.connect({
            host, port, servername, minVersion: version, maxVersion: version, rejectUnauthorized: false,
            // old versions need OpenSSL's security level 0 on this side to be attempted at all
            ciphers: "DEFAULT:@SECLEVEL=0", ca: roots(ca), timeout: ms, ALPNProtocols: ["http/1.1"],
        }, () => {
            if (!wantCert) return done({ ok: true });
            const peer = socket.getPeerCertificate(true);
            const names = String(peer.subjectaltname ?? "").split(/,\s*/).filter((n) => n.startsWith("DNS:")).map((n) => n.slice(4));
            const idError = tls.checkServerIdentity(servername, peer);
            const selfSigned = !!peer.issuerCertificate && peer.issuerCertificate.fingerprint256 === peer.fingerprint256;
            const trustError = socket.authorized ? idError?.message : String(socket.authorizationError ?? "not trusted");
            const cert: CertificateInfo = {
                subject: String(peer.subject?.CN ?? ""),
                issuer: String(peer.issuer?.CN ?? ""),
                selfSigned,
                trusted: socket.authorized && !idError,
                ...(trustError ? { trustError } : {}),
                names,
                daysLeft: Math.floor((Date.parse(peer.valid_to) - Date.now()) / 86_400_000),
            };
            // HSTS: one request over this connection
            let data = "";
            socket.setEncoding("utf8");
            socket.on("data", (d) => {
                data += d;
                if (data.length > MAX_HEADER_BYTES) return done({ ok: true, cert });
                if (data.includes("\r\n\r\n")) {
                    const m = /^strict-transport-security:\s*[^\r\n]*max-age=(\d+)/im.exec(data.split("\r\n\r\n")[0]);
                    done({ ok: true, cert, hsts: m ? Number(m[1]) : 0 });
                }
            });
            socket.on("end", () => done({ ok: true, cert }));
            socket.write(`GET / HTTP/1.1\r\nHost: ${servername}\r\nConnection: close\r\n\r\n`);
        });
        socket.on("timeout", () => done({ ok: false }));
        socket.on("error", () => done({ ok: false }));
        setTimeout(() => done({ ok: false }), ms + 200).unref();
    });
}

function httpProbe(host: string, port: number, servername: string, ms: number): Promise<{ status: number; location?: string } | undefined> {
    return new Promise((resolve) => {
        const req = http.get({ host, port, path: "/", headers: { Host: servername }, timeout: ms }, (res) => {
            res.resume();
            resolve({ status: res.statusCode ?? 0, ...(res.headers.location ? { location: String(res.headers.location) } : {}) });
        });
        req.on("timeout", () => req.destroy(new Error("timeout")));
        req.on("error", () => resolve(undefined));
    });
}

/** From the runner: which ports answer, TLS per version, the certificate and HSTS, the HTTP redirect. `published`: a
 * Docker host's port map (host port → the port published at `address`); a port it does not publish is closed to the
 * runner, and is not connected to (the runner's own services on that port are not the host's). */
export async function runnerProbe(address: string, servername: string, o: { ca?: string; ports: number[]; timeoutMs?: number; published?: Record<number, number> }): Promise<RunnerProbe> {
    const ms = o.timeoutMs ?? 1200;
    const ports = [...new Set([22, HTTP_PORT, HTTPS_PORT, ...o.ports])];
    const at = (p: number): number | undefined => (o.published ? o.published[p] : p);
    let from: string | undefined;
    const open = await Promise.all(ports.map((p) => (at(p) === undefined ? Promise.resolve(false) : portOpen(address, at(p)!, ms, (a) => (from ??= a)))));
    const out: RunnerProbe = { ports: Object.fromEntries(ports.map((p, i) => [p, open[i]])), ...(from ? { from } : {}) };
    const jobs: Promise<void>[] = [];
    if (out.ports[HTTPS_PORT]) {
        jobs.push(
            // a refused version fails at once (an alert); the longer timeout only matters on a busy host or runner
            Promise.all(TLS_PROTOCOLS.map((v) => handshake(address, at(HTTPS_PORT)!, servername, v, Math.max(ms, 3000), o.ca, v === "TLSv1.2" || v === "TLSv1.3"))).then((hs) => {
                const withCert = hs[3].cert ? hs[3] : hs[2];
                out.tls = {
                    protocols: Object.fromEntries(TLS_PROTOCOLS.map((v, i) => [v, hs[i].ok])),
                    ...(withCert.cert ? { certificate: withCert.cert } : {}),
                    ...(withCert.hsts !== undefined ? { hstsMaxAge: withCert.hsts } : {}),
                };
            }),
        );
    }
    if (out.ports[HTTP_PORT]) jobs.push(httpProbe(address, at(HTTP_PORT)!, servername, ms).then((h) => void (h && (out.http = h))));
    await Promise.all(jobs);
    return out;
}

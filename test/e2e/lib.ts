// The end-to-end harness: real Debian 12 test hosts (hosts.sh), the program's own remote commands captured under
// mocks, run over real ssh in dependency order, and checks from outside the hosts.

import { execFile, execFileSync, spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as tls from "tls";
import { Role } from "../../lib/config";
import { Capture, captureProgram, PlannedCommand, plannedCommands } from "../../tools/capture";
import { portOpen as probePortOpen } from "../../tools/verify/probe";

// next to this file under mocha (ts-node); from bin/test/e2e (a bench compiled by tsc -b), the source tree's
export const HOSTS_SH = [path.join(__dirname, "hosts.sh"), path.join(__dirname, "..", "..", "..", "test", "e2e", "hosts.sh")].find((p) => fs.existsSync(p)) ?? path.join(__dirname, "hosts.sh");
export const STATE = process.env.STATE ?? "/tmp/lemp-targets";
export const KEY = path.join(STATE, "id_ed25519");

export interface TestHost {
    name: string;
    ip: string;
    roles: Role[];
    init?: "systemd" | "simple";
    /**
     * "warm": boot from the rootfs where every step's packages are already installed, services disabled (hosts.sh
     * WARM=1), for tests that are not about installing; "cold" (default): the steps install everything themselves.
     */
    rootfs?: "cold" | "warm";
    /** The Debian release of its root filesystem (hosts.sh SUITE): bookworm (the default), trixie or sid. */
    suite?: "bookworm" | "trixie" | "sid";
    /** Where the program connects, when not to ip:22 (e.g. a port forwarded to the host). */
    connect?: { address: string; port: number };
    /** Held to this percent of one CPU (hosts.sh CPU_QUOTA): bench:scale's web hosts, each the same share. */
    cpuQuota?: number;
    /** Booted with this open-files limit, soft and hard (hosts.sh NOFILE): a container's, which no service can raise. */
    nofile?: number;
}

/** Run hosts.sh (as root); its log goes to the test output on failure. */
export function hosts(args: string[], init: "systemd" | "simple" = "systemd", timeoutMs = 300_000): string {
    try {
        return execFileSync("bash", [HOSTS_SH, ...args], {
            encoding: "utf8",
            env: { ...process.env, STATE, INIT: init },
            stdio: ["ignore", "pipe", "pipe"],
            timeout: timeoutMs,
        });
    } catch (e) {
        const err = e as { stderr?: string; stdout?: string; message: string };
        throw new Error(`hosts.sh ${args.join(" ")} failed: ${err.message}\n${err.stderr ?? ""}${err.stdout ?? ""}`);
    }
}

/** Boot test hosts in parallel (hosts.sh up for each, after net-up): unpacking a rootfs takes seconds of I/O each. */
export async function bootHosts(list: TestHost[]): Promise<void> {
    hosts(["net-up"]);
    await Promise.all(
        list.map(
            (h) =>
                new Promise<void>((resolve, reject) =>
                    // the first warm host of a run builds the warm rootfs, the first of a suite its debootstrap (the others wait)
                    execFile("bash", [HOSTS_SH, "up", h.name, h.ip], { env: { ...process.env, STATE, INIT: h.init ?? "systemd", SUITE: h.suite ?? "bookworm", WARM: h.rootfs === "warm" ? "1" : "0", CPU_QUOTA: h.cpuQuota ? String(h.cpuQuota) : "", NOFILE: h.nofile ? String(h.nofile) : "" }, timeout: 900_000 }, (err, _out, stderr) =>
                        err ? reject(new Error(`hosts.sh up ${h.name} ${h.ip} failed: ${err.message}\n${stderr}`)) : resolve(),
                    ),
                ),
        ),
    );
}

export function destroyHosts(list: TestHost[]): void {
    for (const h of list) hosts(["destroy", h.name], h.init ?? "systemd");
}

/** The stack config that points the program at the test hosts (ssh hosts, root, the test key). */
/** Two or more db hosts need the primary named (seed-web:dbPrimary): the first db host, unless the test names one. */
export function defaultPrimary(list: TestHost[]): { dbPrimary?: string } {
    const db = list.filter((h) => h.roles.includes("db"));
    return db.length > 1 ? { dbPrimary: db[0].name } : {};
}

export function stackFor(list: TestHost[], extra: Record<string, string> = {}) {
    return {
        raw: {
            hosts: JSON.stringify(
                list.map((h) => ({
                    name: h.name,
                    roles: h.roles,
                    connection: h.connect
                        ? { type: "ssh", address: h.connect.address, port: h.connect.port, privateAddress: h.ip }
                        : { type: "ssh", address: h.ip },
                })),
            ),
            ...defaultPrimary(list),
            ...extra,
        },
        secrets: { sshPrivateKey: fs.readFileSync(KEY, "utf8") },
    };
}

/** The program's local commands (the host key scan of each ssh host, trust on first use), run for real. */
export function runLocalCommand(create: string): string {
    try {
        return execFileSync("sh", ["-c", create], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 });
    } catch (e) {
        const err = e as { stderr?: string; message: string };
        throw new Error(`local command failed: ${err.stderr || err.message}`);
    }
}

/** What the real program would run against those hosts (the hosts must be up: their host keys are recorded). */
export async function planFor(
    list: TestHost[],
    extra: Record<string, string> = {},
    /** The generated passwords to keep (as the engine's state does between two `up`s); default: new ones. */
    passwords?: Map<string, string>,
): Promise<{ capture: Capture; plan: PlannedCommand[] }> {
    const capture = await captureProgram({ ...stackFor(list, extra), localCommand: runLocalCommand, passwords });
    return { capture, plan: plannedCommands(capture) };
}

/** A suite's hosts: booted, and the program's commands for them planned (with `extra` settings), before its tests;
 * destroyed after. The returned `plan` is filled in by the time the tests run. */
export function plannedSuite(list: TestHost[], extra: Record<string, string> = {}): { plan: PlannedCommand[] } {
    const suite = { plan: [] as PlannedCommand[] };
    before(async () => {
        await bootHosts(list);
        suite.plan = (await planFor(list, extra)).plan;
    });
    after(() => destroyHosts(list));
    return suite;
}

/** No host key check: for inspection (onHost) and targets that pin none. */
export const SSH_OPTS = [
    "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
    "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=5", "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3",
];

let knownHostsDir: string | undefined;

/**
 * The ssh options that pin a host key the way the program's connection does: a known_hosts file holding only that
 * key for that host and port, StrictHostKeyChecking=yes, and only that key's algorithm offered.
 */
export function pinnedSshOpts(target: { host: string; port: number; hostKey?: string }): string[] {
    if (!target.hostKey) return SSH_OPTS;
    const [type] = target.hostKey.split(" ");
    knownHostsDir ??= fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-known-hosts-"));
    const name = target.port === 22 ? target.host : `[${target.host}]:${target.port}`;
    const file = path.join(knownHostsDir, crypto.createHash("sha256").update(`${name} ${target.hostKey}`).digest("hex").slice(0, 16));
    if (!fs.existsSync(file)) fs.writeFileSync(file, `${name} ${target.hostKey}\n`);
    const algorithms = type === "ssh-rsa" ? "rsa-sha2-512,rsa-sha2-256" : type;
    return [
        "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${file}`, "-o", "GlobalKnownHostsFile=/dev/null",
        "-o", `HostKeyAlgorithms=${algorithms}`, "-o", "CheckHostIP=no",
        "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=5", "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3",
    ];
}

/** A connection's own private key as a file for ssh -i (one file per key, 0600). */
function keyFileFor(privateKey: string): string {
    knownHostsDir ??= fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-known-hosts-"));
    const file = path.join(knownHostsDir, `key-${crypto.createHash("sha256").update(privateKey).digest("hex").slice(0, 16)}`);
    if (!fs.existsSync(file)) fs.writeFileSync(file, privateKey, { mode: 0o600 });
    return file;
}

export interface RunResult {
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
    ms: number;
}

/** One command over real ssh, the way @pulumi/command's remote.Command runs it: command text + stdin, with the
 * connection's private key (else the test key). */
export function sshRun(
    target: { host: string; port: number; user: string; hostKey?: string; privateKey?: string },
    command: string,
    options: {
        stdin?: string;
        key?: string;
        killAfterMs?: number;
        /** Cut the connection (SIGKILL to ssh) once stderr matches, after `killDelayMs`. */
        killWhen?: RegExp;
        killDelayMs?: number;
        timeoutMs?: number;
    } = {},
): Promise<RunResult> {
    const started = Date.now();
    return new Promise((resolve) => {
        const child = spawn(
            "ssh",
            ["-i", options.key ?? (target.privateKey ? keyFileFor(target.privateKey) : KEY), ...pinnedSshOpts(target), "-p", String(target.port), `${target.user}@${target.host}`, command],
            { stdio: ["pipe", "pipe", "pipe"] },
        );
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        let cutScheduled = false;
        child.stderr.on("data", (d) => {
            stderr += d;
            if (options.killWhen && !cutScheduled && options.killWhen.test(stderr)) {
                cutScheduled = true;
                timers.push(setTimeout(() => child.kill("SIGKILL"), options.killDelayMs ?? 0));
            }
        });
        child.stdin.end(options.stdin ?? "");
        const timers = [
            options.killAfterMs !== undefined ? setTimeout(() => child.kill("SIGKILL"), options.killAfterMs) : undefined,
            setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 600_000),
        ];
        child.on("close", (code, signal) => {
            timers.forEach((t) => t && clearTimeout(t));
            resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
        });
    });
}

export interface StepRun extends RunResult {
    name: string;
    changed: number;
}

export class StepFailed extends Error {
    constructor(
        readonly step: string,
        readonly result: RunResult,
        target?: { host: string; port: number },
    ) {
        const where = target ? ` on ${target.host}:${target.port}` : "";
        super(`step ${step} failed${where} (exit ${result.code ?? result.signal}): ${result.stderr.trim().split("\n").slice(-8).join("\n")}`);
    }
}

/** The `changed=N` a script prints last. */
export function changedCount(stdout: string): number {
    const m = /(?:^|\n)changed=(\d+)\s*$/.exec(stdout);
    if (!m) throw new Error(`no changed=N line at the end of the output: ${JSON.stringify(stdout.slice(-200))}`);
    return Number(m[1]);
}

/** Apply a plan: each command once its dependencies succeeded, those ready at the same time in parallel. */
export async function apply(plan: PlannedCommand[], only?: (p: PlannedCommand) => boolean): Promise<StepRun[]> {
    const runs: StepRun[] = [];
    const done = new Set<string>();
    const todo = plan.filter((p) => !only || only(p));
    const skipped = new Set(plan.filter((p) => !todo.includes(p)).map((p) => p.name));
    while (todo.length > 0) {
        const ready = todo.filter((p) => p.after.every((a) => done.has(a) || skipped.has(a)));
        if (ready.length === 0) throw new Error(`nothing ready among ${todo.map((p) => p.name).join(", ")}`);
        const results = await Promise.all(
            ready.map(async (p) => {
                for (const u of p.uploads ?? []) await copyToRemote(p, u.source, u.remotePath);
                const r = await sshRun(p, p.create, { stdin: p.stdin });
                if (r.code !== 0) throw new StepFailed(p.name, r, p);
                return { name: p.name, ...r, changed: changedCount(r.stdout) };
            }),
        );
        for (const r of results) {
            runs.push(r);
            done.add(r.name);
            todo.splice(todo.findIndex((p) => p.name === r.name), 1);
        }
    }
    return runs;
}

/** A root shell command on a test host, for inspection. */
export async function onHost(ip: string, command: string): Promise<string> {
    const r = await sshRun({ host: ip, port: 22, user: "root" }, command, { timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`on ${ip}: ${command}: exit ${r.code}: ${r.stderr}`);
    return r.stdout;
}

export interface HttpAnswer {
    status: number;
    headers: http.IncomingHttpHeaders;
    body: string;
}

/** GET from outside the host, by its address, with the site's Host header. */
export function httpGet(ip: string, urlPath: string, hostHeader: string, port = 80): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
        const req = http.get({ host: ip, port, path: urlPath, headers: { Host: hostHeader }, timeout: 10_000 }, (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (d) => (body += d));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        });
        req.on("timeout", () => req.destroy(new Error(`GET http://${ip}:${port}${urlPath}: timed out`)));
        req.on("error", reject);
    });
}

export interface HttpsAnswer {
    status: number;
    /** The header lines by lower-cased name. */
    headers: Record<string, string>;
    /** The status line and the header lines, as received. */
    head: string;
    body: string;
    protocol: string;
    cert: tls.PeerCertificate;
}

/** GET `urlPath` over TLS from `ip`:443 with SNI and Host set to `servername` (HTTP/1.1, read by hand: the handshake
 * is the test's to choose). `options`: tls.connect's (ca, rejectUnauthorized, minVersion, maxVersion), and a timeout. */
export function httpsGet(ip: string, urlPath: string, servername: string, options: tls.ConnectionOptions & { timeoutMs?: number } = {}): Promise<HttpsAnswer> {
    const { timeoutMs = 10_000, ...tlsOptions } = options;
    return new Promise((resolve, reject) => {
        const socket = tls.connect({ host: ip, port: 443, servername, timeout: timeoutMs, ...tlsOptions }, () =>
            socket.write(`GET ${urlPath} HTTP/1.1\r\nHost: ${servername}\r\nConnection: close\r\n\r\n`),
        );
        let raw = "";
        socket.setEncoding("utf8");
        socket.on("data", (d) => (raw += d));
        socket.on("timeout", () => socket.destroy(new Error(`https://${ip}${urlPath}: timed out`)));
        socket.on("error", reject);
        socket.on("end", () => {
            const [head, ...rest] = raw.split("\r\n\r\n");
            const [statusLine, ...lines] = head.split("\r\n");
            const headers: Record<string, string> = {};
            for (const l of lines) {
                const i = l.indexOf(":");
                headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
            }
            resolve({ status: Number(statusLine.split(" ")[1]), headers, head, body: rest.join("\r\n\r\n"), protocol: socket.getProtocol() ?? "", cert: socket.getPeerCertificate() });
        });
    });
}

/** Poll until the page answers 200 with `marker` (after a reload the first answer can come from an old worker). */
export async function waitForPage(ip: string, urlPath: string, hostHeader: string, marker: string, ms = 15_000): Promise<HttpAnswer> {
    const until = Date.now() + ms;
    let last: HttpAnswer | Error | undefined;
    while (Date.now() < until) {
        try {
            last = await httpGet(ip, urlPath, hostHeader);
            if (last.status === 200 && last.body.includes(marker)) return last;
        } catch (e) {
            last = e as Error;
        }
        await new Promise((r) => setTimeout(r, 300));
    }
    throw new Error(`http://${ip}${urlPath} (Host: ${hostHeader}) did not show ${marker}: ${last instanceof Error ? last.message : `${last?.status} ${last?.body.slice(0, 300)}`}`);
}

/** The first packet a TCP server sends (MySQL greets first: protocol version 10, then its version string). */
export function tcpGreeting(ip: string, port: number, ms = 5_000): Promise<Buffer> {
    return new Promise((resolve, reject) => {
        const s = net.connect({ host: ip, port, timeout: ms });
        let data = Buffer.alloc(0);
        s.on("data", (d) => {
            data = Buffer.concat([data, d]);
            if (data.length >= 5) {
                s.destroy();
                resolve(data);
            }
        });
        s.on("timeout", () => s.destroy(new Error(`${ip}:${port}: no greeting within ${ms} ms`)));
        s.on("error", reject);
        s.on("close", () => reject(new Error(`${ip}:${port}: closed without a greeting`)));
    });
}

export function sh(cmd: string, args: string[]): Promise<string> {
    return new Promise((resolve, reject) =>
        execFile(cmd, args, { encoding: "utf8" }, (err, stdout, stderr) => (err ? reject(new Error(`${cmd}: ${stderr || err.message}`)) : resolve(stdout))),
    );
}

export interface RawAnswer {
    /** Everything the server sent before it closed (decrypted for TLS). */
    data: string;
    /** The connection's error (a rejected handshake), if any. */
    error?: string;
    status?: number;
    headers: Record<string, string>;
}

/** One request as raw text, over TCP or TLS (`servername`: the SNI; undefined = none), read until the server closes. */
export function raw(ip: string, port: number, request: string, useTls?: { servername?: string }): Promise<RawAnswer> {
    return new Promise((resolve) => {
        let data = "";
        let error: string | undefined;
        const socket: net.Socket = useTls
            ? tls.connect({ host: ip, port, servername: useTls.servername, rejectUnauthorized: false, ALPNProtocols: ["http/1.1"], timeout: 10_000 }, () => socket.write(request))
            : net.connect({ host: ip, port, timeout: 10_000 }, () => socket.write(request));
        socket.setEncoding("utf8");
        socket.on("data", (d) => (data += d));
        socket.on("timeout", () => socket.destroy(new Error("timed out")));
        socket.on("error", (e) => (error = e.message));
        socket.on("close", () => {
            const [head] = data.split("\r\n\r\n");
            const [statusLine, ...lines] = head.split("\r\n");
            const headers: Record<string, string> = {};
            for (const l of lines) {
                const i = l.indexOf(":");
                if (i > 0) headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
            }
            const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1];
            resolve({ data, error, status: status ? Number(status) : undefined, headers });
        });
    });
}
export const get = (pathname: string, host: string) => `GET ${pathname} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`;

/** Whether a TCP port accepts a connection from the runner (a firewall DROP shows as a timeout): verify's own probe. */
export const portOpen = (ip: string, port: number, ms = 1500): Promise<boolean> => probePortOpen(ip, port, ms);

// --- what the engine does with a changed program, and with destroy (the commands' deletes) ----------------------

export type Op = "create" | "update" | "replace" | "delete" | "same";

export interface EngineRun extends StepRun {
    op: Op;
}

export interface UpOptions {
    /**
     * The order of a replacement: as the program says (its deleteBeforeReplace option; else create-before-delete), or
     * forced one way for every replaced command (the suite runs both orders).
     */
    order?: "program" | "create-first" | "delete-first";
    /** Called right before a command's create runs (e.g. to put a request in flight on its host). */
    beforeRun?: (p: PlannedCommand) => Promise<void>;
}

/**
 * A CopyToRemote, as the provider does it (over the same connection): the directory copied to remotePath, or into it
 * when remotePath is an existing directory (then below the source's own name).
 */
export async function copyToRemote(target: PlannedCommand, source: string, remotePath: string): Promise<void> {
    const q = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;
    const remote = `set -e; p=${q(remotePath)}; d=$p; if [ -d "$p" ]; then d=$p/${q(path.basename(source))}; fi; mkdir -p -- "$d"; tar -xf - --no-same-owner -C "$d"`;
    const ssh = ["ssh", "-i", target.privateKey ? keyFileFor(target.privateKey) : KEY, ...pinnedSshOpts(target), "-p", String(target.port), `${target.user}@${target.host}`, remote];
    await new Promise<void>((resolve, reject) =>
        execFile("bash", ["-c", `set -o pipefail; tar -C "$1" -cf - . | "\${@:2}"`, "copy", source, ...ssh], { timeout: 300_000, maxBuffer: 16 << 20 }, (err, _o, stderr) =>
            err ? reject(new Error(`copy of ${source} to ${target.host}:${remotePath} failed: ${stderr || err.message}`)) : resolve(),
        ),
    );
}

async function runOn(p: PlannedCommand, text: string, op: Op): Promise<EngineRun> {
    // the copies it depends on, first (the engine runs them before it; a copy whose release is staged is harmless)
    if (op !== "delete") for (const u of p.uploads ?? []) await copyToRemote(p, u.source, u.remotePath);
    const r = await sshRun(p, text, { stdin: p.stdin });
    if (r.code !== 0) throw new StepFailed(`${p.name} (${op})`, r, p);
    return { name: p.name, op, ...r, changed: changedCount(r.stdout) };
}

/** A command's delete, with its own (old) state: text, connection and stdin, as the provider runs it; none for a
 * command retained on delete (seed-web:forget): the engine drops it from the state and never dials its host. */
async function runDelete(p: PlannedCommand): Promise<EngineRun> {
    if (p.delete === undefined || p.retainOnDelete) return { name: p.name, op: "delete", code: 0, signal: null, stdout: "", stderr: "", ms: 0, changed: 0 };
    return runOn(p, p.delete, "delete");
}

/**
 * `pulumi up` from the state `old` (the commands of the last deployment) to the program's `next`, the way the engine
 * goes: in dependency order, a new command is created; one whose triggers changed is replaced (the provider replaces
 * on triggers) — create-before-delete: the new create now, the old delete at the end; deleteBeforeReplace: the old
 * delete right before the new create; one whose other inputs changed is updated (its create runs again: no `update`
 * command); an unchanged one is left alone. At the end, the deletes of the replaced (create-before-delete) and of the
 * removed commands, in reverse dependency order of the old state.
 */
export async function up(old: PlannedCommand[], next: PlannedCommand[], options: UpOptions = {}): Promise<EngineRun[]> {
    const before = new Map(old.map((p) => [p.name, p]));
    const runs: EngineRun[] = [];
    const done = new Set<string>();
    const todo = [...next];
    const laterDeletes = new Set<string>();
    // as the engine does: each command starts as soon as the commands it depends on are done (not in waves: a
    // step that waits for another host's step, e.g. a new primary for its old one's writes to stop, must not hold
    // back the unrelated ones)
    const step = async (p: PlannedCommand): Promise<EngineRun[]> => {
        const was = before.get(p.name);
        if (options.beforeRun && (!was || was.triggers !== p.triggers || was.inputs !== p.inputs)) await options.beforeRun(p);
        if (!was) return [await runOn(p, p.create, "create")];
        if (was.triggers !== p.triggers) {
            const first = options.order === "delete-first" || ((options.order ?? "program") === "program" && p.deleteBeforeReplace);
            if (!first) {
                laterDeletes.add(p.name);
                return [await runOn(p, p.create, "replace")];
            }
            const del = await runDelete(was);
            return [del, await runOn(p, p.create, "replace")];
        }
        if (was.inputs !== p.inputs) return [await runOn(p, p.create, "update")];
        return [{ name: p.name, op: "same", code: 0, signal: null, stdout: "", stderr: "", ms: 0, changed: 0 }];
    };
    const running = new Map<string, Promise<{ p: PlannedCommand; r: EngineRun[] }>>();
    let failure: unknown;
    // what the engine's state holds after a failed update: the new version of each command that completed, the old
    // version of the others (a command that never ran keeps its last state), and the commands not yet deleted
    const withState = (e: unknown) => {
        const state = next.filter((p) => done.has(p.name)).concat(
            next.filter((p) => !done.has(p.name) && before.has(p.name)).map((p) => before.get(p.name)!),
            old.filter((p) => !next.some((q) => q.name === p.name)),
        );
        if (e instanceof Error) Object.assign(e, { state });
        return e;
    };
    while (todo.length > 0 || running.size > 0) {
        if (failure === undefined) {
            for (const p of todo.filter((q) => !running.has(q.name) && q.after.every((a) => done.has(a)))) {
                running.set(p.name, step(p).then((r) => ({ p, r }), (e) => { failure ??= e; return { p, r: [] }; }));
            }
        }
        if (running.size === 0) {
            if (failure !== undefined) throw withState(failure);
            throw new Error(`nothing ready among ${todo.map((p) => p.name).join(", ")}`);
        }
        const { p, r } = await Promise.race(running.values());
        running.delete(p.name);
        runs.push(...r);
        if (r.length > 0) done.add(p.name);
        todo.splice(todo.indexOf(p), 1);
    }
    if (failure !== undefined) throw withState(failure);
    const names = new Set(next.map((p) => p.name));
    for (const p of [...old].reverse()) {
        if (!names.has(p.name) || laterDeletes.has(p.name)) runs.push(await runDelete(p));
    }
    return runs;
}

/** `pulumi destroy`: every command's delete (with its state), in reverse dependency order. */
export async function destroy(state: PlannedCommand[]): Promise<EngineRun[]> {
    const runs: EngineRun[] = [];
    for (const p of [...state].reverse()) runs.push(await runDelete(p));
    return runs;
}

/** "name op changed=N" of the runs that did something. */
export const summary = (runs: EngineRun[]) => runs.filter((r) => r.op !== "same").map((r) => `${r.name} ${r.op} ${(r.ms / 1000).toFixed(1)}s changed=${r.changed}`).join(", ");

// A real Docker engine for the end-to-end suite (issue #10.1): Debian's dockerd in a network namespace of its own
// (lemp-dk-engine, 10.200.0.160 on br-lemp), a base image imported from the test hosts' cached Debian 12 root
// filesystem (no registry here), and the Docker resources the program registers (docker.Image, docker.Network,
// docker.Container, captured under mocks) applied with the Docker CLI, translated generically from their inputs.
// What only this runner needs is added on top, never instead: the base image (a build argument a user's build
// leaves at its default) and the mirror's name mapped to the relay on the bridge (build and container), the way the
// test hosts' /etc/hosts maps it.

import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Capture, CapturedResource, reveal } from "../../tools/capture";
import { hosts, STATE } from "./lib";

export const ENGINE_NS = "lemp-dk-engine";
const ENGINE_IP = "10.200.0.160";
const BRIDGE = "br-lemp";
const RELAY = "10.200.0.1";
const VETH = "vl-dk-engine";
const DATA_ROOT = "/var/lib/lemp-dk/docker";
const RUN = "/run/lemp-dk";
const SOCKET = `${RUN}/docker.sock`;
const PIDFILE = `${RUN}/dockerd.pid`;
const LOG = path.join(STATE, "dk-engine.log");
const ROOTFS_CACHE = process.env.CACHE ?? "/var/cache/lemp-target/bookworm-sd.tar.zst";
/** Debian's client, the same version as its dockerd (not whatever else is on PATH). */
export const DOCKER = "/usr/bin/docker";
export const BASE_IMAGE = "lemp-dk-base:bookworm";

const ENV = { ...process.env, DOCKER_HOST: `unix://${SOCKET}` };

/** The Docker CLI against the test engine. */
export function docker(args: string[], options: { timeoutMs?: number; input?: string } = {}): string {
    try {
        return execFileSync(DOCKER, args, {
            encoding: "utf8",
            env: ENV,
            input: options.input,
            stdio: ["pipe", "pipe", "pipe"],
            timeout: options.timeoutMs ?? 120_000,
            maxBuffer: 64 * 1024 * 1024,
        });
    } catch (e) {
        const err = e as { stderr?: string; stdout?: string; message: string };
        throw new Error(`docker ${args.join(" ")}: ${err.message}\n${(err.stderr ?? "").slice(-3000)}${(err.stdout ?? "").slice(-3000)}`);
    }
}

/** docker asynchronously (a build takes a minute: the event loop, and with it other tests' timers, keeps going). */
export function dockerAsync(args: string[], timeoutMs = 600_000): Promise<string> {
    return new Promise((resolve, reject) => {
        const child = spawn(DOCKER, args, { env: ENV, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (out += d));
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        child.on("close", (code) => {
            clearTimeout(timer);
            if (code === 0) resolve(out);
            else reject(new Error(`docker ${args.join(" ")}: exit ${code}\n${out.slice(-4000)}`));
        });
    });
}

function run(cmd: string, args: string[]): string {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 });
}

/** A command inside the engine's network namespace (where the published ports and the Docker networks are). */
export function inEngineNs(cmd: string, args: string[], timeoutMs = 30_000): { code: number; out: string } {
    try {
        const out = execFileSync("nsenter", [`--net=/run/netns/${ENGINE_NS}`, cmd, ...args], {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
            timeout: timeoutMs,
        });
        return { code: 0, out };
    } catch (e) {
        const err = e as { status?: number; stdout?: string; stderr?: string };
        return { code: err.status ?? 1, out: `${err.stdout ?? ""}${err.stderr ?? ""}` };
    }
}

/** The host names the base image's apt sources use: the test hosts' relay stands in for them. */
function mirrorHosts(): string[] {
    const sources = execFileSync("tar", ["--zstd", "-xOf", ROOTFS_CACHE, "./etc/apt/sources.list"], { encoding: "utf8" });
    const names = [...sources.matchAll(/^deb(?:-src)?\s+(?:\[[^\]]*\]\s+)?https?:\/\/([^/:\s]+)/gm)].map((m) => m[1]);
    if (names.length === 0) throw new Error(`no http mirror in ${ROOTFS_CACHE}:/etc/apt/sources.list`);
    return [...new Set(names)];
}

const bridges: number[] = [];

/**
 * Start dockerd in its own network namespace (a veth on br-lemp, so the build's and the container's apt reach the
 * mirror through the relay, as the test hosts do), and import the base image. `ip netns exec` would remount /sys
 * and hide the cgroup mounts dockerd needs ("Devices cgroup isn't mounted"): nsenter --net keeps them.
 */
export async function engineUp(): Promise<void> {
    // what a crashed run (or hosts.sh clean, which only kills the namespace) left behind
    if (fs.existsSync(`/run/netns/${ENGINE_NS}`) || fs.existsSync(DATA_ROOT) || fs.existsSync(RUN)) engineDown();
    hosts(["net-up"]);
    hosts(["cache"], "systemd", 900_000); // the base image comes from the test hosts' cached rootfs (built if missing)
    run("ip", ["netns", "add", ENGINE_NS]);
    run("ip", ["link", "add", VETH, "type", "veth", "peer", "name", "eth0", "netns", ENGINE_NS]);
    run("ip", ["link", "set", VETH, "master", BRIDGE, "up"]);
    run("ip", ["-n", ENGINE_NS, "link", "set", "lo", "up"]);
    run("ip", ["-n", ENGINE_NS, "addr", "add", `${ENGINE_IP}/24`, "dev", "eth0"]);
    run("ip", ["-n", ENGINE_NS, "link", "set", "eth0", "up"]);
    fs.mkdirSync(RUN, { recursive: true });
    fs.mkdirSync(DATA_ROOT, { recursive: true });
    const log = fs.openSync(LOG, "w");
    const daemon = spawn(
        "nsenter",
        [
            `--net=/run/netns/${ENGINE_NS}`, "/usr/sbin/dockerd",
            "--data-root", DATA_ROOT, "--exec-root", `${RUN}/exec`, "--pidfile", PIDFILE, "-H", `unix://${SOCKET}`,
            "--containerd-namespace", "lemp-dk", "--containerd-plugins-namespace", "lemp-dk-plugins",
            // iptables on: the NAT that takes the containers' traffic to the relay, and the published ports
            "--iptables=true", "--ip6tables=false", "--ipv6=false",
            // no DNS anywhere: a lookup fails at once; the mirror's name comes from --add-host
            "--dns", "127.0.0.1",
        ],
        { detached: true, stdio: ["ignore", log, log] },
    );
    daemon.unref();
    fs.closeSync(log);
    const until = Date.now() + 60_000;
    for (;;) {
        try {
            docker(["version", "--format", "{{.Server.Version}}"], { timeoutMs: 5_000 });
            break;
        } catch (e) {
            if (Date.now() > until) throw new Error(`dockerd did not start: ${(e as Error).message}\n${fs.readFileSync(LOG, "utf8").slice(-3000)}`);
            await new Promise((r) => setTimeout(r, 300));
        }
    }
    await new Promise<void>((resolve, reject) => {
        const child = spawn("bash", ["-o", "pipefail", "-c", `zstd -dc "$1" | "$2" import - "$3"`, "import", ROOTFS_CACHE, DOCKER, BASE_IMAGE], {
            env: ENV,
            stdio: ["ignore", "ignore", "pipe"],
        });
        let err = "";
        child.stderr.on("data", (d) => (err += d));
        child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`docker import: ${err}`))));
    });
    // dpkg without fsync in the test's base image, as on the test hosts: the suite's machine is slow at it
    docker(["run", "--name", "lemp-dk-base-prep", "--network", "none", BASE_IMAGE, "sh", "-c", "echo force-unsafe-io >/etc/dpkg/dpkg.cfg.d/lemp-unsafe-io"]);
    docker(["commit", "lemp-dk-base-prep", BASE_IMAGE]);
    docker(["rm", "lemp-dk-base-prep"]);
}

/** Containers removed, dockerd stopped, what is left in its namespace killed by PID, the namespace and data gone. */
export function engineDown(): void {
    for (const pid of bridges.splice(0)) {
        try {
            process.kill(pid, "SIGTERM");
        } catch {
            /* already gone */
        }
    }
    try {
        const ids = docker(["ps", "-aq"], { timeoutMs: 10_000 }).split("\n").filter(Boolean);
        if (ids.length > 0) docker(["rm", "-f", ...ids], { timeoutMs: 60_000 });
    } catch {
        /* the engine is not running */
    }
    const pid = fs.existsSync(PIDFILE) ? Number(fs.readFileSync(PIDFILE, "utf8").trim()) : 0;
    let comm = "";
    try {
        comm = fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim(); // a stale pid file names someone else
    } catch {
        /* not running */
    }
    if (comm === "dockerd") {
        try {
            process.kill(pid, "SIGTERM");
            execFileSync("bash", ["-c", `for i in $(seq 1 100); do kill -0 ${pid} 2>/dev/null || exit 0; sleep 0.2; done; exit 1`]);
        } catch {
            /* gone, or did not stop in 20 s: the namespace's processes are killed below */
        }
    }
    for (let i = 0; i < 50; i++) {
        let left: number[] = [];
        try {
            left = run("ip", ["netns", "pids", ENGINE_NS]).split("\n").filter(Boolean).map(Number);
        } catch {
            break;
        }
        if (left.length === 0) break;
        for (const p of left) {
            try {
                process.kill(p, "SIGKILL");
            } catch {
                /* gone */
            }
        }
        execFileSync("sleep", ["0.1"]);
    }
    try {
        run("ip", ["netns", "del", ENGINE_NS]);
    } catch {
        /* not there */
    }
    // dockerd mounts below its directories and makes its data root a mount of its own (a bind mount on itself): a run
    // killed while the engine ran leaves both, and the directory cannot be removed until they are unmounted (deepest first)
    const mounts = fs.readFileSync("/proc/self/mountinfo", "utf8").split("\n").map((line) => line.split(" ")[4]).filter(Boolean);
    for (const dir of [DATA_ROOT, RUN]) {
        const under = mounts.filter((mp) => mp === dir || mp.startsWith(`${dir}/`)).sort((a, b) => b.length - a.length);
        for (const mp of under) {
            try {
                run("umount", ["-l", mp]);
            } catch {
                /* already gone */
            }
        }
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** Input keys a translation handles; any other key fails the test, so nothing the program sets is silently dropped. */
function onlyKeys(r: CapturedResource, inputs: Record<string, unknown>, known: string[]): void {
    const unknown = Object.keys(inputs).filter((k) => !known.includes(k));
    if (unknown.length > 0) throw new Error(`${r.type} ${r.name}: no Docker CLI translation for ${unknown.join(", ")}`);
}

export interface DockerApplied {
    containers: { name: string; ports: { ip: string; external: number; internal: number }[] }[];
}

/**
 * Create what the program registers, in registration order (its dependencies come first): images built, networks
 * created, containers created, their uploads copied in, then started.
 */
export async function applyDocker(capture: Capture): Promise<DockerApplied> {
    const mirrors = mirrorHosts().map((h) => `${h}:${RELAY}`);
    const applied: DockerApplied = { containers: [] };
    for (const r of capture.resources) {
        if (!r.type.startsWith("docker:")) continue;
        const inputs = reveal(r.inputs) as Record<string, unknown>;
        switch (r.type) {
            case "docker:index/image:Image": {
                // buildOnPreview only matters to `pulumi preview`
                onlyKeys(r, inputs, ["imageName", "build", "skipPush", "buildOnPreview"]);
                if (inputs.skipPush !== true) throw new Error(`${r.name}: pushes the image (no registry here)`);
                const build = inputs.build as Record<string, unknown>;
                onlyKeys(r, build, ["context", "platform", "args", "dockerfile"]);
                const args = ["build", "-t", String(inputs.imageName)];
                if (build.platform) args.push("--platform", String(build.platform));
                if (build.dockerfile) args.push("-f", String(build.dockerfile));
                for (const [k, v] of Object.entries((build.args ?? {}) as Record<string, string>)) args.push("--build-arg", `${k}=${v}`);
                args.push("--build-arg", `BASE_IMAGE=${BASE_IMAGE}`, ...mirrors.flatMap((m) => ["--add-host", m]));
                await dockerAsync([...args, String(build.context)]);
                break;
            }
            case "docker:index/network:Network": {
                onlyKeys(r, inputs, ["name", "ipamConfigs", "driver"]);
                const args = ["network", "create"];
                if (inputs.driver) args.push("--driver", String(inputs.driver));
                for (const ipam of (inputs.ipamConfigs ?? []) as Record<string, unknown>[]) {
                    onlyKeys(r, ipam, ["subnet", "gateway"]);
                    if (ipam.subnet) args.push("--subnet", String(ipam.subnet));
                    if (ipam.gateway) args.push("--gateway", String(ipam.gateway));
                }
                docker([...args, String(inputs.name)]);
                break;
            }
            case "docker:index/container:Container": {
                onlyKeys(r, inputs, ["name", "hostname", "image", "envs", "ports", "uploads", "networksAdvanced", "restart", "stopTimeout", "capabilities"]);
                const name = String(inputs.name);
                const args = ["create", "--name", name];
                if (inputs.hostname) args.push("--hostname", String(inputs.hostname));
                for (const e of (inputs.envs ?? []) as string[]) args.push("-e", e);
                const ports = ((inputs.ports ?? []) as Record<string, unknown>[]).map((p) => {
                    onlyKeys(r, p, ["internal", "external", "ip", "protocol"]);
                    return { ip: String(p.ip ?? "0.0.0.0"), external: Number(p.external), internal: Number(p.internal), protocol: String(p.protocol ?? "tcp") };
                });
                for (const p of ports) args.push("-p", `${p.ip}:${p.external}:${p.internal}/${p.protocol}`);
                const nets = (inputs.networksAdvanced ?? []) as Record<string, unknown>[];
                if (nets.length > 1) throw new Error(`${r.name}: more than one network`);
                for (const n of nets) {
                    onlyKeys(r, n, ["name", "ipv4Address"]);
                    args.push("--network", String(n.name));
                    if (n.ipv4Address) args.push("--ip", String(n.ipv4Address));
                }
                if (inputs.restart) args.push("--restart", String(inputs.restart));
                if (inputs.stopTimeout !== undefined) args.push("--stop-timeout", String(inputs.stopTimeout));
                const caps = (inputs.capabilities ?? {}) as { adds?: string[]; drops?: string[] };
                for (const c of caps.adds ?? []) args.push("--cap-add", c);
                for (const c of caps.drops ?? []) args.push("--cap-drop", c);
                args.push(...mirrors.flatMap((m) => ["--add-host", m]));
                docker([...args, String(inputs.image)]);
                const dir = fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-dk-upload-"));
                try {
                    for (const u of (inputs.uploads ?? []) as Record<string, unknown>[]) {
                        onlyKeys(r, u, ["file", "content", "permissions"]);
                        const local = path.join(dir, path.basename(String(u.file)));
                        fs.writeFileSync(local, String(u.content), { mode: parseInt(String(u.permissions ?? "0644"), 8) });
                        fs.chmodSync(local, parseInt(String(u.permissions ?? "0644"), 8));
                        docker(["cp", local, `${name}:${u.file}`]);
                    }
                } finally {
                    fs.rmSync(dir, { recursive: true, force: true });
                }
                docker(["start", name]);
                applied.containers.push({ name, ports });
                break;
            }
            default:
                throw new Error(`no Docker CLI translation for ${r.type} (${r.name})`);
        }
    }
    return applied;
}

/**
 * The ports a container publishes on 127.0.0.1 live in the engine's namespace: the same port on the runner's
 * loopback is bridged to each (socat through a unix socket), so the program's connections (127.0.0.1:2222) and the
 * checks reach them unchanged.
 */
export function bridgePublishedPorts(applied: DockerApplied): void {
    for (const c of applied.containers) {
        for (const p of c.ports) {
            if (p.ip !== "127.0.0.1") continue;
            const sock = `${RUN}/port-${p.external}.sock`;
            const inner = spawn("nsenter", [`--net=/run/netns/${ENGINE_NS}`, "socat", `UNIX-LISTEN:${sock},fork,unlink-early`, `TCP:127.0.0.1:${p.external}`], {
                detached: true,
                stdio: "ignore",
            });
            const outer = spawn("socat", [`TCP-LISTEN:${p.external},bind=127.0.0.1,reuseaddr,fork`, `UNIX-CONNECT:${sock}`], { detached: true, stdio: "ignore" });
            for (const child of [inner, outer]) {
                child.unref();
                if (child.pid) bridges.push(child.pid);
            }
        }
    }
}

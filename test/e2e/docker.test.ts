// The dev stack's Docker host under a real Docker engine (issue #10.1): the program's docker.Image, docker.Network
// and docker.Container applied with the Docker CLI (test/e2e/docker.ts), then its remote commands run over SSH
// through the published port exactly as captured. The dev stack (Pulumi.dev.yaml) with the firewall and backups on,
// so that a restart has every kind of step to bring back.
import * as assert from "assert";
import { DOCKER_STOP_TIMEOUT_SECONDS } from "../../components/host";
import { Capture, captureProgram, PlannedCommand, plannedCommands } from "../../tools/capture";
import { readStackFile, stackFilePath } from "../../tools/stack-config";
import { apply, httpGet, sshRun, StepRun, tcpGreeting } from "./lib";
import { applyDocker, bridgePublishedPorts, docker, DockerApplied, engineDown, engineUp, inEngineNs } from "./docker";

const WWW = "www.foobar.com";

function stepTimes(runs: StepRun[]): string {
    return runs.map((r) => `${r.name} ${(r.ms / 1000).toFixed(1)}s changed=${r.changed}`).join(", ");
}

/** Whether a TCP port of the container accepts a connection from the engine's side of the Docker bridge. */
function openFromBridge(ip: string, port: number): boolean {
    return inEngineNs("timeout", ["3", "bash", "-c", `exec 3<>/dev/tcp/${ip}/${port}`]).code === 0;
}

describe("e2e: the dev stack's Docker host under a real Docker engine", function () {
    let capture: Capture;
    let plan: PlannedCommand[];
    let applied: DockerApplied;
    let container: string;
    let address: string;
    const exec = (cmd: string) => docker(["exec", container, "bash", "-c", cmd]);
    /** The program's own connection (127.0.0.1:2222, its key, its pinned host key) answers. */
    const waitForSsh = async (ms = 60_000) => {
        const until = Date.now() + ms;
        let last = "";
        while (Date.now() < until) {
            const r = await sshRun(plan[0], "true", { timeoutMs: 10_000 });
            if (r.code === 0) return;
            last = r.stderr;
            await new Promise((res) => setTimeout(res, 500));
        }
        throw new Error(`no SSH through 127.0.0.1:2222: ${last}`);
    };

    before(async function () {
        const { raw } = readStackFile(stackFilePath("dev"));
        capture = await captureProgram({ raw: { ...raw, firewall: "true", backups: "true" }, stack: "dev" });
        plan = plannedCommands(capture);
        await engineUp();
        applied = await applyDocker(capture);
        bridgePublishedPorts(applied);
        container = applied.containers[0].name;
        address = docker(["inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", container]).trim();
        await waitForSsh();
    });
    after(() => {
        if (process.env.LEMP_DK_KEEP !== "1") engineDown(); // LEMP_DK_KEEP=1: the engine stays up, to look around
    });

    it("the container is what the program registered: ports published on 127.0.0.1, its fixed address, restart policy, NET_ADMIN, stop timeout", () => {
        assert.deepStrictEqual(applied.containers.length, 1);
        const ports = JSON.parse(docker(["inspect", "-f", "{{json .HostConfig.PortBindings}}", container]));
        assert.deepStrictEqual(ports, {
            "22/tcp": [{ HostIp: "127.0.0.1", HostPort: "2222" }],
            "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "8080" }],
            "443/tcp": [{ HostIp: "127.0.0.1", HostPort: "8443" }],
            "3306/tcp": [{ HostIp: "127.0.0.1", HostPort: "3306" }],
        });
        assert.strictEqual(address, "172.30.88.10");
        assert.strictEqual(
            docker(["inspect", "-f", "{{.HostConfig.RestartPolicy.Name}} {{json .HostConfig.CapAdd}} {{.Config.StopTimeout}}", container]).trim(),
            `unless-stopped ["NET_ADMIN"] ${DOCKER_STOP_TIMEOUT_SECONDS}`,
        );
    });

    it("every step but the firewall: the static and PHP pages on 127.0.0.1:8080 for the domain, MySQL on 127.0.0.1:3306 as the dev stack publishes it", async function () {
        this.timeout(1_200_000); // the first apt install: 2-4 min on an idle runner, 9.5 min seen on a 2-core one at load 30
        // without the firewall step, its dependents still wait for what it waits for (apply's `only` would let them
        // start at once: base and database then ran apt side by side and one failed on apt's lock)
        const fw = plan.find((p) => p.facts.step === "firewall")!;
        const withoutFirewall = plan.filter((p) => p !== fw).map((p) => ({ ...p, after: p.after.flatMap((a) => (a === fw.name ? fw.after : [a])) }));
        const runs = await apply(withoutFirewall);
        console.log(`      first apply (no firewall): ${stepTimes(runs)}`);
        await waitForPage8080("/", "seed-web:static");
        await waitForPage8080("/index.php", "Hello from MySQL");
        // mysqld itself answers through the published port: its handshake, or "host not allowed" (1130: the
        // application user exists for localhost only; the proxied connection comes from the Docker bridge)
        const payload = (await tcpGreeting("127.0.0.1", 3306)).subarray(4);
        if (payload[0] !== 10) {
            assert.strictEqual(payload[0], 0xff, `not a MySQL packet: ${payload.toString("hex")}`);
            assert.strictEqual(payload.readUInt16LE(1), 1130, payload.toString("latin1"));
        }
    });

    it("the firewall step: ufw inside the container filters (3306 refused from the host side of the Docker bridge; 22 and 80 open); a second apply changes nothing", async () => {
        const runs = await apply(plan);
        console.log(`      apply with the firewall: ${stepTimes(runs)}`);
        assert.match(exec("ufw status"), /^Status: active/m);
        assert.strictEqual(openFromBridge(address, 80), true, "80 open");
        assert.strictEqual(openFromBridge(address, 22), true, "22 open");
        assert.strictEqual(openFromBridge(address, 3306), false, "3306 filtered by ufw");
        await assert.rejects(tcpGreeting("127.0.0.1", 3306, 3_000), "no MySQL greeting through the published port");
        const again = await apply(plan);
        console.log(`      second apply: ${stepTimes(again)}`);
        assert.deepStrictEqual(again.filter((r) => r.changed !== 0).map((r) => `${r.name} changed=${r.changed}`), []);
    });

    it("docker restart brings back the site and what the steps enabled: ufw active and filtering, cron, the database", async () => {
        docker(["restart", container], { timeoutMs: 120_000 });
        await waitForSsh();
        await waitForPage8080("/index.php", "Hello from MySQL");
        assert.match(exec("ufw status"), /^Status: active/m);
        assert.strictEqual(openFromBridge(address, 3306), false, "3306 filtered by ufw after the restart");
        assert.strictEqual(openFromBridge(address, 80), true, "80 open after the restart");
        assert.match(exec("pgrep -x cron && echo cron-running"), /cron-running/);
        assert.match(exec("test -f /etc/cron.d/seed-web-backup && echo backup-scheduled"), /backup-scheduled/);
    });

    it("docker stop shuts the database down cleanly: it exits in time, and the next start does no crash recovery", async () => {
        const started = Date.now();
        docker(["stop", container], { timeoutMs: 180_000 });
        const ms = Date.now() - started;
        const state = docker(["inspect", "-f", "{{.State.ExitCode}} {{.State.OOMKilled}}", container]).trim();
        assert.strictEqual(state, "0 false", `exit status after docker stop (${ms} ms)`);
        docker(["start", container]);
        await waitForSsh();
        await waitForPage8080("/index.php", "Hello from MySQL");
        // the database server logs to syslog (mysqld_safe); the image's rsyslog keeps it in /var/log/syslog
        const log = exec("grep -a ' mysqld' /var/log/syslog || true");
        const starts = [...log.matchAll(/Starting MariaDB|mariadbd \(server [^)]*\) starting as process|mysqld \(mysqld [^)]*\) starting as process/g)].map((m) => m.index!);
        assert.ok(starts.length >= 2, `the server's log shows its starts: ${log.slice(-2000)}`);
        const beforeLast = log.slice(starts[starts.length - 2], starts[starts.length - 1]);
        assert.match(beforeLast, /Shutdown complete/, "the stop before the last start was a clean shutdown");
        assert.doesNotMatch(log.slice(starts[starts.length - 1]), /crash recovery|was not closed properly|Starting recovery/i);
    });
});

/** The site on the published HTTP port (127.0.0.1:8080), Host: www.<domain>. */
function waitForPage8080(urlPath: string, marker: string) {
    return waitForPageOn(8080, urlPath, marker);
}

async function waitForPageOn(port: number, urlPath: string, marker: string, ms = 30_000) {
    const until = Date.now() + ms;
    let last = "";
    while (Date.now() < until) {
        try {
            const a = await httpGet("127.0.0.1", urlPath, WWW, port);
            if (a.status === 200 && a.body.includes(marker)) return a;
            last = `${a.status} ${a.body.slice(0, 300)}`;
        } catch (e) {
            last = (e as Error).message;
        }
        await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`http://127.0.0.1:${port}${urlPath} (Host: ${WWW}) did not show ${marker}: ${last}`);
}

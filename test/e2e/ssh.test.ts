// The SSH path on real hosts (issues #8.2, #8.3, #9.3): host keys pinned (a changed key stops the next apply),
// the firewall never cuts the SSH path (a host reached through a forwarded port), and what the steps enabled comes
// back after a restart of a host without systemd (whose PID 1 is the project's docker/entrypoint.sh).
import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import { PlannedCommand } from "../../tools/capture";
import { apply, bootHosts, destroyHosts, hosts, httpGet, onHost, planFor, portOpen, sshRun, StepFailed, TestHost, waitForPage } from "./lib";

const WWW = "www.foobar.com";
const FORWARD_PORT = 22141;

const keyHost: TestHost = { name: "ssh-key", ip: "10.200.0.140", roles: ["web", "app", "db"], rootfs: "warm" };
const fwdHost: TestHost = { name: "ssh-fwd", ip: "10.200.0.141", roles: ["web", "app", "db"], rootfs: "warm", connect: { address: "127.0.0.1", port: FORWARD_PORT } };
const plainHost: TestHost = { name: "ssh-plain", ip: "10.200.0.142", roles: ["web", "app", "db"], rootfs: "warm", init: "simple" };

/** A plan's commands with their connections (host, port, key) but a no-op script: what the pinning test needs. */
const noop = (plan: PlannedCommand[]) => plan.map((p) => ({ ...p, create: "echo changed=0", stdin: undefined }));

describe("e2e: the SSH path", function () {
    let forward: ChildProcess | undefined;
    const settings = { firewall: "true", backups: "true", monitoring: "true", monitoringAllowFrom: '["10.200.0.1"]' };
    let keyPlan: PlannedCommand[];
    let fwdPlan: PlannedCommand[];
    let plainPlan: PlannedCommand[];
    // the two long applies (apt) run at once, while the host key tests run
    let fwdBase: Promise<unknown>;
    let plainApply: Promise<unknown>;

    before(async () => {
        await bootHosts([keyHost, fwdHost, plainHost]);
        // the forwarded port: 127.0.0.1:22141 on the runner → ssh-fwd's sshd on 22
        forward = spawn("socat", [`TCP-LISTEN:${FORWARD_PORT},bind=127.0.0.1,reuseaddr,fork`, `TCP:${fwdHost.ip}:22`], { stdio: "ignore" });
        await new Promise((r) => setTimeout(r, 500));
        [{ plan: keyPlan }, { plan: fwdPlan }, { plan: plainPlan }] = await Promise.all([
            planFor([keyHost]),
            planFor([fwdHost], { firewall: "true" }),
            planFor([plainHost], settings),
        ]);
        const settle = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);
        fwdBase = settle(apply(fwdPlan, (p) => p.facts.step === "base"));
        plainApply = settle(apply(plainPlan));
    });
    after(() => {
        forward?.kill();
        destroyHosts([keyHost, fwdHost, plainHost]);
    });
    const ok = async (p: Promise<unknown>) => {
        const e = await p;
        if (e) throw e;
    };

    describe("host keys (trust on first use)", function () {
        it("the key seen at the first run is pinned: the commands connect with strict host key checking", async () => {
            const real = (await onHost(keyHost.ip, "cat /etc/ssh/ssh_host_ecdsa_key.pub")).split(" ").slice(0, 2).join(" ");
            for (const p of keyPlan) assert.strictEqual(p.hostKey, real, p.name);
            const runs = await apply(noop(keyPlan));
            assert.strictEqual(runs.length, keyPlan.length);
        });

        it("a host whose key changed stops the next apply, with an error naming the host", async () => {
            await onHost(keyHost.ip, "rm -f /etc/ssh/ssh_host_*; ssh-keygen -q -A; systemctl restart ssh");
            await assert.rejects(apply(noop(keyPlan)), (e: unknown) => {
                assert.ok(e instanceof StepFailed, String(e));
                assert.match(e.message, /ssh-key-base failed on 10\.200\.0\.140:22/);
                assert.match(e.message, /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
                return true;
            });
            // a new first use (pulumi up --replace of the host's host-key resource) pins the new key
            const { plan: again } = await planFor([keyHost]);
            assert.notStrictEqual(again[0].hostKey, keyPlan[0].hostKey);
            await apply(noop(again));
        });
    });

    describe("the firewall, on a host reached through a forwarded port", function () {
        const only = (p: PlannedCommand) => p.facts.step === "base" || p.facts.step === "firewall";

        it("refuses, before any change, when the connection it runs over could not survive", async () => {
            await ok(fwdBase);
            const plan = fwdPlan;
            const fw = plan.find((p) => p.facts.step === "firewall")!;
            // as if sshd had accepted this session on a port that neither the rules nor sshd -T allow
            const r = await sshRun(fw, `SSH_CONNECTION='10.200.0.1 40000 ${fwdHost.ip} 2999' ${fw.create}`);
            assert.strictEqual(r.code, 4, r.stderr);
            assert.match(r.stderr, /this SSH connection \(from 10\.200\.0\.1 to 10\.200\.0\.141 port 2999\) would not survive the firewall/);
            assert.match(await onHost(fwdHost.ip, "ufw status"), /Status: inactive/);
        });

        it("allows the port sshd listens on: a second apply through the forward still connects", async () => {
            const plan = fwdPlan;
            assert.ok(fwdHost.connect && plan.every((p) => p.host === "127.0.0.1" && p.port === FORWARD_PORT));
            await apply(plan, only);
            assert.match(await onHost(fwdHost.ip, "ufw status"), /Status: active[\s\S]*\b22\/tcp\s+ALLOW/);
            const second = await apply(plan, only);
            assert.deepStrictEqual(second.map((r) => [r.name, r.changed]), [["ssh-fwd-base", 0], ["ssh-fwd-firewall", 0]]);
        });
    });

    describe("a host without systemd, restarted", function () {

        const check = async (when: string) => {
            assert.match(await onHost(plainHost.ip, "ufw status"), /Status: active/, `${when}: ufw`);
            assert.strictEqual(await portOpen(plainHost.ip, 3306), false, `${when}: 3306 is not filtered`);
            assert.match(await onHost(plainHost.ip, "pgrep -x cron >/dev/null && echo cron"), /cron/, `${when}: cron`);
            const metrics = await httpGet(plainHost.ip, "/metrics", plainHost.ip, 9100);
            assert.match(metrics.body, /^node_/m, `${when}: the node exporter`);
            await waitForPage(plainHost.ip, "/index.php", WWW, "Hello from MySQL", 30_000);
        };

        it("firewall, backups, monitoring and the site are up after the apply", async () => {
            await ok(plainApply);
            assert.deepStrictEqual(plainPlan.map((p) => p.facts.step).sort(), ["app", "backup", "base", "database", "firewall", "monitoring", "nginx", "php", "smoke"]);
            assert.strictEqual(await onHost(plainHost.ip, "test -d /run/systemd/system && echo systemd || echo none"), "none\n");
            await check("after the apply");
        });

        it("and again after the host restarts (stop + start): its PID 1 brings back what the steps enabled", async () => {
            hosts(["stop", plainHost.name]);
            hosts(["start", plainHost.name]);
            assert.match(await onHost(plainHost.ip, "tr '\\0' ' ' </proc/1/cmdline"), /seed-web-entrypoint/);
            await check("after the restart");
        });
    });
});

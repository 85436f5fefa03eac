// Benchmark: what provisioning the seed stack costs on a real host, as ratios to floors measured in the same run.
//   npm run bench:provision            (Linux, root; boots two fresh Debian 12 twin hosts fb-a/fb-b, ~3 minutes)
// (a) first apply of the program's commands ÷ `apt-get update && apt-get install` of the same packages on the twin
//     (goal ≤ 1.15); (b) the second apply, per step ÷ one SSH round trip (`ssh host true`, the median of several,
//     measured between the applies): goal ≤ 2× that floor per step (an absolute time does not carry from one
//     machine to the next).
import * as cli from "../tools/cli";
import type { TestHost } from "../test/e2e/lib";

const USAGE = `usage: npm run bench:provision [-- --help]
  boots two fresh Debian 12 twin hosts (fb-a 10.200.0.230, fb-b 10.200.0.231) with test/e2e/hosts.sh, measures, and
  destroys them (Linux, root, the e2e suite's packages; about 3 minutes); takes no other argument
exit codes: 0 measured, 1 failed, 2 bad arguments`;

const PACKAGES = "curl ca-certificates nginx php8.2-fpm php8.2-mysql mariadb-server";

async function main(argv: string[]): Promise<number> {
    if (cli.parseCommand({ usage: USAGE, options: {} }, argv).help) {
        process.stdout.write(USAGE + "\n");
        return 0;
    }
    // the e2e library (and what it boots) only once the arguments are known good
    const { apply, bootHosts, destroyHosts, onHost, planFor, sshRun } = await import("../test/e2e/lib");
    const a: TestHost = { name: "fb-a", ip: "10.200.0.230", roles: ["web", "app", "db"] };
    const b: TestHost = { name: "fb-b", ip: "10.200.0.231", roles: ["web", "app", "db"] };
    destroyHosts([a, b]);
    await bootHosts([a, b]);
    try {
        const bare = await sshRun(
            { host: b.ip, port: 22, user: "root" },
            `set -e; export DEBIAN_FRONTEND=noninteractive; apt-get update -q >/dev/null; apt-get install -y -q --no-install-recommends ${PACKAGES} >/dev/null`,
        );
        if (bare.code !== 0) throw new Error(`bare install failed: ${bare.stderr}`);

        const { plan } = await planFor([a]);
        const t0 = Date.now();
        const first = await apply(plan);
        const firstMs = Date.now() - t0;
        // The floor: one SSH round trip to the same host, what every step pays at least.
        const trips: number[] = [];
        for (let i = 0; i < 7; i++) trips.push((await sshRun({ host: a.ip, port: 22, user: "root" }, "true")).ms);
        const floorMs = [...trips].sort((x, y) => x - y)[Math.floor(trips.length / 2)];
        const t1 = Date.now();
        const second = await apply(plan);
        const secondMs = Date.now() - t1;

        const pkgs = (await onHost(a.ip, `dpkg-query -W -f='\${Package}\\n' ${PACKAGES} | wc -l`)).trim();
        const row = (r: { name: string; ms: number; changed: number }) => `  ${r.name.padEnd(16)} ${(r.ms / 1000).toFixed(2).padStart(6)} s  changed=${r.changed}`;
        console.log(`bare apt-get update + install (${PACKAGES}): ${(bare.ms / 1000).toFixed(2)} s`);
        console.log(`first apply (${pkgs} of those packages installed), per step:`);
        first.forEach((r) => console.log(row(r)));
        console.log(`  total            ${(firstMs / 1000).toFixed(2).padStart(6)} s`);
        console.log(`second apply, per step (÷ one SSH round trip, ${(floorMs / 1000).toFixed(3)} s; goal <= 2×):`);
        let over = 0;
        for (const r of second) {
            const ratio = r.ms / floorMs;
            if (ratio > 2) over++;
            console.log(`${row(r)}  ${ratio.toFixed(2).padStart(5)}×${ratio > 2 ? "  OVER GOAL" : ""}`);
        }
        console.log(`  total            ${(secondMs / 1000).toFixed(2).padStart(6)} s  (${second.length} steps)`);
        const ratio = firstMs / bare.ms;
        console.log(`(a) first apply / bare install = ${ratio.toFixed(2)} (goal <= 1.15)`);
        console.log(`(b) second apply: ${second.length - over} of ${second.length} steps within 2× the SSH floor${over ? " (OVER GOAL)" : ""}`);
    } finally {
        destroyHosts([a, b]);
    }
    return 0;
}

if (require.main === module) cli.runMain(main);

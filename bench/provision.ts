// Benchmark: what provisioning the seed stack costs on a real host, against the floor of a bare package install.
//   npm run bench:provision            (Linux, root; boots two fresh Debian 12 twin hosts, ~3 minutes)
// (a) first apply of the program's commands ÷ `apt-get update && apt-get install` of the same packages on the twin
//     (goal ≤ 1.15); (b) the second apply, all steps (goal ≤ 3 s); per-step times.
import { apply, bootHosts, destroyHosts, onHost, planFor, sshRun, TestHost } from "../test/e2e/lib";

const PACKAGES = "curl ca-certificates nginx php8.2-fpm php8.2-mysql mariadb-server";

async function main() {
    const a: TestHost = { name: "bench-a", ip: "10.200.0.20", roles: ["web", "app", "db"] };
    const b: TestHost = { name: "bench-b", ip: "10.200.0.21", roles: ["web", "app", "db"] };
    destroyHosts([a, b]);
    bootHosts([a, b]);
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
        const t1 = Date.now();
        const second = await apply(plan);
        const secondMs = Date.now() - t1;

        const pkgs = (await onHost(a.ip, `dpkg-query -W -f='\${Package}\\n' ${PACKAGES} | wc -l`)).trim();
        const row = (r: { name: string; ms: number; changed: number }) => `  ${r.name.padEnd(16)} ${(r.ms / 1000).toFixed(2).padStart(6)} s  changed=${r.changed}`;
        console.log(`bare apt-get update + install (${PACKAGES}): ${(bare.ms / 1000).toFixed(2)} s`);
        console.log(`first apply (${pkgs} of those packages installed), per step:`);
        first.forEach((r) => console.log(row(r)));
        console.log(`  total            ${(firstMs / 1000).toFixed(2).padStart(6)} s`);
        console.log(`second apply, per step:`);
        second.forEach((r) => console.log(row(r)));
        console.log(`  total            ${(secondMs / 1000).toFixed(2).padStart(6)} s`);
        const ratio = firstMs / bare.ms;
        console.log(`(a) first apply / bare install = ${ratio.toFixed(2)} (goal <= 1.15)`);
        console.log(`(b) second apply = ${(secondMs / 1000).toFixed(2)} s (goal <= 3 s)`);
    } finally {
        destroyHosts([a, b]);
    }
}

main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
});

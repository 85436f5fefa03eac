// verify's probe reads the platform data the steps read (scripts/platform.sh, sent before scripts/probe.sh): no
// second copy of release or engine data in the probe, and MySQL's SHOW REPLICA STATUS read as MariaDB's SHOW SLAVE
// STATUS is (recorded on a MySQL 9.7 replica of the end-to-end suite, Debian unstable).

import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR } from "../../lib/root";
import { SCRIPTS_DIR } from "../../lib/steps";
import { parseMysql, parseSections, parseUnits } from "../../tools/verify/observe";
import { probeScriptText } from "../../tools/verify/probe";

const MYSQL9_REPLICA = `### mysql-vars
10.200.0.174\t3306\t2\t1\tYES
### mysql-users
app\t10.200.0.172\tANY
root\tlocalhost\t
### mysql-replica
                  Source_Host: 10.200.0.173
                  Source_User: repl
                  Source_Port: 3306
           Replica_IO_Running: Yes
          Replica_SQL_Running: Yes
           Source_SSL_Allowed: Yes
           Source_SSL_CA_File: /etc/mysql/seed-web-tls/ca.pem
        Seconds_Behind_Source: 3
Source_SSL_Verify_Server_Cert: Yes
                Last_IO_Error: 
               Last_SQL_Error: 
### end
`;

describe("verify's probe and the platform data", () => {
    it("sends platform.sh, then probe.sh, in the one session", () => {
        const platform = fs.readFileSync(path.join(SCRIPTS_DIR, "platform.sh"), "utf8");
        const probe = fs.readFileSync(path.join(SCRIPTS_DIR, "probe.sh"), "utf8");
        assert.strictEqual(probeScriptText(), `${platform}\n${probe}`);
    });

    it("probe.sh names no release's or engine's units or statements itself (they come from platform.sh)", () => {
        const probe = fs.readFileSync(path.join(SCRIPTS_DIR, "probe.sh"), "utf8").split("\n").filter((l) => !/^\s*#/.test(l)).join("\n");
        assert.doesNotMatch(probe, /php\d+\.\d+-fpm|mariadb\.service|mysql\.service|SLAVE STATUS|REPLICA STATUS|have_ssl|Master_Host|Source_Host/);
    });

    it("a MySQL replica's SHOW REPLICA STATUS and TLS answer are read: streaming from its source, 3 s behind, TLS on", () => {
        const st = parseMysql(parseSections(MYSQL9_REPLICA));
        assert.deepStrictEqual(st.unavailable, []);
        assert.deepStrictEqual(st.replica, { masterHost: "10.200.0.173", running: true, lagSeconds: 3 });
        assert.strictEqual(st.haveSsl, true);
        const stopped = parseMysql(parseSections(MYSQL9_REPLICA.replace("Replica_SQL_Running: Yes", "Replica_SQL_Running: No").replace("Last_SQL_Error: ", "Last_SQL_Error: Error 1062")));
        assert.deepStrictEqual(stopped.replica, { masterHost: "10.200.0.173", running: false, lagSeconds: 3, error: "Error 1062" });
    });

    describe("the probe run on a release's host (a database server and systemd under test doubles)", () => {
        // Test doubles, defined before the probe (bash functions win over the probe's PATH): mysql answers as the
        // server FAKE_VERSION does, refusing the statements named in FAKE_REFUSES (gone from that server), and logs
        // each statement; systemctl reports each unit it is asked about as enabled and active, and logs the call.
        const DOUBLES = String.raw`
timeout() { shift; "$@"; }
mysql() {
  local q=${"$"}{*: -1} r
  printf 'mysql %s\n' "$q" >>"$PROBE_LOG"
  for r in $FAKE_REFUSES; do
    if [[ $q == *"$r"* ]]; then echo "ERROR 1064 (42000): You have an error in your SQL syntax" >&2; return 1; fi
  done
  case $q in
    "SELECT VERSION()") echo "$FAKE_VERSION" ;;
    "SELECT @@bind_address"*) printf '10.200.0.174\t3306\t2\t1\n' ;;
    *have_ssl* | *Current_tls_cert*) echo YES ;;
    *"REPLICA STATUS"* | *"SLAVE STATUS"*) printf '%s\n' "$FAKE_REPLICA" ;;
  esac
}
systemctl() {
  local u
  printf 'systemctl %s\n' "$*" >>"$PROBE_LOG"
  for u in "$@"; do
    case $u in show | -p | Id | UnitFileState | ActiveState | LoadState) continue ;; esac
    printf 'Id=%s\nLoadState=loaded\nUnitFileState=enabled\nActiveState=active\n\n' "$u"
  done
}
`;
        const REPLICA = (p: "Source" | "Master", r: "Replica" | "Slave") => `*************************** 1. row ***************************
${p}_Host: 10.200.0.173
${p}_User: repl
${p}_Port: 3306
${r}_IO_Running: Yes
${r}_SQL_Running: Yes
Last_IO_Error: 
Last_SQL_Error: 
Seconds_Behind_${p}: 3`;

        /** Runs what verify sends (platform.sh + probe.sh) on a host of `release`: its sections and the doubles' log. */
        function probeOn(release: string, server: { version: string; refuses: string; replica: string }) {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-probe-"));
            try {
                fs.mkdirSync(path.join(dir, "systemd"));
                const text = probeScriptText();
                // systemd "running here": its directory, the probe's one test of it, pointed at one of the test's
                assert.strictEqual(text.split("/run/systemd/system").length, 2, "the probe tests /run/systemd/system once");
                const r = spawnSync("bash", ["-s"], {
                    input: DOUBLES + text.replace("/run/systemd/system", path.join(dir, "systemd")),
                    env: {
                        PATH: process.env.PATH ?? "", PROBE_LOG: path.join(dir, "log"),
                        LEMP_OS_RELEASE: path.join(PROJECT_DIR, "test", "fixtures", "releases", `${release}.os-release`),
                        LEMP_PROBE_BACKUP_DIR: path.join(dir, "backups"),
                        FAKE_VERSION: server.version, FAKE_REFUSES: server.refuses, FAKE_REPLICA: server.replica,
                    },
                    encoding: "utf8", timeout: 60_000,
                });
                assert.strictEqual(r.status, 0, r.stderr);
                return { sections: parseSections(r.stdout), log: fs.readFileSync(path.join(dir, "log"), "utf8") };
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        }

        /** The probe on `release`'s host with `server`: the release's name, the units it asked systemd about (exactly
         * `units` of those that differ by release or engine), the statements sent (`sent`, never `notSent`), and the
         * replica and TLS read from their answers. */
        function expectProbe(release: string, server: { version: string; refuses: string; replica: string },
            want: { os: string; units: string[]; sent: RegExp[]; notSent?: RegExp }) {
            const { sections, log } = probeOn(release, server);
            assert.strictEqual(sections.get("os"), want.os);
            const asked = (/^systemctl (.*)$/m.exec(log)?.[1].split(" ") ?? []).filter((u) => /php|mariadb|mysql/.test(u));
            assert.deepStrictEqual(asked.sort(), want.units.map((u) => `${u}.service`).sort(), log);
            assert.deepStrictEqual([...parseUnits(sections.get("units"))!.keys()].filter((u) => /php|mariadb|mysql/.test(u)).sort(), [...want.units].sort());
            for (const re of want.sent) assert.match(log, re);
            if (want.notSent) assert.doesNotMatch(log, want.notSent);
            const st = parseMysql(sections);
            assert.deepStrictEqual(st.unavailable, []);
            assert.deepStrictEqual(st.replica, { masterHost: "10.200.0.173", running: true, lagSeconds: 3 });
            assert.strictEqual(st.haveSsl, true);
        }

        it("Debian 13, MariaDB 11.8: asks for php8.4-fpm and mariadb (not PHP 8.1/8.2), SHOW SLAVE STATUS and @@have_ssl", function () {
            this.timeout(60000);
            expectProbe("debian-13", { version: "11.8.3-MariaDB-0+deb13u1 from Debian", refuses: "", replica: REPLICA("Master", "Slave") }, {
                os: "Debian GNU/Linux 13 (trixie)", units: ["php8.4-fpm", "mariadb"],
                sent: [/^mysql SHOW SLAVE STATUS$/m, /^mysql SELECT IF\(@@have_ssl = 'YES', 'YES', 'NO'\)$/m],
            });
        });

        it("Ubuntu 26.04, MySQL 8.4 (no SHOW SLAVE STATUS, no @@have_ssl): SHOW REPLICA STATUS and the TLS status variable; php8.5-fpm and mysql", function () {
            this.timeout(60000);
            expectProbe("ubuntu-26.04", { version: "8.4.6-0ubuntu0.26.04.1", refuses: "SLAVE have_ssl", replica: REPLICA("Source", "Replica") }, {
                os: "Ubuntu 26.04.1 LTS", units: ["php8.5-fpm", "mysql"],
                sent: [/^mysql SHOW REPLICA STATUS$/m, /^mysql SELECT .*Current_tls_cert/m], notSent: /SLAVE|have_ssl/,
            });
        });
    });
});

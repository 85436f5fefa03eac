// verify's probe reads the platform data the steps read (scripts/platform.sh, sent before scripts/probe.sh): no
// second copy of release or engine data in the probe, and MySQL's SHOW REPLICA STATUS read as MariaDB's SHOW SLAVE
// STATUS is (recorded on a MySQL 9.7 replica of the end-to-end suite, Debian unstable).

import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { SCRIPTS_DIR } from "../../lib/steps";
import { parseMysql, parseSections } from "../../tools/verify/observe";
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
});

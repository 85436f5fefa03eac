import * as assert from "assert";
import { commandName, parseCommandName, STEP_NAMES } from "@seed-web/facts";

describe("naming: a remote command's resource name <host>-<step> (packages/facts/naming.ts)", () => {
    it("builds and parses back every step's name, a host name with dashes and step words included", () => {
        for (const host of ["web-01", "db", "a-b-c", "lb-backup", "x-database-1"]) {
            for (const step of STEP_NAMES) {
                assert.strictEqual(commandName(host, step), `${host}-${step}`);
                assert.deepStrictEqual(parseCommandName(commandName(host, step)), { host, step });
            }
        }
    });

    it("a name that does not follow the convention parses to undefined", () => {
        for (const name of ["web-01", "-base", "web-01-bases", "web-01-db-tls-cert", "web-01base", ""]) assert.strictEqual(parseCommandName(name), undefined, name);
    });
});

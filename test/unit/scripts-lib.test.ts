// scripts/lib.sh's own functions, run by bash on files in a temporary directory: what every step relies on to
// change nothing when nothing is to change (lemp_write_file) and what an undo reads of the generation it replaces
// (lemp_generation_record, lemp_live_setting).
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SCRIPTS_DIR } from "../../lib/steps";

const LIB = path.join(SCRIPTS_DIR, "lib.sh");

/** Runs `body` after lib.sh in a fresh bash, LEMP_STATE_DIR in `dir`, `input` on stdin (default: none). */
function lib(dir: string, body: string, env: Record<string, string> = {}, input?: Buffer) {
    const script = `. ${JSON.stringify(LIB)}\nLEMP_STATE_DIR=${JSON.stringify(dir)}\nLEMP_GENERATION_DIR=$LEMP_STATE_DIR/generation\nLEMP_STEP=t\n${body}`;
    // stdin from a file, never node's pipe: that is a socket, and bash reading a socket takes itself to be run by
    // sshd and reads ~/.bashrc
    const inputFile = path.join(os.tmpdir(), `seed-web-lib-input-${process.pid}`);
    fs.writeFileSync(inputFile, input ?? "");
    const fd = fs.openSync(inputFile, "r");
    try {
        const r = spawnSync("bash", ["-c", script], { env: { PATH: process.env.PATH, ...env }, stdio: [fd, "pipe", "pipe"], encoding: "buffer" });
        return { code: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
    } finally {
        fs.closeSync(fd);
        fs.rmSync(inputFile, { force: true });
    }
}

describe("scripts/lib.sh", function () {
    this.timeout(20000);
    let dir: string;
    const owner = `${os.userInfo().username}:${spawnSync("id", ["-gn"], { encoding: "utf8" }).stdout.trim()}`;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "seed-web-lib-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    describe("lemp_apt_get", () => {
        // apt-get stands in: it fails with dpkg's "Errors were encountered" the first N times; dpkg records its calls
        const run = (failures: number) => {
            const bin = path.join(dir, "bin");
            fs.mkdirSync(bin);
            fs.writeFileSync(path.join(bin, "fake-apt"), `#!/bin/sh\nn=$(cat ${dir}/n 2>/dev/null || echo 0); echo $((n + 1)) >${dir}/n\nif [ "$n" -lt ${failures} ]; then echo "Errors were encountered while processing:\n mysql-server"; exit 100; fi\necho installed\n`, { mode: 0o755 });
            fs.writeFileSync(path.join(bin, "dpkg"), `#!/bin/sh\necho "$*" >>${dir}/dpkg\n`, { mode: 0o755 });
            const r = lib(dir, "LEMP_APT=(fake-apt)\nlemp_apt_get install mysql-server", { PATH: `${bin}:${process.env.PATH}` });
            const read = (f: string) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), "utf8").trim() : "");
            return { code: r.code, calls: read("n"), dpkg: read("dpkg") };
        };
        it("a package that failed to configure: dpkg --configure -a and the command once more; a second failure is the error", () => {
            assert.deepStrictEqual(run(1), { code: 0, calls: "2", dpkg: "--configure -a" });
            assert.deepStrictEqual(run2(), { code: 100, calls: "2", dpkg: "--configure -a" });
            function run2() {
                fs.rmSync(dir, { recursive: true, force: true });
                fs.mkdirSync(dir);
                return run(5);
            }
        });
    });

    describe("lemp_service_restart", () => {
        // systemctl stands in: its restart fails the first N times; journalctl says whose journal it shows; no sleep
        const run = (failures: number) => {
            const bin = path.join(dir, "bin");
            fs.mkdirSync(bin);
            fs.writeFileSync(path.join(bin, "systemctl"), `#!/bin/sh\nn=$(cat ${dir}/n 2>/dev/null || echo 0); echo $((n + 1)) >${dir}/n\nif [ "$n" -lt ${failures} ]; then echo "Job for $2.service failed" >&2; exit 1; fi\n`, { mode: 0o755 });
            fs.writeFileSync(path.join(bin, "journalctl"), `#!/bin/sh\necho "journal: $*"\n`, { mode: 0o755 });
            fs.writeFileSync(path.join(bin, "sleep"), "#!/bin/sh\n", { mode: 0o755 });
            const body = "lemp_has_systemd() { true; }\nlemp_service_running() { true; }\nlemp_service_restart mariadb\necho \"changed=$LEMP_CHANGED\"";
            const r = lib(dir, body, { PATH: `${bin}:${process.env.PATH}` });
            return { code: r.code, restarts: fs.readFileSync(path.join(dir, "n"), "utf8").trim(), stdout: r.stdout.trim(), stderr: r.stderr };
        };
        it("a failed restart: its journal shown, tried once more; a second failure stops the step naming the service", () => {
            const once = run(1);
            assert.deepStrictEqual([once.code, once.restarts, once.stdout], [0, "2", "changed=1"]);
            assert.match(once.stderr, /warning: restarting mariadb failed; its journal:\njournal: -u mariadb -n 15 --no-pager/);
            fs.rmSync(dir, { recursive: true, force: true });
            fs.mkdirSync(dir);
            const twice = run(5);
            assert.deepStrictEqual([twice.code === 0, twice.restarts, twice.stdout], [false, "2", ""]);
            assert.match(twice.stderr, /journal: -u mariadb[\s\S]*mariadb did not restart \(twice; its journal above\)/);
            fs.rmSync(dir, { recursive: true, force: true });
            fs.mkdirSync(dir);
            assert.deepStrictEqual([run(0).restarts, run0Changed()], ["1", "changed=1"]);
            function run0Changed() {
                return fs.readFileSync(path.join(dir, "n"), "utf8").trim() === "1" ? "changed=1" : "";
            }
        });
    });

    describe("lemp_write_file", () => {
        const write = (file: string, mode: string, content: Buffer) =>
            lib(dir, `lemp_write_file ${JSON.stringify(file)} ${mode} ${owner}\necho "wrote=$LEMP_WROTE changed=$LEMP_CHANGED"`, {}, content);

        it("writes the exact bytes (leading blanks, trailing newlines, no final newline), then leaves an equal file alone", () => {
            const file = path.join(dir, "a.conf");
            for (const text of ["  x = 1\n\n\n", "no final newline", "\n", ""]) {
                const first = write(file, "0640", Buffer.from(text));
                assert.strictEqual(first.code, 0, first.stderr);
                assert.strictEqual(fs.readFileSync(file, "utf8"), text);
                assert.strictEqual(fs.statSync(file).mode & 0o777, 0o640);
                const inode = fs.statSync(file).ino;
                const again = write(file, "0640", Buffer.from(text));
                assert.match(again.stdout, /wrote=0 changed=0/, `${JSON.stringify(text)}: ${again.stderr}`);
                assert.strictEqual(fs.statSync(file).ino, inode, "an equal file is not replaced");
            }
        });

        it("rewrites a file whose content differs only after a NUL byte, or only in its last byte", () => {
            const file = path.join(dir, "b.conf");
            fs.writeFileSync(file, Buffer.concat([Buffer.from("same\n"), Buffer.from([0]), Buffer.from("tail")]));
            fs.chmodSync(file, 0o644);
            const r = write(file, "0644", Buffer.from("same\n"));
            assert.match(r.stdout, /wrote=1 changed=1/, r.stderr);
            assert.strictEqual(fs.readFileSync(file, "utf8"), "same\n");
            fs.writeFileSync(file, "same\r");
            assert.match(write(file, "0644", Buffer.from("same\n")).stdout, /wrote=1 changed=1/);
            assert.strictEqual(fs.readFileSync(file, "utf8"), "same\n");
        });

        it("sets a drifted mode without rewriting, and replaces a symlink by a file", () => {
            const file = path.join(dir, "c.conf");
            fs.writeFileSync(file, "x\n");
            fs.chmodSync(file, 0o666);
            const inode = fs.statSync(file).ino;
            const r = write(file, "0600", Buffer.from("x\n"));
            assert.match(r.stdout, /wrote=1 changed=1/, r.stderr);
            assert.match(r.stderr, /mode\/owner set to 0600/);
            assert.strictEqual(fs.statSync(file).mode & 0o777, 0o600);
            assert.strictEqual(fs.statSync(file).ino, inode);
            const link = path.join(dir, "d.conf");
            fs.symlinkSync(file, link);
            assert.match(write(link, "0600", Buffer.from("x\n")).stdout, /wrote=1 changed=1/);
            assert.ok(!fs.lstatSync(link).isSymbolicLink());
        });

        it("refuses content holding a NUL byte, naming the file, and leaves the old one in place", () => {
            const file = path.join(dir, "e.conf");
            fs.writeFileSync(file, "old\n");
            const r = write(file, "0644", Buffer.from("new\0more\n"));
            assert.notStrictEqual(r.code, 0);
            assert.match(r.stderr, new RegExp(`${file.replace(/[.]/g, "\\.")}: its new content holds a NUL byte`));
            assert.strictEqual(fs.readFileSync(file, "utf8"), "old\n");
            assert.deepStrictEqual(fs.readdirSync(dir).sort(), ["e.conf"], "no temporary file left");
        });
    });

    describe("lemp_generation_record and lemp_live_setting", () => {
        const values: Record<string, string> = {
            LEMP_SERVER_NAMES: "foobar.com www.foobar.com",
            LEMP_DOC_ROOT: "/var/www/a=b",
            LEMP_ODD: "two\nlines\n\n'quoted' $x \\n",
            LEMP_EMPTY: "",
        };
        const read = Object.keys(values)
            .map((k) => `printf '<%s>' "$(lemp_live_setting ${k}; echo .)"`)
            .join("\n");
        const expected = Object.values(values).map((v) => `<${v}.>`).join("");

        it("records the step's settings and gives each back exactly; a second record changes no file", () => {
            const r = lib(dir, `lemp_generation_record\n${read}`, { ...values, LEMP_GENERATION: "0123abcd" });
            assert.strictEqual(r.code, 0, r.stderr);
            assert.strictEqual(r.stdout, expected);
            assert.strictEqual(fs.readFileSync(path.join(dir, "generation", "t"), "utf8"), "0123abcd\n");
            const env0 = path.join(dir, "generation", "t.env0");
            const before = fs.statSync(env0);
            assert.strictEqual(lib(dir, "lemp_generation_record", { ...values, LEMP_GENERATION: "0123abcd" }).code, 0);
            assert.strictEqual(fs.statSync(env0).ino, before.ino);
            assert.deepStrictEqual(fs.readdirSync(path.join(dir, "generation")).sort(), ["t", "t.env0", "t.history"]);
        });

        it("reads the record of an earlier version (NAME=base64 lines), which the next record replaces", () => {
            fs.mkdirSync(path.join(dir, "generation"), { recursive: true });
            const legacy = Object.entries(values).map(([k, v]) => `${k}=${Buffer.from(v).toString("base64")}\n`).join("");
            fs.writeFileSync(path.join(dir, "generation", "t.env"), legacy);
            fs.writeFileSync(path.join(dir, "generation", "t"), "0123abcd\n");
            const r = lib(dir, read);
            assert.strictEqual(r.code, 0, r.stderr);
            assert.strictEqual(r.stdout, expected);
            assert.strictEqual(lib(dir, "lemp_generation_record", { ...values, LEMP_GENERATION: "0123abcd" }).code, 0);
            assert.deepStrictEqual(fs.readdirSync(path.join(dir, "generation")).sort(), ["t", "t.env0", "t.history"]);
            assert.strictEqual(lib(dir, read).stdout, expected);
        });
    });
    describe("lemp_undo_live: which generation a delete may undo", () => {
        const undo = (generation: string) => lib(dir, `LEMP_GENERATION=${generation}\nif lemp_undo_live; then echo live; else echo skip; fi`);
        const record = (generation: string) => assert.strictEqual(lib(dir, "lemp_generation_record", { LEMP_GENERATION: generation }).code, 0);

        it("the live generation: undone; one its successor replaced here: left to the successor; none on the host: nothing to do", () => {
            assert.strictEqual(undo("aaaa1111").stdout, "skip\n"); // never applied
            record("aaaa1111");
            assert.strictEqual(undo("aaaa1111").stdout, "live\n");
            record("bbbb2222"); // a replacement, create-before-delete: the new create ran first
            const old = undo("aaaa1111");
            assert.strictEqual(old.code, 0, old.stderr);
            assert.strictEqual(old.stdout, "skip\n");
            assert.match(old.stderr, /carries generation 'bbbb2222' of t, not aaaa1111: the live configuration stays/);
        });

        it("a generation that never ran on this host: it says so, names what it left, and fails (exit 5)", () => {
            record("cccc3333");
            const r = undo("dddd4444");
            assert.strictEqual(r.code, 5, r.stderr);
            assert.strictEqual(r.stdout, "");
            assert.match(r.stderr, /generation dddd4444 \(the one this delete undoes\) never ran here: it cannot tell what it may undo, so it undid nothing/);
            assert.match(r.stderr, /Left on the host: the live configuration of t \(generation cccc3333/);
        });

        it("a host recorded by an earlier version (no history): the generation it carries counts as having run", () => {
            fs.mkdirSync(path.join(dir, "generation"), { recursive: true });
            fs.writeFileSync(path.join(dir, "generation", "t"), "eeee5555\n");
            record("ffff6666"); // the successor's create, by this version
            assert.strictEqual(undo("eeee5555").stdout, "skip\n");
        });
    });

    describe("lemp_before_*: what a host held before the stack's first apply", () => {
        const run = (body: string, env: Record<string, string> = {}) => lib(dir, `LEMP_BEFORE_DIR=$LEMP_STATE_DIR/before\n${body}`, env);

        it("the first apply records; later ones read the record; a kept thing is reported; removePreexisting removes it", () => {
            assert.strictEqual(run("lemp_before_first && echo first").stdout, "first\n");
            assert.strictEqual(run("printf 'account root@%%\\ndatabase test\\n' | lemp_before_save").code, 0);
            assert.strictEqual(run("lemp_before_first || echo recorded").stdout, "recorded\n");
            const kept = run("lemp_before_load; for w in 'account root@%' 'account root@10.%' 'database test'; do if lemp_before_has $w; then lemp_before_kept $w; fi; done");
            assert.strictEqual(kept.stdout, "kept=account root@%\nkept=database test\n", kept.stderr);
            const removing = run("lemp_before_load; lemp_before_has account root@% || echo remove; lemp_before_had account root@% && echo had", { LEMP_REMOVE_PREEXISTING: "1" });
            assert.strictEqual(removing.stdout, "remove\nhad\n");
        });

        it("a host applied before this version (a generation, no record): not a first apply, nothing known from before", () => {
            fs.mkdirSync(path.join(dir, "generation"), { recursive: true });
            fs.writeFileSync(path.join(dir, "generation", "t"), "0123abcd\n");
            assert.strictEqual(run("lemp_before_first || echo applied").stdout, "applied\n");
        });
    });
    describe("lemp_cert_expiry_metrics", () => {
        it("gives each certificate's notAfter as a Unix time, in the textfile collector's format; fails on a file it cannot read", () => {
            const cert = path.join(dir, "c.pem");
            const made = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "42", "-subj", "/CN=db", "-keyout", path.join(dir, "k.pem"), "-out", cert], { encoding: "utf8" });
            assert.strictEqual(made.status, 0, made.stderr);
            const notAfter = /notAfter=(.*)/.exec(spawnSync("openssl", ["x509", "-enddate", "-noout", "-in", cert], { encoding: "utf8" }).stdout)![1];
            const r = lib(dir, `lemp_cert_expiry_metrics ${JSON.stringify(cert)}`);
            assert.strictEqual(r.code, 0, r.stderr);
            const lines = r.stdout.trim().split("\n");
            assert.match(lines[0], /^# HELP seed_web_tls_cert_expiry_timestamp_seconds /);
            assert.strictEqual(lines[1], "# TYPE seed_web_tls_cert_expiry_timestamp_seconds gauge");
            assert.strictEqual(lines[2], `seed_web_tls_cert_expiry_timestamp_seconds{file="${cert}"} ${Date.parse(notAfter) / 1000}`);
            const days = (Date.parse(notAfter) - Date.now()) / 86400_000;
            assert.ok(days > 41 && days <= 42, String(days));
            const bad = lib(dir, `lemp_cert_expiry_metrics ${JSON.stringify(path.join(dir, "none.pem"))}`);
            assert.notStrictEqual(bad.code, 0);
            assert.match(bad.stderr, /cannot read the certificate .*none\.pem/);
        });
    });
});

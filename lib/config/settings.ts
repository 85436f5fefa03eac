// Every top-level config key, once: its type, default and description (Pulumi.yaml's `config:` block), its row of the
// README's settings tables, and the reader that validates it. DEFAULTS, KNOWN_KEYS, Pulumi.yaml's block and the README's
// tables come from this table (`npm run gen:settings` writes them; test/unit/settings.test.ts checks them).
//
// Adding a key: an entry here, the place that uses it (loadConfig puts it into StackConfig), its test; then
// `npm run gen:settings`. A reader reads the key alone; keys read together with others (the hosts, the application's
// keys) name their reader in `readBy`.

import * as net from "net";
import { reservedDatabaseName, reservedUserName } from "./database-names";
import { ConfigError } from "./errors";
import { DEFAULT_HOSTS } from "./hosts";
import { MAX_DOMAIN_LENGTH, MAX_EMAIL_LENGTH, MAX_URL_LENGTH } from "./limits";
import { addressList, autoOrInteger, bool, identifier, integer, oneOf, port, portList, RawConfig, str } from "./read";
import { ipFamily, isAcmeUrl, isDomainName, isEmail } from "./validate";
import { DB_ENGINES, DbEngine, PHP_JIT_MODES, PhpJit, TLS_MODES, TlsMode } from "./vocabulary";

/** Where a key is documented: the README's "Configuration" table (core, app, structured) or "Performance" (tuning). */
export type SettingGroup = "core" | "tuning" | "app" | "structured";

export interface Setting<G extends SettingGroup = SettingGroup, T = unknown, R = unknown> {
    group: G;
    /** Pulumi.yaml's type; structured keys (hosts, the secret key) are not declared there. */
    type?: "string" | "boolean" | "integer" | "array";
    items?: "string" | "integer";
    default?: T;
    /** Pulumi.yaml's description: one line of plain text. */
    description?: string;
    /** The README's row: the meaning (Markdown); type and default when the README words them otherwise. */
    readme: { meaning: string; type?: string; default?: string };
    /** Reads and validates the key alone: its value, or a ConfigError naming it. */
    read?: (raw: RawConfig, key: string, fallback: T) => R;
    /** The reader of a key read together with others. */
    readBy?: string;
}

function setting<G extends SettingGroup, T, R = T>(s: Setting<G, T, R>): Setting<G, T, R> {
    return s;
}

export const SETTINGS = {
    domain: setting({
        group: "core",
        type: "string",
        default: "foobar.com",
        description: "Apex domain of the site; Nginx answers for it (and www.<domain> when www is true).",
        readme: { meaning: "apex domain; Nginx answers for it" },
        read: (raw, key, fallback) => {
            const domain = str(raw, key, fallback);
            if (domain.length > MAX_DOMAIN_LENGTH || !isDomainName(domain) || !domain.includes(".")) {
                throw new ConfigError("domain", domain, "expected a DNS name such as foobar.com (letters, digits, hyphens, dots; at most 253)");
            }
            if (domain.toLowerCase().startsWith("www.")) {
                throw new ConfigError("domain", domain, "give the apex domain; www is added by the www switch");
            }
            return domain;
        },
    }),
    www: setting({
        group: "core",
        type: "boolean",
        default: true,
        description: "Serve www.<domain> too; DNS makes www a CNAME of the apex.",
        readme: { meaning: "serve `www.<domain>` too (a CNAME of the apex)" },
        read: bool,
    }),
    publicIp: setting({
        group: "core",
        type: "string",
        default: "8.8.8.8",
        description: "Public IPv4 address of the entry point; the apex A record points to it.",
        readme: { meaning: "IPv4 of the entry point, for the apex A record" },
        read: (raw, key, fallback) => {
            const publicIp = str(raw, key, fallback);
            if (net.isIP(publicIp) !== 4) {
                throw new ConfigError("publicIp", publicIp, "expected an IPv4 address for the apex A record, e.g. 8.8.8.8");
            }
            return publicIp;
        },
    }),
    firewall: setting({
        group: "core",
        type: "boolean",
        default: false,
        description: "Enable a host firewall (ufw) that denies inbound traffic by default. Off in the seed design.",
        readme: { meaning: "ufw on every host: inbound denied by default; SSH open, HTTP/HTTPS on the entry point, the rest by role (below)" },
        read: bool,
    }),
    firewallAllowPorts: setting({
        group: "core",
        type: "array",
        items: "integer",
        default: [] as number[],
        description: "Extra TCP ports the firewall opens to everybody on every host. SSH is always open, HTTP/HTTPS on the entry point, the rest by role.",
        readme: { meaning: "extra ports opened to everybody on every host" },
        read: portList,
    }),
    tls: setting({
        group: "core",
        type: "string",
        default: "none" as TlsMode,
        description: "HTTPS mode: none (the seed design), self-signed or letsencrypt.",
        readme: { meaning: "`none`, `self-signed` (local and test hosts) or `letsencrypt` (certbot, HTTP-01, renewal timer); with TLS, HTTP redirects to HTTPS, TLS 1.2+ only, HSTS" },
        read: (raw, key, fallback) => oneOf(raw, key, fallback, TLS_MODES, "TLS mode"),
    }),
    acmeEmail: setting({
        group: "core",
        type: "string",
        default: "",
        description: "Let's Encrypt account e-mail; required when tls is letsencrypt.",
        readme: { meaning: "Let's Encrypt account e-mail, required with `letsencrypt`" },
        read: (raw, key, fallback) => {
            const acmeEmail = str(raw, key, fallback);
            if (acmeEmail !== "" && !isEmail(acmeEmail)) {
                throw new ConfigError("acmeEmail", acmeEmail, `expected an e-mail address such as admin@foobar.com (ASCII, at most ${MAX_EMAIL_LENGTH} characters)`);
            }
            return acmeEmail;
        },
    }),
    acmeServer: setting({
        group: "core",
        type: "string",
        default: "https://acme-v02.api.letsencrypt.org/directory",
        description: "ACME directory certbot uses (Let's Encrypt production by default; its staging URL for trials).",
        readme: { default: "Let's Encrypt production", meaning: "ACME directory URL (e.g. Let's Encrypt staging for trials)" },
        read: (raw, key, fallback) => {
            const acmeServer = str(raw, key, fallback);
            if (!isAcmeUrl(acmeServer)) {
                throw new ConfigError(
                    "acmeServer",
                    acmeServer,
                    `expected the https:// URL of an ACME directory (host[:port] and a path of letters, digits and . _ ~ % / -; at most ${MAX_URL_LENGTH} characters)`,
                );
            }
            return acmeServer;
        },
    }),
    hstsMaxAge: setting({
        group: "core",
        type: "integer",
        default: 31536000,
        description: "Strict-Transport-Security max-age in seconds sent with HTTPS; 0 sends no header.",
        readme: { meaning: "Strict-Transport-Security max-age with HTTPS; `0` sends none" },
        read: (raw, key, fallback) => integer(raw, key, fallback, 0, 63072000),
    }),
    dbEngine: setting({
        group: "core",
        type: "string",
        default: "auto" as DbEngine,
        description: "Database server on the db hosts: auto (the distribution's own: MySQL on Ubuntu, MariaDB on Debian), mysql or mariadb.",
        readme: { meaning: "`auto` (the distribution's own: MySQL on Ubuntu, MariaDB on Debian), `mysql` or `mariadb`; a release whose archive lacks the engine (MySQL on Debian 12/13) stops at the first step with exit 3" },
        read: (raw, key, fallback) => oneOf(raw, key, fallback, DB_ENGINES, "database engine", " (auto = MySQL on Ubuntu, MariaDB on Debian)"),
    }),
    dbBindAddress: setting({
        group: "core",
        type: "string",
        default: "0.0.0.0",
        description: "Address MySQL listens on: 0.0.0.0 (all interfaces) in the seed design; 127.0.0.1 keeps it local; auto = loopback when only its own host uses it, else the host's private address.",
        readme: { meaning: "address MySQL listens on; `127.0.0.1` keeps it local; `auto` = loopback when only its own host uses it, else the host's private address" },
        read: (raw, key, fallback) => {
            const dbBindAddress = str(raw, key, fallback);
            if (dbBindAddress !== "auto" && ipFamily(dbBindAddress) === 0) {
                throw new ConfigError("dbBindAddress", dbBindAddress, "expected an IP address such as 127.0.0.1 or 0.0.0.0, or auto");
            }
            return dbBindAddress;
        },
    }),
    dbPort: setting({
        group: "core",
        type: "integer",
        default: 3306,
        description: "TCP port MySQL listens on.",
        readme: { meaning: "MySQL port" },
        read: port,
    }),
    dbName: setting({
        group: "core",
        type: "string",
        default: "app",
        description: "Name of the application's database.",
        readme: { meaning: "the application's database" },
        read: (raw, key, fallback) => {
            const dbName = identifier(raw, key, fallback);
            const dbNameReserved = reservedDatabaseName(dbName);
            if (dbNameReserved) throw new ConfigError("dbName", dbName, `reserved name: ${dbNameReserved}; choose another, e.g. app`);
            return dbName;
        },
    }),
    dbUser: setting({
        group: "core",
        type: "string",
        default: "app",
        description: "MySQL user of the application; its password is generated (random) and kept secret.",
        readme: { meaning: "the application's MySQL user; its password is generated by `@pulumi/random` and secret" },
        read: (raw, key, fallback) => {
            const dbUser = identifier(raw, key, fallback);
            const dbUserReserved = reservedUserName(dbUser);
            if (dbUserReserved) throw new ConfigError("dbUser", dbUser, `reserved name: ${dbUserReserved}; choose another, e.g. app`);
            return dbUser;
        },
    }),
    dbPrimary: setting({
        group: "core",
        type: "string",
        default: "",
        description: "The db host whose database is the live one (the others replicate from it). Required with two or more db hosts.",
        readme: { default: "the only `db` host", meaning: "the `db` host whose database is the live one (the others replicate from it); required with two or more `db` hosts; never implied by the order of `hosts`" },
        readBy: "databaseHosts (load.ts): with the hosts",
    }),
    dbReseed: setting({
        group: "core",
        type: "array",
        items: "string",
        default: [] as string[],
        description: "Replicas whose local database may be dropped and copied again from the primary in this change (otherwise the database step refuses to drop one).",
        readme: { meaning: "replicas whose local database may be dropped and copied again from the primary in this `up` (otherwise a database the step did not copy is never dropped); never the primary" },
        readBy: "databaseHosts (load.ts): with the hosts",
    }),
    monitoring: setting({
        group: "core",
        type: "boolean",
        default: false,
        description: "Prometheus node exporter on every host, and Nginx/PHP-FPM status pages on the web hosts. Off in the seed design.",
        readme: { meaning: "Prometheus node exporter (:9100) on every host — on its private address, or on 127.0.0.1 when `monitoringAllowFrom` is empty — and Nginx and PHP-FPM status pages (:8081) on the web hosts" },
        read: bool,
    }),
    monitoringAllowFrom: setting({
        group: "core",
        type: "array",
        items: "string",
        default: [] as string[],
        description: "Addresses or CIDR ranges allowed to scrape the exporter (9100) and read the status pages (8081).",
        readme: { meaning: "IPv4 addresses or CIDR ranges the firewall lets reach 9100 and 8081 (the firewall rules are IPv4 only)" },
        read: addressList,
    }),
    backups: setting({
        group: "core",
        type: "boolean",
        default: false,
        description: "Daily database dumps on the primary database host, with rotation. Off in the seed design.",
        readme: { meaning: "daily dump of the application database on the primary database host, with rotation, the last success exposed as a metric, and `seed-web-restore` (below)" },
        read: bool,
    }),
    backupTime: setting({
        group: "core",
        type: "string",
        default: "03:15",
        description: "Time of the daily backup, HH:MM on the host's clock.",
        readme: { meaning: "time of the daily dump (HH:MM, host clock)" },
        read: (raw, key, fallback) => {
            const backupTime = str(raw, key, fallback);
            if (!/^([01][0-9]|2[0-3]):[0-5][0-9]$/.test(backupTime)) {
                throw new ConfigError("backupTime", backupTime, "expected a daily time HH:MM, e.g. 03:15");
            }
            return backupTime;
        },
    }),
    backupRetention: setting({
        group: "core",
        type: "integer",
        default: 7,
        description: "Number of dumps kept.",
        readme: { meaning: "dumps kept" },
        read: (raw, key, fallback) => integer(raw, key, fallback, 1, 365),
    }),
    destroyData: setting({
        group: "core",
        type: "boolean",
        default: false,
        description: "Each step's delete (pulumi destroy, a feature or host removed) also removes the data - database files, dumps, certificates. Takes effect after a pulumi up.",
        readme: { meaning: "the deletes (`pulumi destroy`, a feature switched off, a host removed) also remove the data that has another copy or can be made again: a replica's data directory, the site's certificates. Never the primary's (or a single server's) data directory nor the dumps: [Destroying data on purpose](#destroying-data-on-purpose)" },
        read: bool,
    }),
    purgePackages: setting({
        group: "core",
        type: "boolean",
        default: false,
        description: "Each step's delete also purges the packages it installed. Takes effect after a pulumi up.",
        readme: { meaning: "the deletes also purge the packages their step installed (`apt-get purge --auto-remove`; never curl, ca-certificates, gzip)" },
        read: bool,
    }),
    removePreexisting: setting({
        group: "core",
        type: "boolean",
        default: false,
        description: "The firewall and database steps also remove what a host held before the stack's first apply (ufw rules, remote root accounts, a test database holding tables); by default they are kept and reported.",
        readme: { meaning: "the firewall and database steps also remove what a host held before the stack's first apply (its own ufw rules, remote `root` accounts, a `test` database holding tables, grants on test databases); by default they are kept and reported (see \"An existing server\")" },
        read: bool,
    }),
    forget: setting({
        group: "core",
        type: "array",
        items: "string",
        default: [] as string[],
        description: "Hosts of `hosts` whose commands are retained on delete - list a gone host here, pulumi up, then take it out of hosts; its deletes never run (nothing dials it).",
        readme: { type: "list of host names", meaning: "hosts that are gone: their commands get `retainOnDelete`, so the next `up` that takes them out of `hosts` drops them from the state without dialing them; a warning and the `forgotten` output name what stays on each (see \"Switching off, removing, destroying\")" },
        readBy: "forgetList (load.ts): with the hosts",
    }),
    tuneMemoryMb: setting({
        group: "tuning",
        type: "string",
        default: "auto" as "auto" | number,
        description: "The memory (MB) the serving profile takes each host to have; auto = MemTotal or the cgroup limit, read on the host.",
        readme: { meaning: "the memory (MB, 256 ..) the profile takes each host to have: a host whose share of a bigger machine the kernel does not show (cgroup v1 without a limit), a test host" },
        read: (raw, key) => autoOrInteger(raw, key, 256, 4194304),
    }),
    phpMaxChildren: setting({
        group: "tuning",
        type: "string",
        default: "auto" as "auto" | number,
        description: "PHP-FPM pm.max_children on each web host; auto = the memory left after the system, database and opcache, divided by phpWorkerMb.",
        readme: { meaning: "`pm.max_children` (1 .. 1000)" },
        read: (raw, key) => autoOrInteger(raw, key, 1, 1000),
    }),
    phpWorkerMb: setting({
        group: "tuning",
        type: "integer",
        default: 48,
        description: "The memory (MB) one PHP-FPM worker takes, the divisor of max_children.",
        readme: { meaning: "one worker's memory (10 .. 2048), the divisor of `max_children`" },
        read: (raw, key, fallback) => integer(raw, key, fallback, 10, 2048),
    }),
    phpJit: setting({
        group: "tuning",
        type: "string",
        default: "tracing" as PhpJit,
        description: "PHP's JIT compiler in opcache: tracing (PHP's own default mode), function, or off; its buffer is a quarter of opcache's memory.",
        readme: { meaning: "opcache's JIT: `tracing`, `function` or `off` (its buffer is a quarter of opcache's share; `off` for an extension that replaces the executor, e.g. Xdebug)" },
        read: (raw, key, fallback) => oneOf(raw, key, fallback, PHP_JIT_MODES, "JIT mode"),
    }),
    dbBufferPoolMb: setting({
        group: "tuning",
        type: "string",
        default: "auto" as "auto" | number,
        description: "InnoDB buffer pool (MB); auto = 25 % of the memory beside PHP, 50 % on a database host of its own.",
        readme: { meaning: "`innodb_buffer_pool_size` (64 ..)" },
        read: (raw, key) => autoOrInteger(raw, key, 64, 1048576),
    }),
    lbServerMaxConn: setting({
        group: "tuning",
        type: "integer",
        default: 64,
        description: "HAProxy maxconn per web host; the requests beyond it wait in the queue.",
        readme: { meaning: "HAProxy `maxconn` per web host (1 .. 10000)" },
        read: (raw, key, fallback) => integer(raw, key, fallback, 1, 10000),
    }),
    lbQueueTimeout: setting({
        group: "tuning",
        type: "integer",
        default: 10,
        description: "Seconds a request waits in HAProxy's queue before a 503 with Retry-After.",
        readme: { meaning: "seconds in HAProxy's queue before the 503 (1 .. 300)" },
        read: (raw, key, fallback) => integer(raw, key, fallback, 1, 300),
    }),
    appSource: setting({
        group: "app",
        type: "string",
        default: "",
        description: "Your application - a local directory (relative to this project, or absolute) shipped to every web host as a release, or with appRef a git repository (https://, ssh://, git://, file://, git+ before any of them, user@host:path, or a local repository); \"\" serves the demo page. See README \"Deploy your application\".",
        readme: { meaning: "your application: a local directory (relative to the project, or absolute) shipped to every web host as a release, or, with `appRef`, a git repository (`https://`, `ssh://`, `git://`, `file://`, any of them after `git+`, `user@host:path`, or a local repository); `\"\"` serves the demo page ([Deploy your application](#deploy-your-application))" },
        readBy: "parseApp (app.ts): the application's keys together",
    }),
    appRef: setting({
        group: "app",
        type: "string",
        default: "",
        description: "With a git repository as appSource, the branch, tag or commit (full or abbreviated) to deploy - resolved and fetched by the machine that runs pulumi up, with its own git and ssh configuration; \"\" = appSource is a directory.",
        readme: { meaning: "with a git repository as `appSource`: the branch, tag or commit (full or abbreviated) to deploy, resolved and fetched by the machine that runs `pulumi up` ([From a git repository](#from-a-git-repository)); `\"\"` = `appSource` is a directory" },
        readBy: "parseApp (app.ts): the application's keys together",
    }),
    appDocRoot: setting({
        group: "app",
        type: "string",
        default: "",
        description: "The document root inside the application, e.g. public (\"\" = the application's top directory).",
        readme: { meaning: "the document root inside it, e.g. `public` (`\"\"` = its top directory)" },
        readBy: "parseApp (app.ts): the application's keys together",
    }),
    appShared: setting({
        group: "app",
        type: "array",
        items: "string",
        default: [] as string[],
        description: "Paths inside the application kept across releases (uploads, storage), e.g. [storage, public/uploads] - linked to <site>-app/shared on each host, owned by www-data.",
        readme: { meaning: "paths inside it kept across releases (uploads, storage), e.g. `[storage, public/uploads]`: directories under `<site>-app/shared`, owned by `www-data`, linked into every release" },
        readBy: "parseApp (app.ts): the application's keys together",
    }),
    appKeepReleases: setting({
        group: "app",
        type: "integer",
        default: 5,
        description: "Releases kept on each web host (2-50), the live one included - what appRelease can roll back to without a new upload.",
        readme: { meaning: "releases kept on each web host (2–50), the live one and the previous one always among them" },
        readBy: "parseApp (app.ts): the application's keys together",
    }),
    appHealthPath: setting({
        group: "app",
        type: "string",
        default: "/",
        description: "Must answer 200 through a new release before it goes live on a host, and once it is live; else the previous release stays or comes back.",
        readme: { meaning: "must answer 200 through a new release before it goes live on a host, and once live; else the previous release stays (or comes back) and the `up` fails naming the host and the check" },
        readBy: "parseApp (app.ts): the application's keys together",
    }),
    appFrontController: setting({
        group: "app",
        type: "boolean",
        default: false,
        description: "Paths that are no file go to /index.php (frameworks' front controller, try_files ... /index.php).",
        readme: { meaning: "paths that are no file go to `/index.php` (`try_files … /index.php`, for frameworks)" },
        readBy: "parseApp (app.ts): the application's keys together",
    }),
    appMigrate: setting({
        group: "app",
        type: "string",
        default: "",
        description: "A command run once per release, in the release as www-data, on the first web host, before the release goes live anywhere (e.g. php artisan migrate --force).",
        readme: { meaning: "a command run once per release, in the release as `www-data`, on the first web host, before the release goes live anywhere (e.g. `php artisan migrate --force`)" },
        readBy: "parseApp (app.ts): the application's keys together",
    }),
    appRelease: setting({
        group: "app",
        type: "string",
        default: "",
        description: "Serve this kept release (its 20-digit id, from npm run verify or the hosts' releases/) instead of appSource's - a rollback without a new upload; \"\" = appSource's.",
        readme: { meaning: "serve this kept release (its 20-digit id) instead of `appSource`'s: a rollback without a new upload" },
        readBy: "parseApp (app.ts): the application's keys together",
    }),
    sshPrivateKey: setting({ group: "structured", readme: { type: "secret string", default: "–", meaning: "private key for `ssh` hosts (set with `pulumi config set --secret`)" }, readBy: "parseHosts (hosts.ts): an ssh host's key unless it names another" }),
    hosts: setting({ group: "structured", readme: { type: "list", default: "one Docker host `web-01` with `[web, app, db]`", meaning: "the hosts, below" }, default: DEFAULT_HOSTS, readBy: "parseHosts (hosts.ts)" }),
};

type Settings = typeof SETTINGS;
export type SettingKey = keyof Settings;
type KeysOf<G extends SettingGroup> = { [K in SettingKey]: Settings[K]["group"] extends G ? K : never }[SettingKey];
type Defaults<G extends SettingGroup> = { [K in KeysOf<G>]: NonNullable<Settings[K]["default"]> };
type ReadValue<K extends SettingKey> = Settings[K] extends Setting<SettingGroup, unknown, infer R> ? R : never;

/** The key's value as its reader reads and validates it (a ConfigError names the key when it is refused). */
export function readSetting<K extends SettingKey>(raw: RawConfig, key: K): ReadValue<K> {
    const s = SETTINGS[key] as Setting;
    if (s.read === undefined) throw new Error(`${key} is read by ${s.readBy}`);
    return s.read(raw, key, s.default) as ReadValue<K>;
}

function defaultsOf<G extends SettingGroup>(group: G): Defaults<G> {
    return Object.fromEntries(Object.entries(SETTINGS as Record<string, Setting>).filter(([, s]) => s.group === group).map(([k, s]) => [k, s.default])) as Defaults<G>;
}

/** The simple keys' defaults (the seed design). */
export const DEFAULTS = defaultsOf("core");
/** The serving profile's keys (README "Performance"). */
export const TUNING_DEFAULTS = defaultsOf("tuning");
/** The application's keys (README "Deploy your application"), in the table's order (parseApp names the first set). */
export const APP_DEFAULTS = defaultsOf("app");
/** Every key the program understands. */
export const KNOWN_KEYS = new Set<string>(Object.keys(SETTINGS));

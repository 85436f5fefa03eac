// The contract's words: the names the program, the policy pack and the tools agree on. Nothing here imports from
// the rest of the repository (the contract sits below everything that reads it; test/unit/layers.test.ts checks).

/** The Pulumi project's name: the namespace of its config keys ("seed-web:<key>") and the prefix of its stacks. */
export const PROJECT = "seed-web";

export const FACTS_SCHEMA = "seed-web.facts/v1";

/** Resource type of the remote commands that carry facts. */
export const REMOTE_COMMAND_TYPE = "command:remote:Command";

export const ROLES = ["lb", "web", "app", "db"] as const;
export type Role = (typeof ROLES)[number];

export const TLS_MODES = ["none", "self-signed", "letsencrypt"] as const;
export type TlsMode = (typeof TLS_MODES)[number];

/** The database server: auto = the distribution's own (MySQL on Ubuntu, MariaDB on Debian), or one named. */
export const DB_ENGINES = ["auto", "mysql", "mariadb"] as const;
export type DbEngine = (typeof DB_ENGINES)[number];

/** opcache's JIT compiler (PHP 8.0+): tracing, function, or off (no JIT setting written: the packages' default). */
export const PHP_JIT_MODES = ["tracing", "function", "off"] as const;
export type PhpJit = (typeof PHP_JIT_MODES)[number];

export const STEP_NAMES = [
    "base",
    "firewall",
    "php",
    "nginx",
    "database",
    "app",
    "stage",
    "release",
    "lb",
    "certbot",
    "smoke",
    "monitoring",
    "backup",
    "replication",
] as const;
export type StepName = (typeof STEP_NAMES)[number];

/** TLS protocol versions, as Node and OpenSSL name them. */
export const TLS_PROTOCOLS = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"] as const;
export type TlsProtocol = (typeof TLS_PROTOCOLS)[number];

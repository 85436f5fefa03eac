// The words of the stack config: the project's name, the roles, the TLS modes, the database engines (one place; the
// contract package takes them over in issue 24's step 1).

export const PROJECT = "seed-web";

export const ROLES = ["lb", "web", "app", "db"] as const;
export type Role = (typeof ROLES)[number];

export const TLS_MODES = ["none", "self-signed", "letsencrypt"] as const;
export type TlsMode = (typeof TLS_MODES)[number];

/** The database server: auto = the distribution's own (MySQL on Ubuntu, MariaDB on Debian), or one named. */
export const DB_ENGINES = ["auto", "mysql", "mariadb"] as const;
export type DbEngine = (typeof DB_ENGINES)[number];

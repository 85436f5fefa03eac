// Input limits: every value is bounded, so any input ends in a result or an error within a second.

/** Longest raw value of one config key (characters), e.g. the `hosts` list as JSON. */
export const MAX_VALUE_LENGTH = 65536;
/** Most entries in a list setting (firewallAllowPorts, monitoringAllowFrom, a host's roles). */
export const MAX_LIST_LENGTH = 100;
/** Most hosts in a stack (the Docker network's /24 gives each host a fixed address). */
export const MAX_HOSTS = 100;
/** Deepest nesting of a structured value (hosts: list → host → connection → value is 3). */
export const MAX_DEPTH = 8;
/** Longest ACME directory URL; domains (253) and e-mail addresses (254) have their own, standard limits. */
export const MAX_URL_LENGTH = 1024;
export const MAX_EMAIL_LENGTH = 254;
export const MAX_DOMAIN_LENGTH = 253;

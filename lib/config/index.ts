// The stack config: read and validated in one place (lib/config/load.ts), split by job. Callers import from here.

export * from "./vocabulary";
export * from "./errors";
export * from "./limits";
export * from "./database-names";
export * from "./validate";
export { RawConfig } from "./read";
export { DEFAULT_HOSTS, DockerHostSpec, HostConnectionSpec, HostSpec, parseHostKey, SshHostSpec } from "./hosts";
export { APP_DEFAULTS, AppConfig } from "./app";
export { TUNING_DEFAULTS, TuningConfig } from "./tuning";
export { DEFAULTS, KNOWN_KEYS } from "./settings";
export * from "./load";

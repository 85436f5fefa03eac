// The stack config: read and validated in one place (lib/config/load.ts), split by job. Callers import from here.

export * from "./vocabulary";
export * from "./errors";
export * from "./limits";
export * from "./database-names";
export * from "./validate";
export { RawConfig } from "./read";
export { DEFAULT_HOSTS, DockerHostSpec, HostConnectionSpec, HostSpec, parseHostKey, SshHostSpec } from "./hosts";
export { AppConfig } from "./app";
export { TuningConfig } from "./tuning";
export { APP_DEFAULTS, DEFAULTS, KNOWN_KEYS, readSetting, Setting, SettingGroup, SettingKey, SETTINGS, TUNING_DEFAULTS } from "./settings";
export * from "./load";

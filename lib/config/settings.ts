// Every top-level config key the program understands, with its default.

import { APP_DEFAULTS } from "./app";
import { TUNING_DEFAULTS } from "./tuning";
import { DbEngine, TlsMode } from "./vocabulary";

/** Every key the program understands, with its default (the seed design). Pulumi.yaml declares the same. */
export const DEFAULTS = {
    domain: "foobar.com",
    www: true,
    publicIp: "8.8.8.8",
    firewall: false,
    firewallAllowPorts: [] as number[],
    tls: "none" as TlsMode,
    acmeEmail: "",
    acmeServer: "https://acme-v02.api.letsencrypt.org/directory",
    hstsMaxAge: 31536000,
    dbEngine: "auto" as DbEngine,
    dbBindAddress: "0.0.0.0",
    dbPort: 3306,
    dbName: "app",
    dbUser: "app",
    dbPrimary: "",
    dbReseed: [] as string[],
    monitoring: false,
    monitoringAllowFrom: [] as string[],
    backups: false,
    backupTime: "03:15",
    backupRetention: 7,
    destroyData: false,
    purgePackages: false,
    removePreexisting: false,
    forget: [] as string[],
};

export const KNOWN_KEYS = new Set([...Object.keys(DEFAULTS), ...Object.keys(TUNING_DEFAULTS), ...Object.keys(APP_DEFAULTS), "hosts", "sshPrivateKey"]);

// The steps, one file per step, named like its script (scripts/<step>.sh) and its undo (scripts/undo/<step>.sh).
// The classes keep the names (and the type tokens, "seed-web:lemp:<Class>") they had in components/lemp.ts, where the
// engine's URNs of deployed stacks come from:
//   base BaseSystem · firewall Firewall · php PhpFpm · nginx WebServer · database Database · backup Backup
//   replication ReplicationGrants · app Site · stage Stage (and releaseUpload) · release Release · lb LoadBalancer
//   certbot Certificate · smoke SmokeCheck · monitoring Monitoring
// The order between them is set by components/webstack.ts.

export { HostStep } from "./host-step";
export { BaseSystem } from "./base";
export { Firewall } from "./firewall";
export { PhpFpm } from "./php";
export { BackendTls, WebServer } from "./nginx";
export { Database, DatabaseTls } from "./database";
export { Backup } from "./backup";
export { ReplicationGrants } from "./replication";
export { Site } from "./app";
export { releaseUpload, Stage, uploadPath } from "./stage";
export { Release } from "./release";
export { LoadBalancer } from "./lb";
export { Certificate } from "./certbot";
export { SmokeCheck } from "./smoke";
export { Monitoring } from "./monitoring";

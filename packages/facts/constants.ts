// Values the program plans with and the tools check against, each written once.

/** Plain HTTP, and HTTPS where TLS is served (a host's ports, inside the host). */
export const HTTP_PORT = 80;
export const HTTPS_PORT = 443;
/** The Prometheus node exporter's port (the monitoring step). */
export const NODE_EXPORTER_PORT = 9100;
/** Nginx's status server (/nginx_status, /fpm-status: scripts/nginx.sh), open to the monitoring allow-list. */
export const STATUS_PORT = 8081;
/** The stack's own health page on every web host (the load balancer's health check, the smoke step). */
export const HEALTH_PATH = "/health.php";
/** Where the backup step writes its dumps. */
export const BACKUP_DIR = "/var/backups/seed-web";

#!/usr/bin/env bash
# Step "app": the PHP application: its database settings, the page that proves Nginx -> PHP-FPM -> MySQL, and the
# health endpoint the load balancer checks.
# Settings: LEMP_DOC_ROOT, LEMP_DB_HOST ("localhost" = the unix socket, the default), LEMP_DB_PORT (default 3306),
#           LEMP_DB_NAME, LEMP_DB_USER, LEMP_DB_TLS (1 = connect over TLS and verify the server against the CA
#           from stdin; default 0; only for a database on another host), LEMP_DB_REPLICAS_KEPT (the db hosts that
#           stay replicas in this change without being named in dbReseed; "localhost": this host).
# Refused (exit 4, nothing changed): a switch to another database server that lacks the current one's tables or
# rows, or away from one that stays a replica (lemp_db_switch_refusal in lib/db-switch.sh).
# Stdin: the application user's password (first line); with LEMP_DB_TLS=1, the CA certificate (PEM in base64, on
# one line).
# Pages: /index.php (the greeting row; no versions, no database address), /health.php (200 "ok" when PHP runs and
# SELECT 1 succeeds over the application's own connection, else 503; no details).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
declare -F lemp_init >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lemp_init app
lemp_os

LEMP_DB_HOST=${LEMP_DB_HOST:-localhost}
LEMP_DB_PORT=${LEMP_DB_PORT:-3306}
LEMP_DB_TLS=${LEMP_DB_TLS:-0}
LEMP_DB_REPLICAS_KEPT=${LEMP_DB_REPLICAS_KEPT:-}
lemp_require LEMP_DOC_ROOT '^/[A-Za-z0-9._/-]+$' 'an absolute path (letters, digits, . _ - /)'
lemp_require LEMP_DB_HOST '^[A-Za-z0-9.:-]+$' 'a host name or address'
lemp_require LEMP_DB_PORT '^[1-9][0-9]{0,4}$' 'a TCP port'
lemp_require LEMP_DB_NAME '^[A-Za-z0-9_]{1,64}$' 'a database name (letters, digits, _)'
lemp_require LEMP_DB_USER '^[A-Za-z0-9_]{1,32}$' 'a user name (letters, digits, _; at most 32)'
lemp_require LEMP_DB_TLS '^[01]$' '1 or 0'
lemp_require LEMP_DB_REPLICAS_KEPT '^([A-Za-z0-9.:-]+( [A-Za-z0-9.:-]+)*)?$' 'space-separated addresses'
[ "$LEMP_DB_TLS" = 0 ] || [ "$LEMP_DB_HOST" != localhost ] || lemp_die "LEMP_DB_TLS=1 needs a remote LEMP_DB_HOST (localhost is the unix socket)"
lemp_inputs_checked   # LEMP_CHECK_ONLY=1 stops here: settings checked, nothing read from stdin, nothing changed
password=""
lemp_read_secret password
ca=""
if [ "$LEMP_DB_TLS" = 1 ]; then
  lemp_read_secret ca
  ca=$(printf '%s' "$ca" | base64 -d 2>/dev/null) || true
  [[ $ca == -----BEGIN* ]] || lemp_die "LEMP_DB_TLS=1: standard input holds no CA certificate (PEM in base64 on one line)"
fi
getent group www-data >/dev/null || lemp_die "group www-data missing: run php.sh first"

# A switch of database server: never onto one that lacks the current one's tables or rows, nor away from one that
# stays a replica with rows of its own (lemp_db_switch_refusal in lib/db-switch.sh): refused before anything here changes.
ca_check=""
if [ "$LEMP_DB_TLS" = 1 ]; then
  ca_check=$(umask 077 && mktemp /tmp/.lemp-ca.XXXXXX)
  printf '%s\n' "$ca" >"$ca_check"
fi
switch_refused=$(lemp_db_switch_report "$LEMP_DB_HOST" "$LEMP_DB_PORT" "$LEMP_DB_NAME" "$LEMP_DB_USER" "$LEMP_DB_TLS" "${ca_check:-none}" \
  "$LEMP_DB_SOCKET" <<<"$password" | lemp_db_switch_refusal "$LEMP_DB_HOST" "$LEMP_DB_REPLICAS_KEPT")
rm -f "$ca_check"
if [ -n "$switch_refused" ]; then
  lemp_die 4 "refusing to switch the application to the database server $LEMP_DB_HOST: $switch_refused. Nothing changed: the site stays on its current database server"
fi

# The settings PHP reads: readable by PHP-FPM (group www-data), not by others. Parsed with INI_SCANNER_RAW, so a
# double-quoted value is taken verbatim, whatever characters the password holds.
lemp_mkdir /etc/seed-web 0755 root:root
ca_file=/etc/seed-web/db-ca.pem
if [ "$LEMP_DB_TLS" = 1 ]; then
  lemp_write_file "$ca_file" 0644 root:root <<<"$ca"
else
  lemp_remove "$ca_file"
fi
lemp_write_file /etc/seed-web/app-db.ini 0640 root:www-data <<INI
; Managed by seed-web (scripts/app.sh). Read by /etc/seed-web/app-db.php.
[database]
host = "$LEMP_DB_HOST"
socket = "$LEMP_DB_SOCKET"
port = "$LEMP_DB_PORT"
name = "$LEMP_DB_NAME"
user = "$LEMP_DB_USER"
password = "$password"
tls = "$LEMP_DB_TLS"
ca = "$ca_file"
INI

# The connection, one place for the page and the health check: over TLS with the server verified, when remote.
lemp_write_file /etc/seed-web/app-db.php 0644 root:root <<'PHP'
<?php
// Managed by seed-web (scripts/app.sh): the application's database connection (index.php, health.php).
declare(strict_types=1);

function seed_web_db(): mysqli
{
    $cfg = parse_ini_file('/etc/seed-web/app-db.ini', true, INI_SCANNER_RAW);
    if ($cfg === false || !isset($cfg['database'])) {
        throw new RuntimeException('cannot read /etc/seed-web/app-db.ini');
    }
    $c = $cfg['database'];
    mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
    $db = mysqli_init();
    $db->options(MYSQLI_OPT_CONNECT_TIMEOUT, 3);
    if ($c['host'] === 'localhost') {
        $db->real_connect('localhost', $c['user'], $c['password'], $c['name'], (int) $c['port'], $c['socket']);
        return $db;
    }
    $flags = 0;
    if (($c['tls'] ?? '0') === '1') {
        // TLS, and the server's certificate checked against the deployment's CA (and its address)
        $db->ssl_set(null, null, $c['ca'], null, null);
        $db->options(MYSQLI_OPT_SSL_VERIFY_SERVER_CERT, true);
        $flags = MYSQLI_CLIENT_SSL;
    }
    // 'p:' = a persistent connection, one per PHP-FPM worker: the TLS handshake once per worker, not once per request
    // (bench:scale, a web host held to 30 % of a CPU: 121 -> 351 requests/s on a page with one query). mysqli resets the
    // session before each reuse (COM_CHANGE_USER: re-authenticated, transactions rolled back, variables cleared), and
    // a connection that died is replaced; a worker's connection ends with the worker (pm.max_requests, idle spares).
    $db->real_connect('p:' . $c['host'], $c['user'], $c['password'], $c['name'], (int) $c['port'], null, $flags);
    return $db;
}
PHP

lemp_mkdir "$LEMP_DOC_ROOT" 0755 root:root
lemp_write_file "$LEMP_DOC_ROOT/index.php" 0644 root:root <<'PHP'
<?php
// Managed by seed-web (scripts/app.sh). The request flow: Nginx -> PHP-FPM -> MySQL, and the facts that prove it.
declare(strict_types=1);
header('Content-Type: text/html; charset=utf-8');
header('Cache-Control: no-store');
$h = static fn ($v): string => htmlspecialchars((string) $v, ENT_QUOTES, 'UTF-8');

try {
    require '/etc/seed-web/app-db.php';
    $db = seed_web_db();
    $row = $db->query('SELECT message FROM greetings WHERE id = 1')->fetch_assoc();
    if ($row === null) {
        throw new RuntimeException('greeting row 1 missing');
    }
    $tls = $db->query("SHOW SESSION STATUS LIKE 'Ssl_cipher'")->fetch_row()[1] ?? '';
    $db->close();
} catch (Throwable $e) {
    error_log('seed-web: database error: ' . $e->getMessage());
    http_response_code(500);
    echo "<!DOCTYPE html>\n<title>Database unavailable</title>\n<h1>500: database unavailable</h1>\n";
    exit;
}
// No versions and no internal addresses here: what the page proves is the flow, not the software behind it.
$facts = [
    'PHP SAPI' => php_sapi_name(),
    'Database connection' => $tls !== '' ? 'remote, over TLS' : 'local',
    'Web server' => 'nginx',
    'Host' => $_SERVER['HTTP_HOST'] ?? '',
];
?>
<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="generator" content="seed-web:php">
  <title><?= $h($_SERVER['HTTP_HOST'] ?? 'seed-web') ?></title>
  <style>
    body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; color: #222; }
    .flow { font-size: 1.25rem; font-weight: 600; }
    th { text-align: left; padding-right: 1rem; font-weight: 500; color: #555; }
  </style>
</head>
<body>
  <h1><?= $h($row['message']) ?></h1>
  <p class="flow">Nginx &rarr; PHP-FPM &rarr; MySQL</p>
  <table>
<?php foreach ($facts as $k => $v): ?>
    <tr><th><?= $h($k) ?></th><td><?= $h($v) ?></td></tr>
<?php endforeach; ?>
  </table>
  <footer><small>seed-web:php</small></footer>
</body>
</html>
PHP

# The load balancer's health check: PHP runs and the application's own connection answers SELECT 1.
lemp_write_file "$LEMP_DOC_ROOT/health.php" 0644 root:root <<'PHP'
<?php
// Managed by seed-web (scripts/app.sh): 200 "ok" when PHP runs and the database answers over the application's own
// connection; 503 otherwise, without details (they go to the error log).
declare(strict_types=1);
header('Content-Type: text/plain; charset=utf-8');
header('Cache-Control: no-store');
$ok = false;
try {
    require '/etc/seed-web/app-db.php';
    $db = seed_web_db();
    $ok = (string) ($db->query('SELECT 1')->fetch_row()[0] ?? '') === '1';
    $db->close();
} catch (Throwable $e) {
    error_log('seed-web: health check: ' . $e->getMessage());
}
http_response_code($ok ? 200 : 503);
echo $ok ? "ok\n" : "unavailable\n";
PHP

lemp_fact app_db_host "$LEMP_DB_HOST"
lemp_fact app_db_tls "$LEMP_DB_TLS"
lemp_finish

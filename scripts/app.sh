#!/usr/bin/env bash
# Step "app": the PHP application: its database settings and the page that proves Nginx -> PHP-FPM -> MySQL.
# Settings: LEMP_DOC_ROOT, LEMP_DB_HOST ("localhost" = the unix socket, the default), LEMP_DB_PORT (default 3306),
#           LEMP_DB_NAME, LEMP_DB_USER.  Stdin: the application user's password (first line).
set -euo pipefail
if ! declare -F lemp_init >/dev/null; then
  # shellcheck source-path=SCRIPTDIR source=lib.sh
  . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
fi
lemp_init app
lemp_os

LEMP_DB_HOST=${LEMP_DB_HOST:-localhost}
LEMP_DB_PORT=${LEMP_DB_PORT:-3306}
lemp_require LEMP_DOC_ROOT '^/[A-Za-z0-9._/-]+$' 'an absolute path (letters, digits, . _ - /)'
lemp_require LEMP_DB_HOST '^[A-Za-z0-9.:-]+$' 'a host name or address'
lemp_require LEMP_DB_PORT '^[1-9][0-9]{0,4}$' 'a TCP port'
lemp_require LEMP_DB_NAME '^[A-Za-z0-9_]{1,64}$' 'a database name (letters, digits, _)'
lemp_require LEMP_DB_USER '^[A-Za-z0-9_]{1,32}$' 'a user name (letters, digits, _; at most 32)'
lemp_inputs_checked   # LEMP_CHECK_ONLY=1 stops here: settings checked, nothing read from stdin, nothing changed
password=""
lemp_read_secret password
getent group www-data >/dev/null || lemp_die "group www-data missing: run php.sh first"

# The settings PHP reads: readable by PHP-FPM (group www-data), not by others. Parsed with INI_SCANNER_RAW, so a
# double-quoted value is taken verbatim, whatever characters the password holds.
lemp_mkdir /etc/seed-web 0755 root:root
lemp_write_file /etc/seed-web/app-db.ini 0640 root:www-data <<INI
; Managed by seed-web (scripts/app.sh). Read by $LEMP_DOC_ROOT/index.php.
[database]
host = "$LEMP_DB_HOST"
socket = "$LEMP_DB_SOCKET"
port = "$LEMP_DB_PORT"
name = "$LEMP_DB_NAME"
user = "$LEMP_DB_USER"
password = "$password"
INI

lemp_mkdir "$LEMP_DOC_ROOT" 0755 root:root
lemp_write_file "$LEMP_DOC_ROOT/index.php" 0644 root:root <<'PHP'
<?php
// Managed by seed-web (scripts/app.sh). The request flow: Nginx -> PHP-FPM -> MySQL, and the facts that prove it.
declare(strict_types=1);
header('Content-Type: text/html; charset=utf-8');
header('Cache-Control: no-store');
$h = static fn ($v): string => htmlspecialchars((string) $v, ENT_QUOTES, 'UTF-8');

try {
    $cfg = parse_ini_file('/etc/seed-web/app-db.ini', true, INI_SCANNER_RAW);
    if ($cfg === false || !isset($cfg['database'])) {
        throw new RuntimeException('cannot read /etc/seed-web/app-db.ini');
    }
    $c = $cfg['database'];
    mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
    $local = $c['host'] === 'localhost';
    $db = new mysqli($c['host'], $c['user'], $c['password'], $c['name'], (int) $c['port'], $local ? $c['socket'] : null);
    $row = $db->query('SELECT message FROM greetings WHERE id = 1')->fetch_assoc();
    if ($row === null) {
        throw new RuntimeException('greeting row 1 missing');
    }
    $server = $db->server_info;
    $db->close();
} catch (Throwable $e) {
    error_log('seed-web: database error: ' . $e->getMessage());
    http_response_code(500);
    echo "<!DOCTYPE html>\n<title>Database unavailable</title>\n<h1>500: database unavailable</h1>\n";
    exit;
}
$facts = [
    'PHP version' => PHP_VERSION,
    'PHP SAPI' => php_sapi_name(),
    'Database server' => $server,
    'Database' => $c['name'] . ($local ? ' (unix socket)' : ' at ' . $c['host'] . ':' . $c['port']),
    'Web server' => strtok($_SERVER['SERVER_SOFTWARE'] ?? 'nginx', '/'),
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

lemp_fact app_db_host "$LEMP_DB_HOST"
lemp_finish

#!/usr/bin/env bash
# Probe (read-only): what a host really runs, for `npm run verify` (tools/verify.ts). Runs in ONE ssh session per
# host (the script on stdin: `bash -s`, or `sudo -n bash -s` for a user other than root) and changes nothing: it only
# reads state and prints it in sections "### NAME" followed by the raw output of one inspection command. A section
# that cannot be read prints "!unavailable REASON", and verify then reports what depends on it as "cannot decide".
#
# What differs by release and engine (the PHP-FPM and database units, the replica-status and TLS statements) comes
# from scripts/platform.sh, which verify sends before this file (tools/verify/probe.ts), as the steps get it.
#
# Settings (optional): LEMP_PROBE_BACKUP_DIR (default /var/backups/seed-web), LEMP_PROBE_EXPORTER_PORT (default 9100).
# Runnable by hand: `sudo bash scripts/probe.sh` (it sources platform.sh from its own directory).
set -euo pipefail
export LC_ALL=C PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# shellcheck source-path=SCRIPTDIR source=platform.sh
declare -F lemp_os_release >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/platform.sh"
# platform.sh's functions stop on what they do not know: here in a subshell, whose output is then left out
lemp_log() { :; }
lemp_die() {
  if [[ ${1:-} =~ ^[0-9]+$ ]] && [ $# -gt 1 ]; then shift; fi
  printf '%s\n' "$*" >&2
  exit 1
}
backup_dir=${LEMP_PROBE_BACKUP_DIR:-/var/backups/seed-web}
exporter_port=${LEMP_PROBE_EXPORTER_PORT:-9100}
[[ $exporter_port =~ ^[0-9]{1,5}$ ]] || exporter_port=9100

section() { printf '### %s\n' "$1"; }
has() { command -v "$1" >/dev/null 2>&1; }

section id
id -u
section now
date +%s
section os
# os-release read as the steps read it (platform.sh; LEMP_OS_RELEASE as there, default /etc/os-release)
lemp_os_field PRETTY_NAME "${LEMP_OS_RELEASE:-/etc/os-release}" 2>/dev/null || echo unknown

section listen
if has ss; then ss -Hltnp 2>/dev/null || echo "!unavailable ss failed"; else echo "!unavailable ss not installed"; fi

section ufw
if ! has ufw; then echo "!absent ufw not installed"
elif [ "$(id -u)" -ne 0 ]; then echo "!unavailable not root"
else ufw status verbose 2>&1 || echo "!unavailable ufw status failed"; fi

section nginx
if has nginx; then nginx -T 2>/dev/null || echo "!unavailable nginx -T failed"; else echo "!absent nginx not installed"; fi

section haproxy
if has haproxy && [ -r /etc/haproxy/haproxy.cfg ]; then
  if haproxy -c -V -f /etc/haproxy/haproxy.cfg >/dev/null 2>&1; then echo "#valid"; else echo "#invalid"; fi
  cat /etc/haproxy/haproxy.cfg
else echo "!absent haproxy not installed"; fi

# the platform's data for this host: the release's PHP-FPM unit (none on a release platform.sh does not know), the
# database engine (from the server's answer, else from the server installed) with the statements of its version
php_unit=$(lemp_os_release 2>/dev/null && echo "$LEMP_PHP_FPM_SERVICE") || php_unit=""
mysql_q() { timeout 5 mysql --connect-timeout=3 -N -B -e "$1" 2>/dev/null; }
db_version=""
if has mysql; then db_version=$(mysql_q "SELECT VERSION()") || db_version=""; fi
case "$db_version" in
  *MariaDB*) db_engine=mariadb ;;
  [0-9]*) db_engine=mysql ;;
  *) db_engine=$(lemp_db_engine_installed) ;;
esac
db_data=""
if [ -n "$db_engine" ]; then
  db_data=$(
    lemp_db_engine "$db_engine"
    if [ -n "$db_version" ]; then lemp_db_version_sql "$db_version"; fi
    # shellcheck disable=SC2090  # declare -p quotes the values itself
    declare -p LEMP_DB_SERVICE LEMP_DB_TLS_SQL LEMP_DB_REPLICA_STATUS LEMP_DB_REPLICA_COLS LEMP_DB_REPLICA_LAG_COL
  ) 2>/dev/null || db_data=""
fi
LEMP_DB_SERVICE="" LEMP_DB_TLS_SQL="" LEMP_DB_REPLICA_STATUS="" LEMP_DB_REPLICA_COLS="" LEMP_DB_REPLICA_LAG_COL=""
eval "$db_data"   # declare -p of platform.sh's own values

section mysql-vars
if ! has mysql; then echo "!absent mysql client not installed"
elif [ -z "$db_version" ]; then echo "!unavailable mysql not answering"
elif [ -z "$LEMP_DB_TLS_SQL" ]; then echo "!unavailable no platform data for server $db_version"
else
  tls=$(mysql_q "$LEMP_DB_TLS_SQL") || tls=""
  vars=$(mysql_q "SELECT @@bind_address, @@port, @@server_id, @@read_only") || vars=""
  if [ -n "$vars" ] && [ -n "$tls" ]; then printf '%s\t%s\n' "$vars" "$tls"; else echo "!unavailable mysql not answering"; fi
fi
section mysql-users
if has mysql; then mysql_q "SELECT user, host, ssl_type FROM mysql.user" || echo "!unavailable mysql not answering"
else echo "!absent mysql client not installed"; fi
section mysql-replica
if ! has mysql; then echo "!absent mysql client not installed"
elif [ -z "$db_version" ]; then echo "!unavailable mysql not answering"
elif [ -z "$LEMP_DB_REPLICA_STATUS" ]; then echo "!unavailable no platform data for server $db_version"
else
  # the statement and the column names of this engine and version (SHOW REPLICA STATUS: Source_Host, Replica_IO_Running…)
  cols="${LEMP_DB_REPLICA_COLS// /|}|$LEMP_DB_REPLICA_LAG_COL"
  out=$(timeout 5 mysql --connect-timeout=3 -E -e "$LEMP_DB_REPLICA_STATUS" 2>/dev/null) || out="!unavailable mysql not answering"
  printf '%s\n' "$out" | grep -E "^\\s*($cols):|^!" || true
fi

section units
if [ -d /run/systemd/system ]; then
  # one systemctl call: "UNIT UNIT-FILE-STATE ACTIVE-STATE" per unit
  # the release's PHP-FPM and the engine's database units (platform.sh), those every release names alike
  units=(nginx.service haproxy.service prometheus-node-exporter.service seed-web-backup.timer ufw.service)
  [ -z "$php_unit" ] || units+=("$php_unit.service")
  [ -z "$LEMP_DB_SERVICE" ] || units+=("$LEMP_DB_SERVICE.service")
  systemctl show -p Id -p UnitFileState -p ActiveState -p LoadState "${units[@]}" 2>/dev/null |
    awk -F= '/^Id=/ { id = $2 } /^LoadState=/ { load = $2 } /^UnitFileState=/ { file = $2 } /^ActiveState=/ { act = $2 }
      /^$/ { if (id != "") print id, (load == "not-found" ? "not-found" : (file == "" ? "static" : file)), act; id = "" }
      END { if (id != "") print id, (load == "not-found" ? "not-found" : (file == "" ? "static" : file)), act }' || true
else echo "!unavailable no systemd"; fi

section backup
if [ -d "$backup_dir" ]; then
  find "$backup_dir" -maxdepth 1 -type f -name '*.sql.gz' -size +0 -printf '%T@ %f\n' 2>/dev/null | sort -n | tail -1
else echo "!absent no backup directory"; fi

section exporter
addr=$(ss -Hltn "sport = :$exporter_port" 2>/dev/null | awk 'NR == 1 { print $4 }' || true)
addr=${addr%:*}
case "$addr" in "" ) echo "!absent nothing listens on $exporter_port" ;;
  "*"|0.0.0.0|"[::]") addr=127.0.0.1 ;;
esac
if [ -n "$addr" ]; then
  addr=${addr#[}; addr=${addr%]}
  if [[ $addr == *:* ]]; then url="http://[$addr]:$exporter_port/metrics"; else url="http://$addr:$exporter_port/metrics"; fi
  if has curl; then
    n=$(curl -fsS -m 2 "$url" 2>/dev/null | grep -c '^node_' || true)
    echo "$addr ${n:-0}"
  else echo "!unavailable curl not installed"; fi
fi
# --- verify's own reads (issue 23): the packet filter whatever wrote it, and what the database step removes ---
section iptables
if ! has iptables-save; then echo "!absent iptables not installed"
elif [ "$(id -u)" -ne 0 ]; then echo "!unavailable not root"
else iptables-save 2>/dev/null || echo "!unavailable iptables-save failed"; fi
section nft
if ! has nft; then echo "!absent nft not installed"
elif [ "$(id -u)" -ne 0 ]; then echo "!unavailable not root"
else nft list ruleset 2>/dev/null || echo "!unavailable nft list ruleset failed"; fi
section mysql-schemas
if has mysql; then
  mysql_q "SELECT 'schema', schema_name FROM information_schema.schemata UNION ALL SELECT DISTINCT 'grant', db FROM mysql.db" ||
    echo "!unavailable mysql not answering"
else echo "!absent mysql client not installed"; fi

# the database's TLS certificates (database.sh): their expiry, as "FILE notAfter-as-Unix-time"
section db-tls
for f in /etc/mysql/seed-web-tls/server.pem /etc/mysql/seed-web-tls/ca.pem; do
  [ -f "$f" ] || continue
  if end=$(openssl x509 -enddate -noout -in "$f" 2>/dev/null) && end=$(date -d "${end#notAfter=}" +%s 2>/dev/null); then
    echo "$f $end"
  else echo "!unavailable $f unreadable"; fi
done

# what the steps found on the host before the stack's first apply and keep (scripts/lib/preexisting.sh, lemp_before_*): one
# "STEP KIND VALUE" line each
section kept
if [ -d /var/lib/seed-web/before ]; then
  for f in /var/lib/seed-web/before/*; do
    [ -f "$f" ] || continue
    sed "s|^|${f##*/} |" "$f" 2>/dev/null || echo "!unavailable $f unreadable"
  done
fi

# the serving profile (scripts/lib/tune.sh, lemp_tune): what the steps computed at apply (the comment php.sh writes in its
# ini, the values database.sh writes in its cnf) next to what the host runs (the pool file, the server's variables);
# one "KEY VALUE" line each
section profile
for f in /etc/php/*/fpm/conf.d/99-seed-web.ini; do
  [ -f "$f" ] || continue
  sed -n -E 's/^; profile: pm\.max_children = ([0-9]+).*/php.profile.max_children \1/p' "$f"
  pool=${f%/conf.d/*}/pool.d/www.conf
  if [ -f "$pool" ]; then sed -n -E 's/^pm\.max_children[[:space:]]*=[[:space:]]*([0-9]+).*/php.pool.max_children \1/p' "$pool"; fi
  # opcache's JIT as PHP-FPM reads its configuration (php-fpm -i: every ini file, ours and any other): 1 on, 0 off
  v=${f#/etc/php/}; v=${v%%/*}
  if has "php-fpm$v"; then
    "php-fpm$v" -i 2>/dev/null | awk -F' => ' '
      $1 == "opcache.enable" { en = $2 } $1 == "opcache.jit" { mode = $2 } $1 == "opcache.jit_buffer_size" { size = $2 }
      END { if (size == "") exit
            print "php.fpm.jit_on " ((size !~ /^0*[KMGkmg]?$/ && mode !~ /^(disable|off|0|no value|)$/ && en !~ /^(Off|0)$/) ? 1 : 0) }'
  fi
done
for f in /etc/mysql/*.conf.d/99-seed-web.cnf; do
  [ -f "$f" ] || continue
  sed -n -E 's/^innodb_buffer_pool_size = ([0-9]+)M$/db.cnf.buffer_pool_mb \1/p; s/^max_connections = ([0-9]+)$/db.cnf.max_connections \1/p' "$f"
  if has mysql && live=$(mysql_q "SELECT @@innodb_buffer_pool_size DIV 1048576, @@max_connections"); then
    printf 'db.live.buffer_pool_mb %s\ndb.live.max_connections %s\n' "${live%%$'\t'*}" "${live##*$'\t'}"
  fi
done

# the user's application (scripts/release.sh): "BASE TARGET KEPT" per site (TARGET = releases/<id>, the live one)
section release
for l in /var/www/*-app/current; do
  [ -L "$l" ] || continue
  b=${l%/current}
  printf '%s %s %s\n' "$b" "$(readlink "$l")" "$(find "$b/releases" -mindepth 1 -maxdepth 1 -type d -regextype posix-extended -regex '.*/[0-9a-f]{20}' 2>/dev/null | wc -l)"
done

section end

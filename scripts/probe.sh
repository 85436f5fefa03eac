#!/usr/bin/env bash
# Probe (read-only): what a host really runs, for `npm run verify` (tools/verify.ts). Runs in ONE ssh session per
# host (the script on stdin: `bash -s`, or `sudo -n bash -s` for a user other than root) and changes nothing: it only
# reads state and prints it in sections "### NAME" followed by the raw output of one inspection command. A section
# that cannot be read prints "!unavailable REASON", and verify then reports what depends on it as "cannot decide".
#
# Settings (optional): LEMP_PROBE_BACKUP_DIR (default /var/backups/seed-web), LEMP_PROBE_EXPORTER_PORT (default 9100).
# Runnable by hand: `sudo bash scripts/probe.sh`.
set -euo pipefail
export LC_ALL=C PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
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
sed -n 's/^PRETTY_NAME="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' /etc/os-release 2>/dev/null || echo unknown

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

mysql_q() { timeout 5 mysql --connect-timeout=3 -N -B -e "$1" 2>/dev/null; }
section mysql-vars
if has mysql; then mysql_q "SELECT @@bind_address, @@port, @@server_id, @@read_only, @@have_ssl" || echo "!unavailable mysql not answering"
else echo "!absent mysql client not installed"; fi
section mysql-users
if has mysql; then mysql_q "SELECT user, host, ssl_type FROM mysql.user" || echo "!unavailable mysql not answering"
else echo "!absent mysql client not installed"; fi
section mysql-replica
if has mysql; then
  out=$(timeout 5 mysql --connect-timeout=3 -e 'SHOW SLAVE STATUS\G' 2>/dev/null) || out="!unavailable mysql not answering"
  printf '%s\n' "$out" | grep -E '^\s*(Master_Host|Slave_IO_Running|Slave_SQL_Running|Seconds_Behind_Master|Last_IO_Error|Last_SQL_Error):|^!' || true
else echo "!absent mysql client not installed"; fi

section units
if [ -d /run/systemd/system ]; then
  # one systemctl call: "UNIT UNIT-FILE-STATE ACTIVE-STATE" per unit
  systemctl show -p Id -p UnitFileState -p ActiveState -p LoadState \
    nginx.service php8.2-fpm.service php8.1-fpm.service mariadb.service haproxy.service \
    prometheus-node-exporter.service seed-web-backup.timer ufw.service 2>/dev/null |
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

section end

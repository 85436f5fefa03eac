#!/usr/bin/env bash
# Step "backup": a daily dump of the application database (on the database primary), and the command to restore it.
# Settings: LEMP_DB_NAME, LEMP_BACKUP_TIME (daily, HH:MM local time, default 03:15), LEMP_BACKUP_RETENTION (dumps
#           kept, default 7), LEMP_BACKUP_DIR (default /var/backups/seed-web), LEMP_DB_ENGINE (auto | mysql |
#           mariadb, as database.sh had it: the dump's options).
# Installs: /usr/local/sbin/seed-web-backup (mysqldump --single-transaction --routines --events --triggers, gzip,
#           <dir>/<db>-<UTC time>.sql.gz, 0600, written under a temporary name then renamed, the newest N kept; exits
#           non-zero when the dump fails; on success writes seed_web_backup_last_success_timestamp_seconds to
#           /var/lib/prometheus/node-exporter/seed_web_backup.prom for the node exporter's textfile collector) and
#           /usr/local/sbin/seed-web-restore [--force] FILE [DATABASE] (into DATABASE, default LEMP_DB_NAME; a
#           non-empty one only with --force, after a safety dump in <dir>/pre-restore/; loaded into a fresh database,
#           then every table swapped in one RENAME TABLE; an empty or truncated dump, one without tables or one that
#           names a database (USE, CREATE DATABASE) is refused, nothing changed). Schedule: seed-web-backup.timer (systemd; a failed dump
#           leaves the service failed) or /etc/cron.d/seed-web-backup (cron, without).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
declare -F lemp_init >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lemp_init backup
lemp_os

LEMP_BACKUP_TIME=${LEMP_BACKUP_TIME:-03:15}
LEMP_BACKUP_RETENTION=${LEMP_BACKUP_RETENTION:-7}
LEMP_BACKUP_DIR=${LEMP_BACKUP_DIR:-/var/backups/seed-web}
# the node exporter's textfile directory (Debian/Ubuntu package): written whether monitoring is on or not
LEMP_BACKUP_METRICS_DIR=/var/lib/prometheus/node-exporter
lemp_require LEMP_DB_NAME '^[A-Za-z0-9_]{1,64}$' 'a database name (letters, digits, _)'
lemp_require LEMP_BACKUP_TIME '^([01][0-9]|2[0-3]):[0-5][0-9]$' 'a time of day HH:MM'
lemp_require LEMP_BACKUP_RETENTION '^[1-9][0-9]{0,3}$' 'a number of dumps >= 1'
lemp_require LEMP_BACKUP_DIR '^/[A-Za-z0-9._/-]+$' 'an absolute path (letters, digits, . _ - /)'
lemp_inputs_checked   # LEMP_CHECK_ONLY=1 stops here: settings checked, nothing read from stdin, nothing changed
command -v mysqldump >/dev/null || lemp_die "mysqldump is not installed: run database.sh first"
hour=${LEMP_BACKUP_TIME%%:*}
minute=${LEMP_BACKUP_TIME##*:}

lemp_install_step_packages backup
lemp_mkdir "$LEMP_BACKUP_DIR" 0700 root:root
if [ ! -d "$LEMP_BACKUP_METRICS_DIR" ]; then   # created as the package does (its owner left alone when it exists)
  install -d -m 0755 "$LEMP_BACKUP_METRICS_DIR"
  lemp_changed "created directory $LEMP_BACKUP_METRICS_DIR"
fi

# The two commands: their settings first (validated above), then fixed code (quoted heredocs: nothing expanded here)
tool_settings() {
  printf '#!/usr/bin/env bash\n# Managed by seed-web (scripts/backup.sh): changes here are overwritten.\n'
  printf '# shellcheck disable=SC2034  # the settings of both commands, each uses some\n'
  printf 'db_default=%s\ndir=%s\nkeep=%s\nmetrics_dir=%s\ndump_opts=(%s)\n' \
    "$LEMP_DB_NAME" "$LEMP_BACKUP_DIR" "$LEMP_BACKUP_RETENTION" "$LEMP_BACKUP_METRICS_DIR" "$LEMP_DB_BACKUP_OPTS"
}

backup_tool() {
  tool_settings
  cat <<'SCRIPT'
# A dump of the database $db_default into $dir (the newest $keep are kept); prints the file. Exits non-zero when the
# dump fails (nothing written then). On success, the time is written for the node exporter's textfile collector:
# $metrics_dir/seed_web_backup.prom, seed_web_backup_last_success_timestamp_seconds{database="..."}.
set -euo pipefail
umask 077
db=$db_default
file="$dir/$db-$(date -u +%Y%m%dT%H%M%SZ).sql.gz"
tmp=$(mktemp "$dir/.$db.XXXXXX")
trap 'rm -f "$tmp"' EXIT
# root over the unix socket; one consistent InnoDB snapshot, without locking the tables
if ! mysqldump --single-transaction --routines --events --triggers "${dump_opts[@]}" "$db" | gzip -9 >"$tmp"; then
  echo "seed-web-backup: the dump of $db failed: no backup written (the last successful one is unchanged)" >&2
  exit 1
fi
gzip -t "$tmp"
chmod 0600 "$tmp"
mv -f "$tmp" "$file"
trap - EXIT
# the newest $keep dumps stay (the names sort by time)
find "$dir" -maxdepth 1 -type f -name "$db-*.sql.gz" | sort -r | tail -n +$((keep + 1)) | xargs -r rm -f --
# for monitoring: the time of this successful backup (written atomically; the collector ignores the temporary name)
[ -d "$metrics_dir" ] || install -d -m 0755 "$metrics_dir"
mtmp=$(mktemp "$metrics_dir/.seed_web_backup.XXXXXX")
trap 'rm -f "$mtmp"' EXIT
{
  echo "# HELP seed_web_backup_last_success_timestamp_seconds Time of the last successful seed-web-backup dump."
  echo "# TYPE seed_web_backup_last_success_timestamp_seconds gauge"
  echo "seed_web_backup_last_success_timestamp_seconds{database=\"$db\"} $(date +%s)"
  echo "# HELP seed_web_backup_last_size_bytes Size of the last successful seed-web-backup dump (gzip)."
  echo "# TYPE seed_web_backup_last_size_bytes gauge"
  echo "seed_web_backup_last_size_bytes{database=\"$db\"} $(stat -c %s "$file")"
} >"$mtmp"
chmod 0644 "$mtmp"
mv -f "$mtmp" "$metrics_dir/seed_web_backup.prom"
trap - EXIT
echo "$file"
SCRIPT
}

restore_tool() {
  tool_settings
  cat <<'SCRIPT'
# usage: seed-web-restore [--force] FILE [DATABASE]
# Restores a dump of seed-web-backup (.sql.gz or .sql) into DATABASE (default $db_default), created when missing.
# A DATABASE that holds tables is replaced only with --force, after a safety dump into $dir/pre-restore/. Atomic:
# the dump is loaded into a fresh database, then one RENAME TABLE statement swaps every table (the live ones out,
# the restored ones in), so the live database is never a mix; a dump that fails to load leaves it untouched.
# Views, triggers, routines and events cannot move with a RENAME TABLE: a dump or database holding them is refused.
set -euo pipefail
umask 077
me=seed-web-restore
usage() { echo "usage: $me [--force] FILE [DATABASE]   (DATABASE: default $db_default)" >&2; exit 2; }
die() { echo "$me: $*" >&2; exit "${code:-1}"; }
force=0
args=()
for a in "$@"; do
  case "$a" in
    --force) force=1 ;;
    -h | --help) usage ;;
    -*) echo "$me: unknown option $a" >&2; usage ;;
    *) args+=("$a") ;;
  esac
done
if [ ${#args[@]} -lt 1 ] || [ ${#args[@]} -gt 2 ]; then usage; fi
file=${args[0]}
db=${args[1]:-$db_default}
[[ $db =~ ^[A-Za-z0-9_]{1,64}$ ]] || code=2 die "bad database name '$db' (letters, digits, _)"
case "${db,,}" in mysql | sys | information_schema | performance_schema) code=2 die "refusing to restore into the system database $db" ;; esac
[ -r "$file" ] || die "cannot read $file"
case "$file" in *.gz) gzip -t "$file" || die "$file is not a valid gzip file: nothing changed" ;; esac
dump() { case "$file" in *.gz) gzip -dc "$file" ;; *) cat "$file" ;; esac; }

# The dump must land in the fresh database, whole, with tables, or nothing is touched (checked before the server is):
#   - a statement that picks or makes another database (USE, CREATE/DROP DATABASE: mysqldump --databases / -A
#     writes them) would load it past the fresh database, into the live one or elsewhere;
#   - an empty file, or one cut short (mysqldump's last line, "-- Dump completed", missing), would swap in a
#     partial or empty copy;
#   - a dump without a CREATE TABLE would empty the live database.
# Statements start at the beginning of a line in a dump (the rows of an INSERT stay on its line, their newlines
# escaped); the versioned comments (/*!40000 ... */) mysqldump wraps some of them in are looked into too.
verdict=$(dump | LC_ALL=C awk '
  { n++; if ($0 ~ /[^[:space:]]/) last = $0 }
  toupper($0) ~ /^[[:space:]]*(\/\*![0-9]*[[:space:]]*)?(USE[[:space:]`]|USE$|(CREATE|DROP)[[:space:]]+(DATABASE|SCHEMA)([[:space:]`]|$))/ {
    if (bad == "") bad = n ": " substr($0, 1, 80)
  }
  toupper($0) ~ /^[[:space:]]*CREATE[[:space:]]+TABLE/ { tables++ }
  END {
    if (n == 0 || last == "") print "empty"
    else if (bad != "") print "database " bad
    else if (last !~ /^-- Dump completed/) print "truncated"
    else if (tables == 0) print "notables"
    else print "ok"
  }') || verdict="unreadable"
case "$verdict" in
  ok) ;;
  empty) die "$file is empty: nothing to restore. Nothing changed" ;;
  database*) die "$file names a database of its own (line ${verdict#database }): a dump made with --databases or --all-databases would not load into the fresh database only. Make one without (seed-web-backup, or mysqldump DB). Nothing changed" ;;
  truncated) die "$file is cut short: its last line is not mysqldump's '-- Dump completed'. Nothing changed" ;;
  notables) die "$file holds no CREATE TABLE: restoring it would leave $db without tables. Nothing changed" ;;
  *) die "cannot read $file: nothing changed" ;;
esac

sql() { mysql --protocol=socket -uroot -N -B -r "$@"; }
bq='`'
q() { printf '%s%s%s' "$bq" "${1//$bq/$bq$bq}" "$bq"; }   # an identifier
count() {   # DB: its tables, views, triggers, routines and events, as "tables other"
  sql -e "SELECT (SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$1' AND TABLE_TYPE = 'BASE TABLE'),
    (SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$1' AND TABLE_TYPE <> 'BASE TABLE')
    + (SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = '$1')
    + (SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = '$1')
    + (SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = '$1')"
}
tables_of() { sql -e "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$1' AND TABLE_TYPE = 'BASE TABLE'"; }

sql -e "SELECT 1" >/dev/null || die "cannot reach the database server as root over its socket: nothing changed"
read -r live_tables live_other < <(count "$db") || true
[[ ${live_tables:-} =~ ^[0-9]+$ ]] || die "could not list the tables of $db: nothing changed"
[ "$live_other" = 0 ] || die "database $db holds views, triggers, routines or events, which cannot be swapped atomically: restore by hand. Nothing changed"
if [ "$live_tables" -gt 0 ] && [ "$force" = 0 ]; then
  code=3 die "database $db is not empty ($live_tables tables): '$me --force $file $db' replaces them all (a safety dump of $db is taken first). Nothing changed"
fi

stamp=$(date -u +%Y%m%dT%H%M%SZ)
new=seedweb_restore_$$
old=seedweb_previous_$$
cleanup() {   # the fresh database always; the one that held the previous tables only when it is empty
  sql -e "DROP DATABASE IF EXISTS $(q "$new")" || true
  if [ "$(sql -e "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$old'" 2>/dev/null || echo 1)" = 0 ]; then
    sql -e "DROP DATABASE IF EXISTS $(q "$old")" || true
  fi
}
trap cleanup EXIT

if [ "$live_tables" -gt 0 ]; then
  [ -d "$dir/pre-restore" ] || install -d -m 0700 "$dir/pre-restore"
  safety="$dir/pre-restore/$db-$stamp.sql.gz"
  mysqldump --single-transaction --routines --events --triggers "${dump_opts[@]}" "$db" | gzip -9 >"$safety.tmp" ||
    { rm -f "$safety.tmp"; die "the safety dump of $db failed: nothing changed"; }
  mv -f "$safety.tmp" "$safety"
  echo "$me: safety dump of $db ($live_tables tables): $safety" >&2
fi

# the charset of the target (utf8mb4 for a new one), for the fresh database too
read -r charset collation < <(sql -e "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '$db'") || true
charset=${charset:-utf8mb4}
spec="CHARACTER SET $charset${collation:+ COLLATE $collation}"
sql -e "CREATE DATABASE $(q "$new") $spec"
if ! dump | sql "$new"; then
  die "the dump $file could not be loaded (above): database $db is unchanged"
fi
read -r new_tables new_other < <(count "$new") || true
[[ ${new_tables:-} =~ ^[0-9]+$ ]] || die "could not list the restored tables: database $db is unchanged"
[ "$new_other" = 0 ] || die "the dump holds views, triggers, routines or events, which cannot be swapped atomically: restore by hand. Database $db is unchanged"
[ "$new_tables" -gt 0 ] || die "the dump $file loaded no table: database $db is unchanged"

# the swap: one statement, all or nothing
renames=()
while IFS= read -r t; do [ -z "$t" ] || renames+=("$(q "$db").$(q "$t") TO $(q "$old").$(q "$t")"); done < <(tables_of "$db")
while IFS= read -r t; do [ -z "$t" ] || renames+=("$(q "$new").$(q "$t") TO $(q "$db").$(q "$t")"); done < <(tables_of "$new")
sql -e "CREATE DATABASE IF NOT EXISTS $(q "$db") $spec; CREATE DATABASE $(q "$old")"
if [ ${#renames[@]} -gt 0 ]; then
  stmt="RENAME TABLE $(printf '%s, ' "${renames[@]}")"
  sql -e "${stmt%, }" || die "the swap failed (above): database $db is unchanged"
fi
sql -e "DROP DATABASE $(q "$old")"
echo "$me: restored $file into $db ($new_tables tables)" >&2
SCRIPT
}

lemp_write_file /usr/local/sbin/seed-web-backup 0755 root:root < <(backup_tool)
lemp_write_file /usr/local/sbin/seed-web-restore 0755 root:root < <(restore_tool)

if lemp_has_systemd; then
  lemp_write_file /etc/systemd/system/seed-web-backup.service 0644 root:root <<UNIT
# Managed by seed-web (scripts/backup.sh)
[Unit]
Description=seed-web: dump the database $LEMP_DB_NAME
After=$LEMP_DB_SERVICE.service

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/seed-web-backup
UNIT
  unit_changed=$LEMP_WROTE
  lemp_write_file /etc/systemd/system/seed-web-backup.timer 0644 root:root <<UNIT
# Managed by seed-web (scripts/backup.sh)
[Unit]
Description=seed-web: daily dump of the database $LEMP_DB_NAME

[Timer]
OnCalendar=*-*-* $LEMP_BACKUP_TIME:00
Persistent=true

[Install]
WantedBy=timers.target
UNIT
  [ "$LEMP_WROTE" = 0 ] || unit_changed=1
  if [ "$unit_changed" = 1 ]; then systemctl daemon-reload; fi
  lemp_service_enable_start seed-web-backup.timer
  if [ "$unit_changed" = 1 ] && [ "$LEMP_STARTED" = 0 ]; then lemp_service_restart seed-web-backup.timer; fi
  schedule="seed-web-backup.timer"
else
  lemp_apt_install cron
  lemp_write_file /etc/cron.d/seed-web-backup 0644 root:root <<CRON
# Managed by seed-web (scripts/backup.sh): daily dump of the database $LEMP_DB_NAME
SHELL=/bin/sh
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
$((10#$minute)) $((10#$hour)) * * * root /usr/local/sbin/seed-web-backup >/dev/null
CRON
  lemp_service_enable_start cron
  schedule="/etc/cron.d/seed-web-backup"
fi

lemp_fact backup_dir "$LEMP_BACKUP_DIR"
lemp_fact backup_time "$LEMP_BACKUP_TIME"
lemp_fact backup_retention "$LEMP_BACKUP_RETENTION"
lemp_fact backup_schedule "$schedule"
lemp_finish

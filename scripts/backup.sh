#!/usr/bin/env bash
# Step "backup": a daily dump of the application database (on the database primary), and the command to restore it.
# Settings: LEMP_DB_NAME, LEMP_BACKUP_TIME (daily, HH:MM local time, default 03:30), LEMP_BACKUP_RETENTION (dumps
#           kept, default 7), LEMP_BACKUP_DIR (default /var/backups/seed-web).
# Installs: /usr/local/sbin/seed-web-backup (mysqldump --single-transaction --routines --events --triggers, gzip,
#           <dir>/<db>-<UTC time>.sql.gz, 0600, written under a temporary name then renamed, the newest N kept) and
#           /usr/local/sbin/seed-web-restore FILE [DATABASE] (into DATABASE, default LEMP_DB_NAME, created when
#           missing). Schedule: seed-web-backup.timer (systemd) or /etc/cron.d/seed-web-backup (cron, without).
set -euo pipefail
if ! declare -F lemp_init >/dev/null; then
  # shellcheck source-path=SCRIPTDIR source=lib.sh
  . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
fi
lemp_init backup
lemp_os

LEMP_BACKUP_TIME=${LEMP_BACKUP_TIME:-03:30}
LEMP_BACKUP_RETENTION=${LEMP_BACKUP_RETENTION:-7}
LEMP_BACKUP_DIR=${LEMP_BACKUP_DIR:-/var/backups/seed-web}
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

lemp_write_file /usr/local/sbin/seed-web-backup 0755 root:root <<SCRIPT
#!/usr/bin/env bash
# Managed by seed-web (scripts/backup.sh): changes here are overwritten.
# A dump of the database $LEMP_DB_NAME into $LEMP_BACKUP_DIR; the newest $LEMP_BACKUP_RETENTION are kept. Prints the file.
set -euo pipefail
umask 077
db=$LEMP_DB_NAME
dir=$LEMP_BACKUP_DIR
keep=$LEMP_BACKUP_RETENTION
file="\$dir/\$db-\$(date -u +%Y%m%dT%H%M%SZ).sql.gz"
tmp=\$(mktemp "\$dir/.\$db.XXXXXX")
trap 'rm -f "\$tmp"' EXIT
# root over the unix socket; one consistent InnoDB snapshot, without locking the tables
mysqldump --single-transaction --routines --events --triggers $LEMP_DB_BACKUP_OPTS "\$db" | gzip -9 >"\$tmp"
gzip -t "\$tmp"
chmod 0600 "\$tmp"
mv -f "\$tmp" "\$file"
trap - EXIT
# the newest \$keep dumps stay (the names sort by time)
find "\$dir" -maxdepth 1 -type f -name "\$db-*.sql.gz" | sort -r | tail -n +\$((keep + 1)) | xargs -r rm -f --
echo "\$file"
SCRIPT

lemp_write_file /usr/local/sbin/seed-web-restore 0755 root:root <<SCRIPT
#!/usr/bin/env bash
# Managed by seed-web (scripts/backup.sh): changes here are overwritten.
# usage: seed-web-restore FILE [DATABASE]: restores a dump of seed-web-backup (.sql.gz or .sql) into DATABASE
# (default $LEMP_DB_NAME), creating it when missing. Tables in the dump replace those of the same name.
set -euo pipefail
[ \$# -ge 1 ] && [ \$# -le 2 ] || { echo "usage: \$0 FILE [DATABASE]" >&2; exit 2; }
file=\$1
db=\${2:-$LEMP_DB_NAME}
[[ \$db =~ ^[A-Za-z0-9_]{1,64}\$ ]] || { echo "\$0: bad database name '\$db'" >&2; exit 2; }
[ -r "\$file" ] || { echo "\$0: cannot read \$file" >&2; exit 1; }
case "\$file" in *.gz) gzip -t "\$file" ;; esac
mysql --protocol=socket -uroot -e "CREATE DATABASE IF NOT EXISTS \\\`\$db\\\` CHARACTER SET utf8mb4"
case "\$file" in *.gz) gzip -dc "\$file" ;; *) cat "\$file" ;; esac | mysql --protocol=socket -uroot "\$db"
echo "restored \$file into \$db" >&2
SCRIPT

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

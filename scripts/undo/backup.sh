#!/usr/bin/env bash
# Undo of step "backup" (the delete of its remote command; see lemp_undo_begin in lib/undo.sh for the generation rule).
# The timer (or cron entry), its service, seed-web-backup, seed-web-restore and the metric file removed. The dumps
# stay (restore one by hand: zcat FILE | mysql DB), whatever LEMP_DESTROY_DATA says (the primary's rows).
# gzip is never purged (an essential package).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
declare -F lemp_init >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lemp_undo_begin backup
lemp_os
LEMP_BACKUP_DIR=${LEMP_BACKUP_DIR:-/var/backups/seed-web}
lemp_require LEMP_BACKUP_DIR '^/[A-Za-z0-9._/-]+$' 'an absolute path'
case "$LEMP_BACKUP_DIR" in / | /var | /var/backups | /etc | /usr | /root | /home) lemp_die "LEMP_BACKUP_DIR=$LEMP_BACKUP_DIR is not a directory of ours" ;; esac
lemp_inputs_checked   # LEMP_CHECK_ONLY=1 stops here
lemp_undo_live || lemp_undo_skip
if lemp_has_systemd; then lemp_service_disable_stop seed-web-backup.timer; fi
units=0
for f in /etc/systemd/system/seed-web-backup.timer /etc/systemd/system/seed-web-backup.service; do
  if [ -e "$f" ]; then lemp_remove "$f"; units=1; fi
done
if [ "$units" = 1 ] && lemp_has_systemd; then systemctl daemon-reload; fi
lemp_remove /etc/cron.d/seed-web-backup
lemp_remove /usr/local/sbin/seed-web-backup
lemp_remove /usr/local/sbin/seed-web-restore
lemp_remove /var/lib/prometheus/node-exporter/seed_web_backup.prom
# the dumps stay whatever destroyData says: they are of the primary's rows, which a delete never removes (see
# undo/database.sh); README 'Destroying data on purpose'
if [ "$LEMP_DESTROY_DATA" = 1 ]; then lemp_log "kept the dumps in $LEMP_BACKUP_DIR (a delete never removes the primary's rows)"; fi
lemp_undo_end

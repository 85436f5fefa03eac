#!/usr/bin/env bash
# Undo of step "database" (the delete of its remote command; see lemp_undo_begin in lib/undo.sh for the generation rule).
# Live generation: the server stopped and disabled, the seed-web configuration (99-seed-web.cnf) and the TLS
# material of the connections between hosts (/etc/mysql/seed-web-tls/) removed. The data stays (the data directory,
# the application's database and accounts); LEMP_DESTROY_DATA=1 removes it on a replica only (LEMP_DB_ROLE=replica:
# its rows are the primary's), with the state kept about it (/var/lib/seed-web/db-user.*, replica-copy.*). A
# primary's or standalone server's data directory is never removed by a delete. purgePackages: the server package purged
# (its own purge keeps the databases). A replaced generation leaves everything to the live one (database.sh
# converges a changed port, bind address, role or replica list itself). A server that ran before the stack's first
# apply (recorded in /var/lib/seed-web/before/database) keeps running on its own configuration, with all its data,
# whatever LEMP_DESTROY_DATA and LEMP_PURGE_PACKAGES say (reported as left=...).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
declare -F lemp_init >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lemp_undo_begin database
lemp_os
lemp_inputs_checked   # LEMP_CHECK_ONLY=1 stops here
lemp_undo_live || lemp_undo_skip
lemp_before_load || true
if lemp_before_had server running; then
  # the server ran before the stack came: it keeps running, on its own configuration, with its data
  lemp_remove "$LEMP_DB_CONF_DIR/99-seed-web.cnf"
  lemp_remove_tree /etc/mysql/seed-web-tls
  lemp_remove /var/lib/prometheus/node-exporter/seed_web_db_tls.prom
  if [ "$LEMP_CHANGED" != 0 ]; then lemp_service_restart "$LEMP_DB_SERVICE"; fi
  lemp_log "left: $LEMP_DB_SERVICE running with its data (it ran before the stack)"
  lemp_fact left "$LEMP_DB_SERVICE"
  lemp_undo_end
  exit 0
fi
lemp_service_disable_stop "$LEMP_DB_SERVICE"
lemp_remove "$LEMP_DB_CONF_DIR/99-seed-web.cnf"
lemp_remove_tree /etc/mysql/seed-web-tls
lemp_remove /var/lib/prometheus/node-exporter/seed_web_db_tls.prom
if [ "$LEMP_DESTROY_DATA" = 1 ] && [ "${LEMP_DB_ROLE:-standalone}" = replica ]; then
  # a replica's rows are the primary's: its data directory goes
  lemp_remove_tree /var/lib/mysql
  for f in "$LEMP_STATE_DIR"/db-user.* "$LEMP_STATE_DIR"/replica-copy.*; do lemp_remove "$f"; done
elif [ "$LEMP_DESTROY_DATA" = 1 ] && [ -d /var/lib/mysql ]; then
  # The primary's (or a standalone server's) rows may exist on no other server: a delete never removes them, whatever
  # destroyData says. A delete runs the text of the last `up`, and the same delete runs when an `up` moves the
  # database to another host as when the stack is destroyed: it cannot know that the rows are kept elsewhere.
  lemp_log "kept /var/lib/mysql: it holds the primary's rows (${LEMP_DB_NAME:-}), which a delete never removes (destroyData removes a replica's); to destroy them on purpose, see README 'Destroying data on purpose'"
fi
lemp_purge_packages "$LEMP_DB_PACKAGE"
lemp_undo_end

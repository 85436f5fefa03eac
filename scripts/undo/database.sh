#!/usr/bin/env bash
# Undo of step "database" (the delete of its remote command; see lemp_undo_begin in lib.sh for the generation rule).
# Live generation: the server stopped and disabled, the seed-web configuration (99-seed-web.cnf) and the TLS
# material of the connections between hosts (/etc/mysql/seed-web-tls/) removed. The data stays (the data directory,
# the application's database and accounts) unless LEMP_DESTROY_DATA=1: then the data directory and the state kept
# about it (/var/lib/seed-web/db-user.*, replica-copy.done) are removed. purgePackages: the server package purged
# (its own purge keeps the databases). A replaced generation leaves everything to the live one (database.sh
# converges a changed port, bind address, role or replica list itself). A server that ran before the stack's first
# apply (recorded in /var/lib/seed-web/before/database) keeps running on its own configuration, with all its data,
# whatever LEMP_DESTROY_DATA and LEMP_PURGE_PACKAGES say (reported as left=...).
set -euo pipefail
if ! declare -F lemp_init >/dev/null; then
  # shellcheck source-path=SCRIPTDIR source=../lib.sh
  . "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
fi
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
if [ "$LEMP_DESTROY_DATA" = 1 ]; then
  lemp_remove_tree /var/lib/mysql
  for f in "$LEMP_STATE_DIR"/db-user.* "$LEMP_STATE_DIR/replica-copy.done"; do lemp_remove "$f"; done
fi
lemp_purge_packages "$LEMP_DB_PACKAGE"
lemp_undo_end

#!/usr/bin/env bash
# Undo of step "replication" (the delete of its remote command; see lemp_undo_begin in lib/undo.sh for the generation rule).
# On the primary: the replication account 'repl' at each replica it served is dropped (live generation: all of
# them, the replicas are gone; replaced generation: those the live one no longer lists). Its server must be running
# (on destroy this runs before the database's undo); when it is not, there is no account to reach: nothing done.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
declare -F lemp_init >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lemp_undo_begin replication
lemp_os
lemp_require LEMP_DB_REPLICA_HOSTS '^[A-Za-z0-9.%_:-]+( [A-Za-z0-9.%_:-]+)*$' 'space-separated replica addresses'
read -r -a replica_hosts <<<"$LEMP_DB_REPLICA_HOSTS"
lemp_inputs_checked   # LEMP_CHECK_ONLY=1 stops here
keep=() is_live=1
if ! lemp_undo_live; then
  lemp_undo_has_live || lemp_undo_skip
  is_live=0
  read -r -a keep <<<"$(lemp_live_setting LEMP_DB_REPLICA_HOSTS)"
fi
if lemp_db_q 'SELECT 1' >/dev/null 2>&1; then
  for h in "${replica_hosts[@]}"; do
    for k in "${keep[@]}"; do [ "$k" != "$h" ] || continue 2; done
    if [ "$(lemp_db_q "SELECT COUNT(*) FROM mysql.user WHERE User = 'repl' AND Host = $(lemp_sql_str "$h")")" != 0 ]; then
      lemp_db_q "SET SESSION sql_log_bin = 0; DROP USER 'repl'@$(lemp_sql_str "$h")"
      rm -f "$LEMP_STATE_DIR/db-user.repl@$h.sha256"
      lemp_changed "dropped user 'repl'@'$h' (replica removed)"
    fi
  done
else
  lemp_log "$LEMP_DB_SERVICE does not answer: no account to drop"
fi
[ "$is_live" = 1 ] || lemp_undo_skip
lemp_undo_end

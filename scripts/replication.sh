#!/usr/bin/env bash
# Step "replication": on the primary, after its replicas' database steps. The replication account "repl" at each
# replica keeps only the replication privileges (LEMP_DB_REPL_PRIVS: REPLICATION SLAVE): database.sh grants the
# initial copy's privileges (RELOAD, REPLICATION CLIENT, SELECT & co. on the application database) while a replica is
# not streaming yet; once the replicas have their copy (their database step succeeded), they are taken away here.
# Settings: LEMP_DB_NAME, LEMP_DB_REPLICA_HOSTS (space-separated replica addresses, as database.sh had them),
#           LEMP_DB_ENGINE (auto | mysql | mariadb, as database.sh had it).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
declare -F lemp_init >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lemp_init replication
lemp_os

lemp_require LEMP_DB_NAME '^[A-Za-z0-9_]{1,64}$' 'a database name (letters, digits, _)'
lemp_require LEMP_DB_REPLICA_HOSTS '^[A-Za-z0-9.%_:-]+( [A-Za-z0-9.%_:-]+)*$' 'space-separated replica addresses'
read -r -a replica_hosts <<<"$LEMP_DB_REPLICA_HOSTS"
lemp_inputs_checked   # LEMP_CHECK_ONLY=1 stops here: settings checked, nothing changed
REPL_USER=repl

lemp_db_q 'SELECT 1' >/dev/null 2>&1 || lemp_die "cannot reach $LEMP_DB_SERVICE as root over its unix socket (run database.sh first)"
for h in "${replica_hosts[@]}"; do
  if [ "$(lemp_db_q "SELECT COUNT(*) FROM mysql.user WHERE User = '$REPL_USER' AND Host = $(lemp_sql_str "$h")")" = 0 ]; then
    lemp_die "no replication account '$REPL_USER'@'$h' on this primary: database.sh (LEMP_DB_ROLE=primary) makes it"
  fi
  lemp_db_repl_privileges "$REPL_USER" "$h" "$LEMP_DB_NAME" 0
done

lemp_fact replication_privileges "$LEMP_DB_REPL_PRIVS"
lemp_fact replication_replicas "${#replica_hosts[@]}"
lemp_finish

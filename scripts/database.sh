#!/usr/bin/env bash
# Step "database": MySQL or MariaDB (LEMP_DB_ENGINE: auto = the distribution's own, MySQL on Ubuntu and MariaDB on
# Debian; mysql; mariadb), secured like mysql_secure_installation, with the application's database, user and
# greetings table.
# Settings: LEMP_DB_BIND (default 127.0.0.1), LEMP_DB_PORT (default 3306), LEMP_DB_NAME, LEMP_DB_USER,
#           LEMP_DB_CLIENT_HOSTS (space-separated MySQL host patterns the user connects from, default localhost),
#           LEMP_DB_ROLE (standalone = the default | primary | replica), LEMP_DB_SERVER_ID (a number >= 1; primary
#           and replica), LEMP_DB_REPLICA_HOSTS (primary: the replicas' addresses, each gets the user "repl"),
#           LEMP_DB_PRIMARY_HOST, LEMP_DB_PRIMARY_PORT (replica; port default 3306),
#           LEMP_DB_TLS (1 = TLS with a certificate from stdin: every account at a host other than localhost
#           REQUIRE SSL, replication verifies the primary against the CA; default 0).
# Stdin: the application user's password (first line); the replication password (next line, primary/replica);
# with LEMP_DB_TLS=1, then the server's private key, its certificate and the CA certificate, each a PEM encoded in
# base64 on one line.
# Root uses the unix socket (auth_socket / unix_socket).
# Refused (before any change): reserved database names and reserved or system accounts as LEMP_DB_USER (the lists
# LEMP_RESERVED_DATABASES and LEMP_RESERVED_USERS of lib/input.sh, which the program's validation reads too): the
# clean-up below would drop them or the grants would hand out the server itself.
# Replication: row-based binary log and GTIDs (MySQL: gtid_mode; MariaDB: always on). A replica without its
# completion marker gets an initial copy (mysqldump of the application database with its GTID position; a partial
# database of a cut copy is dropped first), then replicates from there; the marker is written once the copy and the
# replication's start succeeded. Each server keeps its own accounts (account statements stay out of the binary log):
# a replica creates the application user at the client hosts itself. It is read-only (MySQL: also super_read_only).
# The replication account "repl" holds REPLICATION SLAVE only, plus the copy's privileges while a replica is not
# streaming yet (it may need its initial copy); replication.sh, run on the primary after the replicas, takes those
# away again.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
declare -F lemp_init >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lemp_init database
lemp_os

LEMP_DB_BIND=${LEMP_DB_BIND:-127.0.0.1}
LEMP_DB_PORT=${LEMP_DB_PORT:-3306}
LEMP_DB_CLIENT_HOSTS=${LEMP_DB_CLIENT_HOSTS:-localhost}
lemp_require LEMP_DB_BIND '^[0-9A-Fa-f.:]+$' 'an IP address (0.0.0.0 for all)'
lemp_require LEMP_DB_PORT '^[1-9][0-9]{0,4}$' 'a TCP port'
lemp_require LEMP_DB_NAME '^[A-Za-z0-9_]{1,64}$' 'a database name (letters, digits, _)'
lemp_require LEMP_DB_USER '^[A-Za-z0-9_]{1,32}$' 'a user name (letters, digits, _; at most 32)'
lemp_require LEMP_DB_CLIENT_HOSTS '^[A-Za-z0-9.%_:-]+( [A-Za-z0-9.%_:-]+)*$' 'space-separated MySQL host patterns'
read -r -a client_hosts <<<"$LEMP_DB_CLIENT_HOSTS"
# reserved names (compared in lower case): the secure-installation clean-up, the grants and the replication account
# must never meet the application's own database or user
if lemp_reserved "$LEMP_DB_NAME" "$LEMP_RESERVED_DATABASES"; then
  lemp_die "LEMP_DB_NAME must not be a reserved database name (${LEMP_RESERVED_DATABASES// /, }): got '$LEMP_DB_NAME'"
fi
if lemp_reserved "$LEMP_DB_USER" "$LEMP_RESERVED_USERS"; then
  lemp_die "LEMP_DB_USER must not be a reserved or system account (${LEMP_RESERVED_USERS// /, }): got '$LEMP_DB_USER'"
fi
LEMP_DB_TLS=${LEMP_DB_TLS:-0}
lemp_require LEMP_DB_TLS '^[01]$' '1 or 0'
LEMP_DB_ROLE=${LEMP_DB_ROLE:-standalone}
LEMP_DB_PRIMARY_PORT=${LEMP_DB_PRIMARY_PORT:-3306}
LEMP_DB_REPLICA_HOSTS=${LEMP_DB_REPLICA_HOSTS:-}
LEMP_DB_PRIMARY_HOST=${LEMP_DB_PRIMARY_HOST:-}
lemp_require LEMP_DB_ROLE '^(standalone|primary|replica)$' 'standalone, primary or replica'
if [ "$LEMP_DB_ROLE" != standalone ]; then
  lemp_require LEMP_DB_SERVER_ID '^[1-9][0-9]{0,9}$' 'a number >= 1'
fi
if [ "$LEMP_DB_ROLE" = primary ]; then
  lemp_require LEMP_DB_REPLICA_HOSTS '^([A-Za-z0-9.%_:-]+( [A-Za-z0-9.%_:-]+)*)?$' 'space-separated replica addresses'
fi
if [ "$LEMP_DB_ROLE" = replica ]; then
  lemp_require LEMP_DB_PRIMARY_HOST '^[A-Za-z0-9.:-]+$' 'the primary host name or address'
  lemp_require LEMP_DB_PRIMARY_PORT '^[1-9][0-9]{0,4}$' 'a TCP port'
fi
read -r -a replica_hosts <<<"$LEMP_DB_REPLICA_HOSTS"
if [ "$LEMP_DB_ROLE" = primary ] && [ ${#replica_hosts[@]} -gt 0 ] && [[ $LEMP_DB_BIND == 127.* || $LEMP_DB_BIND == ::1 ]]; then
  lemp_log "warning: LEMP_DB_BIND=$LEMP_DB_BIND: the replicas cannot connect to this primary"
fi
lemp_inputs_checked   # LEMP_CHECK_ONLY=1 stops here: settings checked, nothing read from stdin, nothing changed
password=""
lemp_read_secret password
repl_password=""
if [ "$LEMP_DB_ROLE" != standalone ]; then lemp_read_secret repl_password; fi
tls_key="" tls_cert="" tls_ca=""
if [ "$LEMP_DB_TLS" = 1 ]; then
  for v in tls_key tls_cert tls_ca; do
    lemp_read_secret "$v"
    printf -v "$v" '%s' "$(printf '%s' "${!v}" | base64 -d 2>/dev/null)" || true
    [[ ${!v} == -----BEGIN* ]] || lemp_die "LEMP_DB_TLS=1: standard input holds no PEM (base64 on one line) for the ${v#tls_}"
  done
fi
REPL_USER=repl

# a server already running before the stack's first apply is its administrators' (lemp_before_* in lib/preexisting.sh): the
# undo leaves it running with its own configuration and its data. Noted before anything is installed or started (a
# first run cut short keeps what it saw: the next one finds the server the stack started)
db_was_running=0
if lemp_before_first; then
  if [ -f "$LEMP_BEFORE_DIR/database.server" ]; then
    read -r db_was_running <"$LEMP_BEFORE_DIR/database.server" || true
  else
    if lemp_service_running "$LEMP_DB_SERVICE"; then db_was_running=1; fi
    [ -d "$LEMP_STATE_DIR" ] || install -d -m 0700 "$LEMP_STATE_DIR"
    [ -d "$LEMP_BEFORE_DIR" ] || install -d -m 0700 "$LEMP_BEFORE_DIR"
    echo "$db_was_running" >"$LEMP_BEFORE_DIR/database.server"
  fi
fi
lemp_install_step_packages database

# --- the data first: before anything changes, what this run would do to the rows already here ---
# A replica drops its local database only when it is a copy cut short (a "copy started" marker without its
# "done") or when the host is named for re-seeding in this change (dbReseed: LEMP_DB_RESEED=1); a database it did
# not copy from this primary (a former primary or standalone, a copy of another primary) may hold the only copy of
# its rows: refused here, nothing changed. (lemp_db_copy_plan in lib/db-accounts.sh.)
LEMP_DB_RESEED=${LEMP_DB_RESEED:-0}
lemp_require LEMP_DB_RESEED '^[01]$' '1 or 0'
LEMP_DB_DATADIR=/var/lib/mysql
marker=$LEMP_STATE_DIR/replica-copy.done
started_marker=$LEMP_STATE_DIR/replica-copy.started
want_marker="$LEMP_DB_PRIMARY_HOST:$LEMP_DB_PRIMARY_PORT/$LEMP_DB_NAME"
server_up=0
if lemp_db_q 'SELECT 1' >/dev/null 2>&1; then server_up=1; fi
# status KEY: one field of the replication status (vertical output; empty when this server replicates from nobody)
status_field() { printf '%s\n' "$early_rs" | sed -n "s/^ *$1: //p" | head -n 1; }
early_rs=""
if [ "$server_up" = 1 ]; then early_rs=$(printf '%s;\n' "$LEMP_DB_REPLICA_STATUS" | mysql --protocol=socket -uroot -E); fi
if [ "$LEMP_DB_ENGINE" = mysql ]; then
  src=Source rep=Replica reset_replica='RESET REPLICA ALL'
else
  src=Master rep=Slave reset_replica='RESET SLAVE ALL'
fi
copy_plan=keep
if [ "$LEMP_DB_ROLE" = replica ]; then
  has_db=0
  [ ! -d "$LEMP_DB_DATADIR/$LEMP_DB_NAME" ] || has_db=1
  done_marker=$(cat "$marker" 2>/dev/null || true)
  # a replica set up before the marker existed that already streams from this primary: its copy was done
  if [ "$has_db" = 1 ] && [ "$done_marker" != "$want_marker" ] && [ ! -f "$started_marker" ] &&
    [ "$(status_field "${src}_Host")" = "$LEMP_DB_PRIMARY_HOST" ] && [ "$(status_field "${src}_Port")" = "$LEMP_DB_PRIMARY_PORT" ] &&
    [ "$(status_field "${src}_User")" = repl ] && [ "$(status_field "${rep}_IO_Running")" = Yes ] && [ "$(status_field "${rep}_SQL_Running")" = Yes ]; then
    lemp_mkdir "$LEMP_STATE_DIR" 0700 root:root
    (umask 077 && printf '%s\n' "$want_marker" >"$marker")
    done_marker=$want_marker
    lemp_changed "recorded the copy of $LEMP_DB_NAME as done: already replicating from $LEMP_DB_PRIMARY_HOST"
  fi
  copy_plan=$(lemp_db_copy_plan "$has_db" "$done_marker" "$want_marker" "$([ -f "$started_marker" ] && echo 1 || echo 0)" "$LEMP_DB_RESEED")
  if [ "$copy_plan" = refuse ]; then
    lemp_die 4 "refusing to make this host a replica of $LEMP_DB_PRIMARY_HOST:$LEMP_DB_PRIMARY_PORT: its database $LEMP_DB_NAME was not copied from there (${done_marker:+it is a copy from $done_marker; }it may be a former primary or a standalone server) and becoming a replica would drop it, with rows that may exist on no other server. Nothing changed. Ways forward: keep it as the primary (dbPrimary names this host); or, once its rows are safe (a dump: seed-web-backup, or mysqldump $LEMP_DB_NAME), name this host in dbReseed for one up: its database is then dropped and copied again from the primary"
  fi
elif [ -n "$early_rs" ]; then
  # promoted (primary or standalone now): it stops replicating from its old primary, after applying everything it
  # received from it (the I/O thread stopped first: nothing more arrives), and forgets the channel
  old_source="$(status_field "${src}_Host"):$(status_field "${src}_Port")"
  # the old primary listed as one of this server's replicas: it is not a copy of this one, and its database step
  # would refuse to drop it; unless it is named for re-seeding, refused here, before anything changed anywhere
  read -r -a reseed_hosts <<<"${LEMP_DB_RESEED_HOSTS:-}"
  for h in "${replica_hosts[@]}"; do
    [ "$h" = "$(status_field "${src}_Host")" ] || continue
    named=0
    for r in "${reseed_hosts[@]}"; do [ "$r" != "$h" ] || named=1; done
    [ "$named" = 1 ] || lemp_die 4 "refusing to become the primary: the current primary $h would become a replica of this server, but its database is its own (not a copy of this one) and it is not named for re-seeding. Nothing changed. Ways forward: keep $h as dbPrimary; or name it in dbReseed for this up (its rows are checked to be here before its copy is replaced)"
  done
  if [ "$(status_field "${rep}_IO_Running")" = Yes ]; then
    # The old primary still answers: a planned switch. The applications move to this server in the same up (while
    # it is read-only their writes are refused, not lost); once the old primary has taken no write for 3 s and all
    # it sent is applied here, nothing of its can be missing (120 s at most, else refused: nothing changed).
    quiet=0 seen=""
    for _ in $(seq 1 240); do
      early_rs=$(printf '%s;\n' "$LEMP_DB_REPLICA_STATUS" | mysql --protocol=socket -uroot -E)
      now="$(status_field "${src}_Log_File"):$(status_field "Read_${src}_Log_Pos")"
      if [ "$now" = "$seen" ] && [ "$(status_field "Relay_${src}_Log_File")" = "$(status_field "${src}_Log_File")" ] &&
        [ "$(status_field "Exec_${src}_Log_Pos")" = "$(status_field "Read_${src}_Log_Pos")" ]; then
        quiet=$((quiet + 1))
      else
        quiet=0
      fi
      seen=$now
      [ "$quiet" -lt 6 ] || break
      [ "$(status_field "${rep}_IO_Running")" = Yes ] || break   # it went away: what it sent is applied below
      sleep 0.5
    done
    if [ "$quiet" -lt 6 ] && [ "$(status_field "${rep}_IO_Running")" = Yes ]; then
      lemp_die 4 "not promoted: the old primary $old_source still takes writes after 120 s (an application or client not managed by this stack?). Nothing changed: stop the writes to it, or keep it as dbPrimary"
    fi
  fi
  lemp_db_q "$LEMP_DB_STOP_REPLICA IO_THREAD" >/dev/null 2>&1 || true
  applied=0
  for _ in $(seq 1 240); do
    early_rs=$(printf '%s;\n' "$LEMP_DB_REPLICA_STATUS" | mysql --protocol=socket -uroot -E)
    if [ "$(status_field "Relay_${src}_Log_File")" = "$(status_field "${src}_Log_File")" ] &&
      [ "$(status_field "Exec_${src}_Log_Pos")" = "$(status_field "Read_${src}_Log_Pos")" ]; then
      applied=1
      break
    fi
    [ "$(status_field "${rep}_SQL_Running")" = Yes ] || break
    sleep 0.5
  done
  if [ "$applied" = 0 ]; then
    lemp_die 4 "not promoted: the events received from the old primary $old_source are not all applied (SQL thread: $(status_field "${rep}_SQL_Running") $(status_field Last_SQL_Error)); nothing else changed. Fix the replication error and run again"
  fi
  lemp_db_q "$LEMP_DB_STOP_REPLICA; $reset_replica"
  rm -f "$marker" "$started_marker" "$LEMP_STATE_DIR/replication.sha256"
  lemp_changed "promoted to $LEMP_DB_ROLE: stopped replicating from $old_source (everything received applied) and removed the channel"
fi

# --- server configuration, sized from memory ---
# the serving profile (scripts/lib/tune.sh, lemp_tune): the buffer pool a share of the memory (25 % beside PHP, 50 % on a
# host of its own), max_connections what the web hosts' PHP pools can open
lemp_tune db
mem=$TUNE_MEM_MB
buffer_pool=$TUNE_DB_BUFFER_POOL_MB
max_connections=$TUNE_DB_MAX_CONNECTIONS
perf_schema=""
if [ "$LEMP_DB_ENGINE" = mysql ] && [ "$mem" -lt 2048 ]; then
  perf_schema="# below 2 GB of memory: saves about 200 MB
performance_schema = OFF"
fi
replication=""
case "$LEMP_DB_ROLE" in
  primary) replication="
# replication: primary (row-based binary log, GTIDs)
server_id = $LEMP_DB_SERVER_ID
log_bin = mysql-bin
binlog_format = ROW
$LEMP_DB_BINLOG_EXPIRE_CNF${LEMP_DB_GTID_CNF:+
$LEMP_DB_GTID_CNF}" ;;
  replica) replication="
# replication: replica of $LEMP_DB_PRIMARY_HOST:$LEMP_DB_PRIMARY_PORT (read-only, GTIDs)
server_id = $LEMP_DB_SERVER_ID
relay_log = relay-bin
$LEMP_DB_READ_ONLY_CNF${LEMP_DB_GTID_CNF:+
$LEMP_DB_GTID_CNF}" ;;
esac
# TLS: the server's key and certificate, and the CA (which also verifies the primary, on a replica)
tls_dir=/etc/mysql/seed-web-tls
tls_changed=0
tls_cnf=""
if [ "$LEMP_DB_TLS" = 1 ]; then
  lemp_mkdir "$tls_dir" 0750 root:mysql
  lemp_write_file "$tls_dir/server-key.pem" 0640 root:mysql <<<"$tls_key"
  [ "$LEMP_WROTE" = 0 ] || tls_changed=1
  lemp_write_file "$tls_dir/server.pem" 0644 root:root <<<"$tls_cert"
  [ "$LEMP_WROTE" = 0 ] || tls_changed=1
  lemp_write_file "$tls_dir/ca.pem" 0644 root:root <<<"$tls_ca"
  [ "$LEMP_WROTE" = 0 ] || tls_changed=1
  tls_cnf="
# TLS for the clients on other hosts and for replication (their accounts REQUIRE SSL)
ssl_ca = $tls_dir/ca.pem
ssl_cert = $tls_dir/server.pem
ssl_key = $tls_dir/server-key.pem"
fi

# the certificates' expiry, visible: a metric for the node exporter's textfile collector (written whether monitoring
# is on or not, like the backup's) and facts db_tls_expires=<Unix time> (the server's certificate)
db_tls_metrics=/var/lib/prometheus/node-exporter/seed_web_db_tls.prom
if [ "$LEMP_DB_TLS" = 1 ]; then
  metrics=$(lemp_cert_expiry_metrics "$tls_dir/server.pem" "$tls_dir/ca.pem") || lemp_die "cannot read the TLS certificates in $tls_dir"
  if [ ! -d "${db_tls_metrics%/*}" ]; then   # created as the package does (its owner left alone when it exists)
    install -d -m 0755 "${db_tls_metrics%/*}"
    lemp_changed "created directory ${db_tls_metrics%/*}"
  fi
  lemp_write_file "$db_tls_metrics" 0644 root:root <<<"$metrics"
  expires=${metrics#*server.pem\"\} }
  lemp_fact db_tls_expires "${expires%%$'\n'*}"
elif [ -e "$db_tls_metrics" ]; then
  lemp_remove "$db_tls_metrics"
fi

# The configuration: a candidate that differs from the file in place is checked by the server itself first, and
# only then put in place: a bad one stops here and the server keeps the old one. One that equals the file in place
# (with the same TLS files) is the configuration the server already runs: no check, which costs more than the rest
# of a run that changes nothing.
conf=$LEMP_DB_CONF_DIR/99-seed-web.cnf
IFS= read -r -d '' cnf <<CNF || true
# Managed by seed-web (scripts/database.sh): changes here are overwritten.
# Sized for ${mem} MB of memory.
[mysqld]
bind-address = $LEMP_DB_BIND
port = $LEMP_DB_PORT
innodb_buffer_pool_size = ${buffer_pool}M
max_connections = $max_connections
# clients are matched by address (the client hosts are IPs or localhost): no DNS lookups on connect
skip-name-resolve
$perf_schema$replication$tls_cnf
CNF
current=""
if [ -f "$conf" ]; then IFS= read -r -d '' current <"$conf" || true; fi
if [ "$current" != "$cnf" ] || [ "$tls_changed" = 1 ]; then
  new=$(umask 077 && mktemp /tmp/.lemp-db-cnf.XXXXXX)
  trap 'rm -f "$new"' EXIT
  printf '%s' "$cnf" >"$new"
  chmod 0644 "$new"
  # shellcheck disable=SC2059  # the format is the engine's command, with the file in it
  read -r -a validate <<<"$(printf "$LEMP_DB_VALIDATE" "$new")"
  if ! check_out=$("${validate[@]}" 2>&1 >/dev/null); then
    printf '%s\n' "$check_out" | grep -iE 'error|unknown' >&2 || true
    lemp_die "the new server configuration failed its check (${validate[0]}); $conf kept as it was"
  fi
  rm -f "$new"
fi
lemp_write_file "$conf" 0644 root:root <<<"${cnf%$'\n'}"
conf_changed=$LEMP_WROTE
if [ -n "$LEMP_DB_DISTRO_CNF" ] && grep -qE '^[[:space:]]*bind-address[[:space:]]*=' "$LEMP_DB_DISTRO_CNF" 2>/dev/null; then
  sed -i -E 's/^([[:space:]]*bind-address[[:space:]]*=.*)$/# \1   # seed-web: set in 99-seed-web.cnf/' "$LEMP_DB_DISTRO_CNF"
  lemp_changed "commented out bind-address in $LEMP_DB_DISTRO_CNF (set in $conf; the server reads the files in no fixed order)"
  conf_changed=1
fi

lemp_service_enable_start "$LEMP_DB_SERVICE"
if { [ "$conf_changed" = 1 ] || [ "$tls_changed" = 1 ]; } && [ "$LEMP_STARTED" = 0 ]; then lemp_service_restart "$LEMP_DB_SERVICE"; fi

# --- SQL as root over the unix socket; statements on stdin, never on the command line ---
sql() { lemp_db_sql; }   # stdin: SQL; stdout: tab-separated rows (lib.sh)
q() { lemp_db_q "$1"; }  # one query (no secrets in it)
s() { lemp_sql_str "$1"; }
ident() { lemp_sql_ident "$1"; }
app_db=$(s "$LEMP_DB_NAME")
db=$(ident "$LEMP_DB_NAME")
# what a GRANT names: "_" and "%" escaped (wildcards there: "my_app" would also grant "myXapp", "mysq_" the server)
grant_db=$(lemp_sql_grant_db "$LEMP_DB_NAME")
grant_pattern=$(s "$(lemp_sql_db_pattern "$LEMP_DB_NAME")")
# grants on the test database: on "test", on names starting "test_", and on the pattern "test\_%" (the one the
# distributions granted to everyone, as mysql.db holds it: mysql_secure_installation removes it so)
test_dbs="(Db = 'test' OR LEFT(Db, 5) = 'test_' OR LEFT(Db, 6) = 'test\\\\_') AND Db <> $app_db"

# The server's state, read in one session (a client start costs as much as a query, and a run that changes nothing
# asks a dozen questions): one row per answer, its first column naming what it answers. The checks below decide from
# it; only a change opens a session of its own. The greeting row is counted through a prepared statement: the table
# may not exist yet.
inventory() {
  sql <<SQL
SELECT 'version', VERSION();
SELECT 'user', User, Host, CONCAT(plugin, '/', ssl_type) FROM mysql.user;
SELECT 'schema', SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN ('test', $app_db);
SELECT 'test_grant', Db, User, Host FROM mysql.db WHERE $test_dbs;
SELECT 'test_tables', COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'test';
SELECT 'db_grant', User, Host FROM mysql.db WHERE Db = $grant_pattern;
SELECT 'wild_grant', User, Host FROM mysql.db WHERE Db = $app_db AND Db <> $grant_pattern;
SET @lemp_greeting = IF((SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = $app_db AND TABLE_NAME = 'greetings') = 0, 'SELECT ''greeting'', ''no table''', CONCAT('SELECT ''greeting'', COUNT(*) FROM ', $(s "$db"), '.greetings WHERE id = 1'));
PREPARE lemp_greeting FROM @lemp_greeting;
EXECUTE lemp_greeting;
DEALLOCATE PREPARE lemp_greeting;
SQL
}
ready=0
for _ in $(seq 1 60); do
  if state=$(inventory 2>/dev/null); then ready=1; break; fi
  if q 'SELECT 1' >/dev/null 2>&1; then   # the server answers: the inventory's own error, once more and shown
    state=$(inventory) || lemp_die "cannot read the server's state as root (the error above)"
    ready=1
    break
  fi
  sleep 0.5
done
[ "$ready" = 1 ] || { q 'SELECT 1' >&2 || true; lemp_die "cannot reach $LEMP_DB_SERVICE as root over its unix socket"; }
# The rows split on tabs with empty fields kept: an anonymous user's name is empty, and `IFS=$'\t' read` would
# swallow it (a tab is IFS whitespace). Batch mode escapes the tabs and newlines inside values.
version="" users=() db_grants=() wild_grants=() schemas=" " test_grants=() test_tables=0 greeting=""
while IFS= read -r row; do
  IFS=$'\x1f' read -r -a f <<<"${row//$'\t'/$'\x1f'}"
  f+=("" "" "")   # a trailing empty field is not an element: present as empty
  case ${f[0]} in
    version) version=${f[1]} ;;
    user) users+=("${f[1]}"$'\x1f'"${f[2],,}"$'\x1f'"${f[3]}") ;;   # user, host (compared in lower case), plugin/ssl
    schema) schemas+="${f[1]} " ;;
    test_grant) test_grants+=("${f[1]//\\\\/\\}"$'\x1f'"${f[2]}"$'\x1f'"${f[3]}") ;;   # db (batch mode doubles \), user, host
    test_tables) test_tables=${f[1]} ;;
    db_grant) db_grants+=("${f[1]}"$'\x1f'"${f[2],,}") ;;
    wild_grant) wild_grants+=("${f[1]}"$'\x1f'"${f[2]}") ;;
    greeting) greeting=${f[1]} ;;
  esac
done <<<"$state"
[ -n "$version" ] || lemp_die "the server did not tell its version"
lemp_db_version_sql "$version"   # the statements that differ between versions of the engine
has_schema() { [[ $schemas == *" $1 "* ]]; }
# account_state USER HOST: sets $account_state to the account's plugin/ssl_type as read ("" = no such account)
account_state() {
  local row
  account_state=""
  for row in "${users[@]}"; do
    if [ "${row%$'\x1f'*}" = "$1"$'\x1f'"${2,,}" ]; then account_state=${row##*$'\x1f'}; return 0; fi
  done
}

# A replica is read-only, but its accounts are its own: root lifts that (MySQL: super_read_only) for the statements
# that change them, only when there is one, and sets it back (writable_end).
writable_on=0
writable() {
  [ "$LEMP_DB_ROLE" = replica ] && [ -n "$LEMP_DB_WRITABLE_ON" ] && [ "$writable_on" = 0 ] || return 0
  q "$LEMP_DB_WRITABLE_ON"
  writable_on=1
}
writable_end() {
  [ "$writable_on" = 1 ] || return 0
  q "$LEMP_DB_WRITABLE_OFF"
  writable_on=0
}

# mysql_secure_installation: anonymous users, root away from this host, the test database. Local housekeeping:
# kept out of the binary log (a replica replaying a DROP of what it never had would stop). It never touches the
# application's own database or user (reserved names are refused above; checked here again).
# What the server held before the stack's first apply is its administrators': a remote root account, a `test`
# database holding tables, grants on test databases. The first apply records them (lemp_before_* in lib/preexisting.sh) and every
# apply keeps them and reports them (facts kept=...); LEMP_REMOVE_PREEXISTING=1 removes them too. What appears after
# the first apply, and anonymous accounts and an empty `test` database (the distributions' defaults) at any time, go.
local_q() { q "SET SESSION sql_log_bin = 0; $1"; }
remote_root() { [ "$1" = root ] && [ "$2" != localhost ] && [ "$2" != 127.0.0.1 ] && [ "$2" != ::1 ]; }
if lemp_before_first; then
  lemp_before_save < <(
    for row in "${users[@]}"; do
      u=${row%%$'\x1f'*} h=${row#*$'\x1f'}
      h=${h%$'\x1f'*}
      if remote_root "$u" "$h"; then printf 'account %s@%s\n' "$u" "$h"; fi
    done
    if has_schema test && [ "$test_tables" -gt 0 ]; then printf 'database test\n'; fi
    for row in "${test_grants[@]}"; do printf 'grant %s\n' "${row//$'\x1f'/ }"; done
    if [ "$db_was_running" = 1 ]; then printf 'server running\n'; fi
  )
  rm -f "$LEMP_BEFORE_DIR/database.server"
else
  lemp_before_load || lemp_before_save </dev/null   # applied by an earlier version: nothing known from before
fi
for row in "${users[@]}"; do
  u=${row%%$'\x1f'*} h=${row#*$'\x1f'}
  h=${h%$'\x1f'*}
  [ "$u" != "$LEMP_DB_USER" ] || continue
  if [ -z "$u" ] || remote_root "$u" "$h"; then
    if [ -n "$u" ] && lemp_before_has account "$u@$h"; then lemp_before_kept account "$u@$h"; continue; fi
    writable
    local_q "DROP USER $(s "$u")@$(s "$h")"
    lemp_changed "dropped user '$u'@'$h'"
  fi
done
if has_schema test && [ "$LEMP_DB_NAME" != test ]; then
  if lemp_before_has database test; then
    lemp_before_kept database test
  else
    writable
    local_q "DROP DATABASE $(ident test)"
    lemp_changed "dropped database test"
  fi
fi
drop_grants=""
for row in "${test_grants[@]}"; do
  if lemp_before_has grant "${row//$'\x1f'/ }"; then lemp_before_kept grant "${row//$'\x1f'/ }"; continue; fi
  IFS=$'\x1f' read -r g_db g_user g_host <<<"$row"
  drop_grants+="DELETE FROM mysql.db WHERE Db = $(s "$g_db") AND User = $(s "$g_user") AND Host = $(s "$g_host"); "
done
if [ -n "$drop_grants" ]; then
  writable
  local_q "${drop_grants}FLUSH PRIVILEGES"
  lemp_changed "removed grants on the test database"
fi

lemp_mkdir "$LEMP_STATE_DIR" 0700 root:root

# ensure_account USER HOST PASSWORD [KIND]: create USER@HOST, or set its password when it changed (a sha256 of it is
# kept in a root-only file to know that without reading it back) or its plugin is not the engine's
# (LEMP_DB_AUTH_PLUGIN); REQUIRE SSL at any host but localhost with TLS.
# Each server keeps its own accounts: the statements stay out of the binary log.
ensure_account() {
  local user=$1 h=$2 pw=$3 kind=${4:-} account hash hash_file known="" want_ssl="" require=NONE
  account="$(s "$user")@$(s "$h")"
  hash=$(printf '%s' "$pw" | sha256sum)
  hash=${hash%% *}
  hash_file="$LEMP_STATE_DIR/db-user.$user@$h.sha256"
  if [ -f "$hash_file" ]; then read -r known <"$hash_file" || true; fi
  if [ "$LEMP_DB_TLS" = 1 ] && [ "$h" != localhost ]; then want_ssl=ANY require=SSL; fi
  account_state "$user" "$h"
  if [ -z "$account_state" ]; then
    writable
    printf 'SET SESSION sql_log_bin = 0; CREATE USER %s %s %s REQUIRE %s;\n' "$account" "$LEMP_DB_IDENTIFIED" "$(s "$pw")" "$require" | sql
    lemp_changed "created ${kind}user '$user'@'$h' (REQUIRE $require)"
  else
    if [ "$known" != "$hash" ] || [ "${account_state%%/*}" != "$LEMP_DB_AUTH_PLUGIN" ]; then
      writable
      printf 'SET SESSION sql_log_bin = 0; ALTER USER %s %s %s;\n' "$account" "$LEMP_DB_IDENTIFIED" "$(s "$pw")" | sql
      lemp_changed "set the password of '$user'@'$h' ($LEMP_DB_AUTH_PLUGIN)"
    fi
    if [ "${account_state#*/}" != "$want_ssl" ]; then
      writable
      local_q "ALTER USER $account REQUIRE $require"
      lemp_changed "'$user'@'$h' REQUIRE $require"
    fi
  fi
  if [ "$known" != "$hash" ]; then   # bookkeeping, not counted as a change
    (umask 077 && printf '%s\n' "$hash" >"$hash_file")
  fi
}

# drop_unlisted USER HOST...: drop USER at every host not listed (a client or replica that was removed).
drop_unlisted() {
  local user=$1 row h c keep
  shift
  for row in "${users[@]}"; do
    [ "${row%%$'\x1f'*}" = "$user" ] || continue
    h=${row#*$'\x1f'}
    h=${h%$'\x1f'*}
    keep=0
    for c in "$@"; do [ "${c,,}" != "$h" ] || keep=1; done
    [ "$keep" = 0 ] || continue
    writable
    local_q "DROP USER $(s "$user")@$(s "$h")"
    rm -f "$LEMP_STATE_DIR/db-user.$user@$h.sha256"
    lemp_changed "dropped user '$user'@'$h' (host no longer listed)"
  done
}

# --- the application's database and table: on a standalone or primary server (a replica copies them) ---
if [ "$LEMP_DB_ROLE" != replica ]; then
  if ! has_schema "$LEMP_DB_NAME"; then
    q "CREATE DATABASE $db CHARACTER SET utf8mb4"
    lemp_changed "created database $LEMP_DB_NAME"
  fi
  if [ "$greeting" = "no table" ]; then
    q "CREATE TABLE $db.greetings (id INT PRIMARY KEY, message VARCHAR(255) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
    lemp_changed "created table $LEMP_DB_NAME.greetings"
  fi
  if [ "$greeting" != 1 ]; then
    q "INSERT INTO $db.greetings (id, message) VALUES (1, 'Hello from MySQL')"
    lemp_changed "inserted the greeting row"
  fi
fi

# --- the application user at each client host, on every server (a replica is read-only: it can only read) ---
for h in "${client_hosts[@]}"; do
  ensure_account "$LEMP_DB_USER" "$h" "$password"
  granted=0
  for row in "${db_grants[@]}"; do [ "$row" != "$LEMP_DB_USER"$'\x1f'"${h,,}" ] || granted=1; done
  if [ "$granted" = 0 ]; then
    writable
    local_q "GRANT ALL PRIVILEGES ON $grant_db.* TO $(s "$LEMP_DB_USER")@$(s "$h")"
    lemp_changed "granted all on $LEMP_DB_NAME.* to '$LEMP_DB_USER'@'$h'"
  fi
done
drop_unlisted "$LEMP_DB_USER" "${client_hosts[@]}"
# a grant on the unescaped name (made before the escape, or by hand) is a pattern that matches other databases:
# revoked (the escaped grant above is the application's own)
for row in "${wild_grants[@]}"; do
  writable
  local_q "REVOKE ALL PRIVILEGES ON $db.* FROM $(s "${row%%$'\x1f'*}")@$(s "${row#*$'\x1f'}")"
  lemp_changed "revoked the grant on the pattern '$LEMP_DB_NAME' ('_' and '%' match any character) from '${row%%$'\x1f'*}'@'${row#*$'\x1f'}'"
done
writable_end

# --- replication ---
# The account a replica connects as ("repl" at its address, REQUIRE SSL with TLS): REPLICATION SLAVE to stream the
# binary log (GTID auto-position needs nothing more). While the replica is not streaming from here it may need its
# initial copy, so it also gets the copy's privileges (lemp_db_repl_privileges); replication.sh, run after the
# replicas, takes them away. Checked on every run.
if [ "$LEMP_DB_ROLE" = primary ]; then
  for h in "${replica_hosts[@]}"; do
    ensure_account "$REPL_USER" "$h" "$repl_password" "replication "
    streaming=$(q "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE User = $(s "$REPL_USER") AND Command LIKE 'Binlog Dump%' AND (Host = $(s "$h") OR Host LIKE $(s "$h:%"))")
    lemp_db_repl_privileges "$REPL_USER" "$h" "$LEMP_DB_NAME" "$([ "$streaming" = 0 ] && echo 1 || echo 0)"
  done
  drop_unlisted "$REPL_USER" "${replica_hosts[@]}"
fi

if [ "$LEMP_DB_ROLE" = replica ]; then
  # the replica's status as KEY=VALUE lines (vertical output, the columns named in LEMP_DB_REPLICA_COLS)
  replica_status() {
    local col
    # vertical output with -E (the MySQL 9 client refuses "\G" on standard input: "Unknown command")
    status=$(printf '%s;\n' "$LEMP_DB_REPLICA_STATUS" | mysql --protocol=socket -uroot -E)
    for col in $LEMP_DB_REPLICA_COLS; do
      printf '%s=%s\n' "$col" "$(printf '%s\n' "$status" | sed -n "s/^ *$col: //p" | head -n 1)"
    done
  }
  field() { printf '%s\n' "$rs" | sed -n "s/^$1=//p"; }   # Nth column name of LEMP_DB_REPLICA_COLS
  col() { local -a c; read -r -a c <<<"$LEMP_DB_REPLICA_COLS"; echo "${c[$1]}"; }
  # with TLS: the primary's certificate verified against the CA (the name checked is the address used)
  # without TLS: what the engine's password plugin needs instead (MySQL: the server's RSA public key)
  source_tls=$LEMP_DB_SOURCE_PLAIN client_tls=$LEMP_DB_CLIENT_PLAIN_CNF want_ssl=No
  if [ "$LEMP_DB_TLS" = 1 ]; then
    # shellcheck disable=SC2059  # the formats are the engine's, the argument is quoted SQL / a path
    source_tls=$(printf "$LEMP_DB_SOURCE_TLS" "$(s "$tls_dir/ca.pem")")
    # shellcheck disable=SC2059
    client_tls=$(printf "$LEMP_DB_CLIENT_TLS_CNF" "$tls_dir/ca.pem")
    want_ssl=Yes
  fi
  repl_hash=$(printf '%s' "$repl_password" | sha256sum | cut -d' ' -f1)
  hash_file="$LEMP_STATE_DIR/replication.sha256"
  rs=$(replica_status)
  source_is_set=0
  if [ "$(field "$(col 0)")" = "$LEMP_DB_PRIMARY_HOST" ] && [ "$(field "$(col 1)")" = "$LEMP_DB_PRIMARY_PORT" ] &&
    [ "$(field "$(col 2)")" = "$REPL_USER" ] && [ "$(cat "$hash_file" 2>/dev/null || true)" = "$repl_hash" ] &&
    [ "$(field "$(col 7)")" = "$want_ssl" ] &&
    { [ "$LEMP_DB_TLS" = 0 ] || { [ "$(field "$(col 8)")" = "$tls_dir/ca.pem" ] && [ "$(field "$(col 9)")" = Yes ]; }; }; then
    source_is_set=1
  fi

  # The initial copy, unless the completion marker says it was done from this primary (copy_plan, decided above
  # before anything changed). A "copy started" marker is written before anything is dropped or copied and removed
  # once the copy and the start of replication succeeded: a copy cut short is told apart from a database of its own.
  copied=0
  if [ "$copy_plan" != keep ]; then
    rm -f "$marker"
    lemp_log "initial copy of $LEMP_DB_NAME from $LEMP_DB_PRIMARY_HOST:$LEMP_DB_PRIMARY_PORT ($copy_plan)"
    client_cnf=$(umask 077 && mktemp /tmp/.lemp-repl.XXXXXX)
    trap 'rm -f "$client_cnf"' EXIT
    pw=${repl_password//\\/\\\\}
    printf '[client]\nuser=%s\npassword="%s"\nhost=%s\nport=%s\nprotocol=tcp\n%s\n' "$REPL_USER" "${pw//\"/\\\"}" \
      "$LEMP_DB_PRIMARY_HOST" "$LEMP_DB_PRIMARY_PORT" "$client_tls" >"$client_cnf"
    printf 'SELECT 1;\n' | mysql --defaults-extra-file="$client_cnf" -N -B >/dev/null ||
      lemp_die "cannot connect to the primary $LEMP_DB_PRIMARY_HOST:$LEMP_DB_PRIMARY_PORT as $REPL_USER (is this replica listed in its LEMP_DB_REPLICA_HOSTS, and the firewall open?)"
    q "$LEMP_DB_STOP_REPLICA" >/dev/null 2>&1 || true
    [ -z "$LEMP_DB_WRITABLE_ON" ] || q "$LEMP_DB_WRITABLE_ON"
    if [ "$copy_plan" = reseed ]; then
      # a former primary's own writes (its binary log's GTIDs) must be on the new primary before its copy goes:
      # the new primary waits for them (10 s); otherwise refused, nothing dropped
      if [ "$LEMP_DB_ENGINE" = mysql ]; then
        own=$(q "SELECT @@GLOBAL.gtid_executed" | tr -d '\\n')
        wait_sql="SELECT WAIT_FOR_EXECUTED_GTID_SET($(s "$own"), 10)"
      else
        own=$(q "SELECT @@GLOBAL.gtid_binlog_pos")
        wait_sql="SELECT MASTER_GTID_WAIT($(s "$own"), 10)"
      fi
      if [ -n "$own" ] && [ "$own" != NULL ]; then
        waited=$(printf '%s;\n' "$wait_sql" | mysql --defaults-extra-file="$client_cnf" -N -B 2>&1 || true)
        if [ "$waited" != 0 ]; then
          rm -f "$client_cnf"
          lemp_die 4 "not re-seeded: this server wrote transactions ($own) that the primary $LEMP_DB_PRIMARY_HOST does not have ($waited): dropping its database would lose their rows. Nothing dropped. Take a dump of $LEMP_DB_NAME here and load the missing rows into the primary, or make this host the primary again (dbPrimary)"
        fi
      fi
    fi
    (umask 077 && printf '%s\n' "$want_marker" >"$started_marker")
    if [ -n "$(q "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = $app_db")" ]; then
      case "$copy_plan" in
        redo) why="a copy cut short (started, never done) is redone" ;;
        reseed) why="this host is named in dbReseed: copied again from the primary" ;;
        *) lemp_die "internal: $LEMP_DB_NAME exists but the plan is '$copy_plan': not dropped" ;;
      esac
      local_q "DROP DATABASE $db"
      lemp_changed "dropped $LEMP_DB_NAME: $why"
    fi
    q "$LEMP_DB_REPLICA_PREPARE"
    # shellcheck disable=SC2086  # LEMP_DB_DUMP_GTID_OPTS: several options on purpose
    if ! mysqldump --defaults-extra-file="$client_cnf" --single-transaction --routines --events --triggers \
      $LEMP_DB_DUMP_GTID_OPTS --databases "$LEMP_DB_NAME" | sql; then
      [ -z "$LEMP_DB_WRITABLE_OFF" ] || q "$LEMP_DB_WRITABLE_OFF"
      lemp_die "the initial copy of $LEMP_DB_NAME from $LEMP_DB_PRIMARY_HOST failed"
    fi
    [ -z "$LEMP_DB_WRITABLE_OFF" ] || q "$LEMP_DB_WRITABLE_OFF"
    rm -f "$client_cnf"
    lemp_changed "copied database $LEMP_DB_NAME from $LEMP_DB_PRIMARY_HOST"
    copied=1
    source_is_set=0
  fi

  if [ "$source_is_set" = 0 ]; then
    q "$LEMP_DB_STOP_REPLICA" >/dev/null 2>&1 || true
    # shellcheck disable=SC2059  # the format is the engine's statement, the arguments are quoted SQL
    printf "$LEMP_DB_CHANGE_SOURCE%s;\n" "$(s "$LEMP_DB_PRIMARY_HOST")" "$LEMP_DB_PRIMARY_PORT" "$(s "$REPL_USER")" \
      "$(s "$repl_password")" "$source_tls" | sql
    (umask 077 && printf '%s\n' "$repl_hash" >"$hash_file")
    lemp_changed "replication source set to $REPL_USER@$LEMP_DB_PRIMARY_HOST:$LEMP_DB_PRIMARY_PORT${source_tls:+ (TLS, the primary verified)}"
  fi
  rs=$(replica_status)
  if [ "$(field "$(col 3)")" != Yes ] || [ "$(field "$(col 4)")" != Yes ]; then
    q "$LEMP_DB_START_REPLICA"
    lemp_changed "replication started"
  fi
  # both threads running (the I/O thread connects within a few seconds)
  for _ in $(seq 1 40); do
    rs=$(replica_status)
    if [ "$(field "$(col 3)")" = Yes ] && [ "$(field "$(col 4)")" = Yes ]; then break; fi
    sleep 0.5
  done
  if [ "$(field "$(col 3)")" != Yes ] || [ "$(field "$(col 4)")" != Yes ]; then
    lemp_die "replication from $LEMP_DB_PRIMARY_HOST is not running: I/O $(field "$(col 3)") $(field "$(col 5)"); SQL $(field "$(col 4)") $(field "$(col 6)")"
  fi
  if [ "$copied" = 1 ]; then   # bookkeeping, counted with the copy
    (umask 077 && printf '%s\n' "$want_marker" >"$marker")
    rm -f "$started_marker"
  fi
fi

engine=mysql
[[ $version != *MariaDB* ]] || engine=mariadb
[[ $version =~ ^[0-9]+\.[0-9]+ ]] || lemp_die "cannot read the server version '$version'"
lemp_fact db_engine "$engine-${BASH_REMATCH[0]}"
lemp_fact db_bind "$LEMP_DB_BIND"
lemp_fact db_port "$LEMP_DB_PORT"
lemp_fact db_role "$LEMP_DB_ROLE"
[ "$LEMP_DB_ROLE" != replica ] || lemp_fact db_replicating_from "$LEMP_DB_PRIMARY_HOST:$LEMP_DB_PRIMARY_PORT"
lemp_finish

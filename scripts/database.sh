#!/usr/bin/env bash
# Step "database": MySQL (Ubuntu) or MariaDB (Debian), secured like mysql_secure_installation, with the
# application's database, user and greetings table.
# Settings: LEMP_DB_BIND (default 127.0.0.1), LEMP_DB_PORT (default 3306), LEMP_DB_NAME, LEMP_DB_USER,
#           LEMP_DB_CLIENT_HOSTS (space-separated MySQL host patterns the user connects from, default localhost).
# Stdin: the application user's password (first line). Root uses the unix socket (auth_socket / unix_socket).
set -euo pipefail
if ! declare -F lemp_init >/dev/null; then
  # shellcheck source-path=SCRIPTDIR source=lib.sh
  . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
fi
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
password=""
lemp_read_secret password

lemp_apt_install "$LEMP_DB_PACKAGE"

# --- server configuration, sized from memory ---
mem=$(lemp_mem_mb)
buffer_pool=$(lemp_clamp $((mem / 4)) 64 4096)         # InnoDB buffer pool: 25% of memory, 64 MB .. 4 GB
max_connections=$(lemp_clamp $((mem / 32)) 50 500)     # about one connection per 32 MB, 50 .. 500
perf_schema=""
if [ "$LEMP_DB_ENGINE" = mysql ] && [ "$mem" -lt 2048 ]; then
  perf_schema="# below 2 GB of memory: saves about 200 MB
performance_schema = OFF"
fi
conf=$LEMP_DB_CONF_DIR/99-seed-web.cnf
lemp_write_file "$conf" 0644 root:root <<CNF
# Managed by seed-web (scripts/database.sh): changes here are overwritten.
# Sized for ${mem} MB of memory.
[mysqld]
bind-address = $LEMP_DB_BIND
port = $LEMP_DB_PORT
innodb_buffer_pool_size = ${buffer_pool}M
max_connections = $max_connections
# clients are matched by address (the client hosts are IPs or localhost): no DNS lookups on connect
skip-name-resolve
$perf_schema
CNF
conf_changed=$LEMP_WROTE

lemp_service_enable_start "$LEMP_DB_SERVICE"
if [ "$conf_changed" = 1 ] && [ "$LEMP_STARTED" = 0 ]; then lemp_service_restart "$LEMP_DB_SERVICE"; fi

# --- SQL as root over the unix socket; statements on stdin, never on the command line ---
sql() { mysql --protocol=socket -uroot -N -B; }        # stdin: SQL; stdout: tab-separated rows
q() { printf '%s\n' "$1" | sql; }                      # one query (no secrets in it)
ready=0
for _ in $(seq 1 60); do
  if q 'SELECT 1' >/dev/null 2>&1; then ready=1; break; fi
  sleep 0.5
done
[ "$ready" = 1 ] || { q 'SELECT 1' >&2 || true; lemp_die "cannot reach $LEMP_DB_SERVICE as root over its unix socket"; }
s() { lemp_sql_str "$1"; }
ident() { lemp_sql_ident "$1"; }

# mysql_secure_installation: anonymous users, root away from this host, the test database
while IFS=$'\t' read -r u h; do
  [ -n "$h" ] || continue
  q "DROP USER $(s "$u")@$(s "$h")"
  lemp_changed "dropped user '$u'@'$h'"
done < <(q "SELECT User, Host FROM mysql.user WHERE User = '' OR (User = 'root' AND Host NOT IN ('localhost', '127.0.0.1', '::1'))")
if [ -n "$(q "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'test'")" ]; then
  q "DROP DATABASE $(ident test)"
  lemp_changed "dropped database test"
fi
if [ "$(q "SELECT COUNT(*) FROM mysql.db WHERE Db = 'test' OR Db LIKE 'test\\\\_%'")" != 0 ]; then
  q "DELETE FROM mysql.db WHERE Db = 'test' OR Db LIKE 'test\\\\_%'; FLUSH PRIVILEGES"
  lemp_changed "removed grants on the test database"
fi

# the application's database
db=$(ident "$LEMP_DB_NAME")
if [ -z "$(q "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = $(s "$LEMP_DB_NAME")")" ]; then
  q "CREATE DATABASE $db CHARACTER SET utf8mb4"
  lemp_changed "created database $LEMP_DB_NAME"
fi

# the application user at each client host; the password is set when the user is new or the password changed
# (a sha256 of it is kept in a root-only file to know that without reading it back)
lemp_mkdir "$LEMP_STATE_DIR" 0700 root:root
hash=$(printf '%s' "$password" | sha256sum | cut -d' ' -f1)
for h in "${client_hosts[@]}"; do
  account="$(s "$LEMP_DB_USER")@$(s "$h")"
  hash_file="$LEMP_STATE_DIR/db-user.$LEMP_DB_USER@$h.sha256"
  if [ "$(q "SELECT COUNT(*) FROM mysql.user WHERE User = $(s "$LEMP_DB_USER") AND Host = $(s "$h")")" = 0 ]; then
    printf 'CREATE USER %s IDENTIFIED BY %s;\n' "$account" "$(s "$password")" | sql
    lemp_changed "created user '$LEMP_DB_USER'@'$h'"
  elif [ "$(cat "$hash_file" 2>/dev/null || true)" != "$hash" ]; then
    printf 'ALTER USER %s IDENTIFIED BY %s;\n' "$account" "$(s "$password")" | sql
    lemp_changed "set the password of '$LEMP_DB_USER'@'$h'"
  fi
  if [ "$(cat "$hash_file" 2>/dev/null || true)" != "$hash" ]; then   # bookkeeping, not counted as a change
    (umask 077 && printf '%s\n' "$hash" >"$hash_file")
  fi
  if [ "$(q "SELECT COUNT(*) FROM mysql.db WHERE Db = $(s "$LEMP_DB_NAME") AND User = $(s "$LEMP_DB_USER") AND Host = $(s "$h")")" = 0 ]; then
    q "GRANT ALL PRIVILEGES ON $db.* TO $account"
    lemp_changed "granted all on $LEMP_DB_NAME.* to '$LEMP_DB_USER'@'$h'"
  fi
done
# the same user at hosts no longer listed
while IFS=$'\t' read -r h; do
  keep=0
  for c in "${client_hosts[@]}"; do [ "$c" != "$h" ] || keep=1; done
  [ "$keep" = 0 ] || continue
  q "DROP USER $(s "$LEMP_DB_USER")@$(s "$h")"
  rm -f "$LEMP_STATE_DIR/db-user.$LEMP_DB_USER@$h.sha256"
  lemp_changed "dropped user '$LEMP_DB_USER'@'$h' (host no longer listed)"
done < <(q "SELECT Host FROM mysql.user WHERE User = $(s "$LEMP_DB_USER")")

# the greetings table and its first row
if [ -z "$(q "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = $(s "$LEMP_DB_NAME") AND TABLE_NAME = 'greetings'")" ]; then
  q "CREATE TABLE $db.greetings (id INT PRIMARY KEY, message VARCHAR(255) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
  lemp_changed "created table $LEMP_DB_NAME.greetings"
fi
if [ "$(q "SELECT COUNT(*) FROM $db.greetings WHERE id = 1")" = 0 ]; then
  q "INSERT INTO $db.greetings (id, message) VALUES (1, 'Hello from MySQL')"
  lemp_changed "inserted the greeting row"
fi

version=$(q 'SELECT VERSION()')
engine=mysql
[[ $version != *MariaDB* ]] || engine=mariadb
lemp_fact db_engine "$engine-$(printf '%s' "$version" | grep -oE '^[0-9]+\.[0-9]+')"
lemp_fact db_bind "$LEMP_DB_BIND"
lemp_fact db_port "$LEMP_DB_PORT"
lemp_finish

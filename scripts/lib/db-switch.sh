# --- the application's switch of database server (app.sh) ---
# lemp_db_switch_report HOST PORT NAME USER TLS CA SOCKET: what the application's current database server (the one
# /etc/seed-web/app-db.ini names) and the one it is to switch to (the arguments; its password on stdin) hold, one
# fact a line, for lemp_db_switch_refusal: "old none" (no settings yet) or "old host H"; then, when H differs from
# HOST, for each of "old" and "new": "<which> unreachable" | "<which> denied" (it answers, but refuses the account) |
# "<which> nodb" (no database NAME there) |
# "<which> read_only 0|1", then "<which> table 0|1 NAME" (1: it holds at least one row). Read through PHP's mysqli,
# with the application's own account, as the site connects (TLS and the server verified when remote).
lemp_db_switch_report() {
  local php probe rc=0
  php=$(command -v "php${LEMP_PHP_VERSION:-}" 2>/dev/null || command -v php 2>/dev/null) || { echo "probe unavailable"; return 0; }
  probe=$(umask 077 && mktemp /tmp/.lemp-switch.XXXXXX)
  cat >"$probe" <<'PHP'
<?php
declare(strict_types=1);
mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
[, $host, $port, $name, $user, $tls, $ca, $socket] = $argv;
$new = ['host' => $host, 'port' => $port, 'name' => $name, 'user' => $user, 'tls' => $tls, 'ca' => $ca, 'socket' => $socket,
        'password' => rtrim((string) fgets(STDIN), "\r\n")];
$ini = is_file('/etc/seed-web/app-db.ini') ? parse_ini_file('/etc/seed-web/app-db.ini', true, INI_SCANNER_RAW) : false;
if ($ini === false || !isset($ini['database']['host'])) { echo "old none\n"; exit(0); }
$old = $ini['database'];
echo 'old host ', $old['host'], "\n";
if ($old['host'] === $new['host']) exit(0);
// the new server's certificate: signed by the CA given now, or (a new CA reaches each server with its own database
// step, maybe later in this up) by the one the application uses today
$new['cas'] = array_values(array_unique(array_filter([$new['ca'], ($old['tls'] ?? '0') === '1' ? ($old['ca'] ?? '') : ''], 'is_file')));
$old['cas'] = [$old['ca'] ?? ''];
foreach (['old' => $old, 'new' => $new] as $which => $c) {
    $db = null;
    $error = null;
    foreach ($c['host'] === 'localhost' || ($c['tls'] ?? '0') !== '1' ? [''] : $c['cas'] as $ca) {
        try {
            $db = mysqli_init();
            $db->options(MYSQLI_OPT_CONNECT_TIMEOUT, 3);
            if ($c['host'] === 'localhost') {
                $db->real_connect('localhost', $c['user'], $c['password'], null, (int) $c['port'], $c['socket']);
            } else {
                $flags = 0;
                if (($c['tls'] ?? '0') === '1') {
                    $db->ssl_set(null, null, $ca, null, null);
                    $db->options(MYSQLI_OPT_SSL_VERIFY_SERVER_CERT, true);
                    $flags = MYSQLI_CLIENT_SSL;
                }
                $db->real_connect($c['host'], $c['user'], $c['password'], null, (int) $c['port'], null, $flags);
            }
            $error = null;
            break;
        } catch (Throwable $e) {
            fwrite(STDERR, "$which ({$c['host']}): " . $e->getMessage() . "\n");
            $error = $e;
        }
    }
    if ($error !== null || $db === null) {
        // 1044/1045/1130/1698: the server answers, but has no such account for this host yet (or refuses it)
        echo $which, $error !== null && in_array($error->getCode(), [1044, 1045, 1130, 1698], true) ? ' denied' : ' unreachable', "\n";
        continue;
    }
    try {
        $db->select_db($c['name']);
    } catch (Throwable $e) {
        echo "$which nodb\n";
        continue;
    }
    echo "$which read_only ", $db->query('SELECT @@GLOBAL.read_only')->fetch_row()[0], "\n";
    $tables = $db->query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME")->fetch_all();
    foreach ($tables as [$t]) {
        $rows = $db->query('SELECT 1 FROM `' . str_replace('`', '``', $t) . '` LIMIT 1')->num_rows;
        echo "$which table ", $rows > 0 ? 1 : 0, " $t\n";
    }
    $db->close();
}
PHP
  "$php" -d display_errors=stderr -d log_errors=0 "$probe" "$@" || rc=$?
  rm -f "$probe"
  [ "$rc" = 0 ] || echo "probe failed $rc"
}

# lemp_db_switch_refusal NEW_HOST KEPT: reads lemp_db_switch_report's lines on stdin; prints why the application
# must not switch from its current database server to NEW_HOST (nothing when it may). KEPT: the addresses of the db
# hosts that stay replicas in this change without being named in dbReseed ("localhost": this host).
#   - the current server stays a replica with its own rows: the new primary's database step refuses that change
#     (issue 19), so the application must not move to the read-only host first;
#   - the current server answers and the new one does not, has no database, or lacks a table or the rows of a table
#     the current one holds: a new db host named the primary in the same up starts empty (the two-up move copies it).
# A current server that does not answer (failover: the primary is gone) has nothing to compare: the switch goes on;
# so does a new one that answers but refuses the application's account: the replica of a server the application
# reached over its socket has no account for it until its own database step makes it, in the same up (the move's
# second up from a single server); a new host's database step makes the account with the database.
lemp_db_switch_refusal() {
  local new=$1 kept=$2 old="" line which fact rest k t lacks=""
  local -A old_rows=() new_rows=()
  local old_state="" new_state=""
  while IFS= read -r line; do
    which=${line%% *} rest=${line#* }
    fact=${rest%% *} rest=${rest#* }
    case "$which $fact" in
      "old none" | "probe unavailable") return 0 ;;
      "probe failed") echo "the check of the database servers failed (exit $rest)"; return 0 ;;
      "old host") old=$rest ;;
      "old table") old_rows[${rest#* }]=${rest%% *} ;;
      "new table") new_rows[${rest#* }]=${rest%% *} ;;
      "old "*) old_state=$fact ;;
      "new "*) new_state=$fact ;;
    esac
  done
  [ -n "$old" ] && [ "$old" != "$new" ] || return 0
  for k in $kept; do
    if [ "$k" = "$old" ]; then
      echo "the current database server $old stays a db host as a replica of $new, with rows of its own that $new may not have: $new's database step refuses to become the primary then, and the application would be left on a read-only server. Name it in dbReseed for this up (its rows are checked to be on $new before its copy is replaced), or keep it as dbPrimary"
      return 0
    fi
  done
  [ "$old_state" != unreachable ] && [ "$old_state" != denied ] && [ "$old_state" != nodb ] && [ "$new_state" != denied ] || return 0
  case "$new_state" in
    unreachable) lacks="$new does not answer (as the application's account) while the current database server $old does" ;;
    nodb) [ "${#old_rows[@]}" = 0 ] || lacks="$new has no database while the current database server $old holds ${#old_rows[@]} table(s)" ;;
  esac
  if [ -z "$lacks" ] && [ "$new_state" != nodb ]; then
    for t in "${!old_rows[@]}"; do
      if [ -z "${new_rows[$t]:-}" ]; then
        lacks="$new lacks the table $t that the current database server $old holds"
      elif [ "${old_rows[$t]}" = 1 ] && [ "${new_rows[$t]}" = 0 ]; then
        lacks="$new holds no row of the table $t while the current database server $old does"
      fi
      [ -z "$lacks" ] || break
    done
  fi
  [ -z "$lacks" ] || echo "$lacks (a db host added and named dbPrimary in the same up starts empty). Move the database in two ups (README, \"Moving the database\"): first add the new host with the db role, dbPrimary still the current primary (it is copied from it and replicates), then name it dbPrimary"
}

# lemp_db_repl_privileges USER HOST DB COPY: USER@HOST holds exactly the replication privileges (COPY=0:
# LEMP_DB_REPL_PRIVS) or those plus the initial copy's (COPY=1: LEMP_DB_COPY_PRIVS, and LEMP_DB_COPY_DB_PRIVS on
# DB); anything else is revoked. Checked on every run; kept out of the binary log (each server has its own accounts).
lemp_db_repl_privileges() {
  local user=$1 h=$2 db=$3 copy=$4 grantee account want want_db have have_db sql
  grantee="'$user'@'$h'"
  account="$(lemp_sql_str "$user")@$(lemp_sql_str "$h")"
  want=$LEMP_DB_REPL_PRIVS want_db=""
  # SCHEMA_PRIVILEGES names the schema as granted: the escaped pattern (batch output escapes its "\" once more)
  if [ "$copy" = 1 ]; then want=$LEMP_DB_COPY_PRIVS want_db="$(lemp_sql_db_pattern "$db" | sed 's/\\/\\\\/g')	$LEMP_DB_COPY_DB_PRIVS"; fi
  have=$(lemp_db_q "SELECT GROUP_CONCAT(PRIVILEGE_TYPE ORDER BY PRIVILEGE_TYPE) FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = $(lemp_sql_str "$grantee") AND PRIVILEGE_TYPE <> 'USAGE'")
  have_db=$(lemp_db_q "SELECT TABLE_SCHEMA, GROUP_CONCAT(PRIVILEGE_TYPE ORDER BY PRIVILEGE_TYPE) FROM information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE = $(lemp_sql_str "$grantee") GROUP BY TABLE_SCHEMA")
  [ "$have" != NULL ] || have=""
  if [ "$have" = "$want" ] && [ "$have_db" = "$want_db" ] &&
    [ "$(lemp_db_q "SELECT COUNT(*) FROM information_schema.TABLE_PRIVILEGES WHERE GRANTEE = $(lemp_sql_str "$grantee")")" = 0 ]; then
    return 0
  fi
  sql="SET SESSION sql_log_bin = 0; REVOKE ALL PRIVILEGES, GRANT OPTION FROM $account; GRANT $want ON *.* TO $account;"
  [ "$copy" = 0 ] || sql+=" GRANT $LEMP_DB_COPY_DB_PRIVS ON $(lemp_sql_grant_db "$db").* TO $account;"
  lemp_db_q "$sql"
  if [ "$copy" = 1 ]; then
    lemp_changed "granted '$user'@'$h' replication and the initial copy's privileges"
  else
    lemp_changed "'$user'@'$h' keeps only replication privileges ($want)"
  fi
}


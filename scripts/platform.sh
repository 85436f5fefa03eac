#!/usr/bin/env bash
# The platform data: the one place where the supported releases and the database engines differ. The program sends
# this file before lib.sh and a step's script (or its undo), and verify sends it before probe.sh (tools/verify/probe.ts):
# the steps, the undo scripts and the live probe read the same data. Run by hand, lib.sh and probe.sh source it from
# their own directory. It defines functions and data only; lemp_die and lemp_log come from lib.sh (steps) or probe.sh.
#
#   lemp_os                 the release (lemp_os_release), the engine (LEMP_DB_ENGINE: auto = the release's default,
#                           mysql or mariadb) and that engine's data (lemp_db_engine)
#   lemp_db_version_sql V   what differs between versions of one engine, from the running server's VERSION()
#   lemp_step_packages S    the distribution packages of step S
#
# Releases: see LEMP_OS_RELEASES. What each release ships was read from its archive (Debian: booted here) or from
# the sources cited in test/fixtures/releases/ (Ubuntu: no Ubuntu archive is reachable from the test machines).
# The LEMP_* variables set here are read by the step scripts (shellcheck sees one file at a time):
# shellcheck disable=SC2034

# every release a step accepts, as ID-VERSION_ID of os-release (Debian unstable names no VERSION_ID: "unstable")
LEMP_OS_RELEASES="ubuntu-22.04 ubuntu-24.04 ubuntu-26.04 debian-12 debian-13 debian-unstable"
LEMP_OS_SUPPORTED="Ubuntu 22.04, 24.04 or 26.04, or Debian 12 or 13"   # in errors (unstable: a test target only)
LEMP_DB_ENGINES_ALL="mysql mariadb"

lemp_os_field() {   # KEY FILE: a value from os-release (read, not sourced), quotes removed
  # bash only, no sed: every step reads three fields before its settings checks, which the offline suite runs for
  # about a hundred commands (test/unit/drift.test.ts): three processes per field were most of that time
  local line value
  while IFS= read -r line || [ -n "$line" ]; do
    [[ $line == "$1="* ]] || continue
    value=${line#"$1="}
    if [[ $value =~ ^\"(.*)\"$ ]]; then value=${BASH_REMATCH[1]}; fi
    if [[ $value =~ ^\'(.*)\'$ ]]; then value=${BASH_REMATCH[1]}; fi
    printf '%s\n' "$value"
    return 0
  done <"$2"
}

# lemp_os_release: the release of this host (LEMP_OS_RELEASE, default /etc/os-release) and its data:
# LEMP_OS_ID, LEMP_OS_VERSION, LEMP_OS_PRETTY, LEMP_PHP_VERSION (and its FPM unit and socket), LEMP_DB_ENGINES (the
# database servers its archive carries), LEMP_DB_DEFAULT_ENGINE (the one `auto` picks), LEMP_NGINX_VERSION and
# LEMP_DB_VERSIONS (what the archive ships, for messages and the release tests). Exit code 3 on any other release.
lemp_os_release() {
  local release=${LEMP_OS_RELEASE:-/etc/os-release} id version pretty
  [ -r "$release" ] || lemp_die 3 "unsupported OS: cannot read $release; expected $LEMP_OS_SUPPORTED"
  id=$(lemp_os_field ID "$release")
  version=$(lemp_os_field VERSION_ID "$release")
  pretty=$(lemp_os_field PRETTY_NAME "$release")
  pretty=${pretty:-$id $version}
  # Debian unstable (sid) names no VERSION_ID: the test target of Oracle MySQL (not a supported server release)
  if [ "$id" = debian ] && [ -z "$version" ] && [[ $pretty == */sid* ]]; then version=unstable; fi
  case "$id-$version" in
    ubuntu-22.04)
      LEMP_PHP_VERSION=8.1 LEMP_NGINX_VERSION=1.18 LEMP_DB_ENGINES="mysql mariadb" LEMP_DB_DEFAULT_ENGINE=mysql
      LEMP_DB_VERSIONS="mysql=8.0 mariadb=10.6" ;;
    ubuntu-24.04)
      LEMP_PHP_VERSION=8.3 LEMP_NGINX_VERSION=1.24 LEMP_DB_ENGINES="mysql mariadb" LEMP_DB_DEFAULT_ENGINE=mysql
      LEMP_DB_VERSIONS="mysql=8.0 mariadb=10.11" ;;
    ubuntu-26.04)
      LEMP_PHP_VERSION=8.5 LEMP_NGINX_VERSION=1.28 LEMP_DB_ENGINES="mysql mariadb" LEMP_DB_DEFAULT_ENGINE=mysql
      LEMP_DB_VERSIONS="mysql=8.4 mariadb=11.8" ;;
    debian-12)
      LEMP_PHP_VERSION=8.2 LEMP_NGINX_VERSION=1.22 LEMP_DB_ENGINES=mariadb LEMP_DB_DEFAULT_ENGINE=mariadb
      LEMP_DB_VERSIONS="mariadb=10.11" ;;
    debian-13)
      LEMP_PHP_VERSION=8.4 LEMP_NGINX_VERSION=1.26 LEMP_DB_ENGINES=mariadb LEMP_DB_DEFAULT_ENGINE=mariadb
      LEMP_DB_VERSIONS="mariadb=11.8" ;;
    debian-unstable)   # moves: what it carried when last booted here
      LEMP_PHP_VERSION=8.4 LEMP_NGINX_VERSION=1.30 LEMP_DB_ENGINES="mysql mariadb" LEMP_DB_DEFAULT_ENGINE=mariadb
      LEMP_DB_VERSIONS="mysql=9.7 mariadb=11.8" ;;
    *) lemp_die 3 "unsupported OS: $pretty; expected $LEMP_OS_SUPPORTED" ;;
  esac
  LEMP_OS_ID=$id
  LEMP_OS_VERSION=$version
  LEMP_OS_PRETTY=$pretty
  LEMP_PHP_FPM_SERVICE=php$LEMP_PHP_VERSION-fpm
  LEMP_PHP_SOCKET=/run/php/php$LEMP_PHP_VERSION-fpm.sock
}

# lemp_db_engine ENGINE: the data of a database engine (mysql or mariadb), whatever the release. What differs between
# versions of one engine (MySQL 8.0 / 8.4 / 9.x) is decided on the running server's version (lemp_db_version_sql).
lemp_db_engine() {
  case "$1" in
    mysql)   # Oracle MySQL 8.0 (Ubuntu 22.04, 24.04), 8.4 LTS (Ubuntu 26.04) and 9.x (Debian unstable)
      LEMP_DB_ENGINE=mysql
      LEMP_DB_PACKAGE=mysql-server
      LEMP_DB_SERVICE=mysql
      LEMP_DB_DAEMON=mysqld
      LEMP_DB_CONF_DIR=/etc/mysql/mysql.conf.d
      # MySQL reads the files of an !includedir in directory order, not sorted: the package's own file may come after
      # ours, and its "bind-address = 127.0.0.1" win (seen on MySQL 9.7); that line is commented out there
      LEMP_DB_DISTRO_CNF=/etc/mysql/mysql.conf.d/mysqld.cnf
      # replication: GTIDs are off by default; "source/replica" statements (all since 8.0.22/8.0.23; the
      # "master/slave" ones are gone in 8.4)
      LEMP_DB_GTID_CNF=$'gtid_mode = ON\nenforce_gtid_consistency = ON'
      LEMP_DB_BINLOG_EXPIRE_CNF='binlog_expire_logs_seconds = 604800'
      LEMP_DB_READ_ONLY_CNF=$'read_only = ON\nsuper_read_only = ON'
      LEMP_DB_REPLICA_STATUS='SHOW REPLICA STATUS'
      LEMP_DB_REPLICA_COLS='Source_Host Source_Port Source_User Replica_IO_Running Replica_SQL_Running Last_IO_Error Last_SQL_Error Source_SSL_Allowed Source_SSL_CA_File Source_SSL_Verify_Server_Cert'
      LEMP_DB_REPLICA_LAG_COL=Seconds_Behind_Source
      LEMP_DB_CHANGE_SOURCE='CHANGE REPLICATION SOURCE TO SOURCE_HOST=%s, SOURCE_PORT=%s, SOURCE_USER=%s, SOURCE_PASSWORD=%s, SOURCE_AUTO_POSITION=1'
      # appended to LEMP_DB_CHANGE_SOURCE with TLS: the primary verified against the CA file (%s)
      LEMP_DB_SOURCE_TLS=', SOURCE_SSL=1, SOURCE_SSL_CA=%s, SOURCE_SSL_VERIFY_SERVER_CERT=1'
      # without TLS: caching_sha2_password sends the password only over TLS or encrypted with the server's RSA key
      LEMP_DB_SOURCE_PLAIN=', GET_SOURCE_PUBLIC_KEY=1'
      # client options (mysql, mysqldump) of the initial copy with TLS: the CA file (%s), the name checked
      LEMP_DB_CLIENT_TLS_CNF=$'ssl-ca=%s\nssl-mode=VERIFY_IDENTITY'
      LEMP_DB_CLIENT_PLAIN_CNF='get-server-public-key'
      LEMP_DB_START_REPLICA='START REPLICA'
      LEMP_DB_STOP_REPLICA='STOP REPLICA'
      # the dump sets GTID_PURGED (which needs an empty gtid_executed: LEMP_DB_REPLICA_PREPARE first);
      # --source-data=2 takes a short global read lock, so the GTID set matches the data; --no-tablespaces: the
      # tablespace list needs PROCESS, which the replication account does not hold (8.0.21+)
      LEMP_DB_DUMP_GTID_OPTS='--set-gtid-purged=ON --source-data=2 --no-tablespaces'
      LEMP_DB_REPLICA_PREPARE='RESET MASTER'   # MySQL 8.0; lemp_db_version_sql: RESET BINARY LOGS AND GTIDS from 8.2
      # writes on a super_read_only replica (the initial copy) need it off for the session's duration
      LEMP_DB_WRITABLE_ON='SET GLOBAL super_read_only = OFF'
      LEMP_DB_WRITABLE_OFF='SET GLOBAL super_read_only = ON'
      # the engine's modern password plugin (mysql_native_password is gone in MySQL 9.0); remote clients use TLS
      LEMP_DB_AUTH_PLUGIN=caching_sha2_password
      LEMP_DB_IDENTIFIED='IDENTIFIED WITH caching_sha2_password BY'
      # the replication account's global privileges as information_schema names them, sorted: streaming only, and
      # with what the initial copy needs too (RELOAD + REPLICATION CLIENT for the dump's consistent GTID position)
      LEMP_DB_REPL_PRIVS='REPLICATION SLAVE'
      LEMP_DB_COPY_PRIVS='RELOAD,REPLICATION CLIENT,REPLICATION SLAVE'
      # a candidate server configuration is checked before it replaces the old one (%s = the file)
      LEMP_DB_VALIDATE='mysqld --defaults-file=%s --user=mysql --validate-config'
      # backups: no GTID_PURGED in the dump (it could not be restored into a server that has GTIDs of its own)
      LEMP_DB_BACKUP_OPTS='--set-gtid-purged=OFF'
      # does the server speak TLS (YES or NO): @@have_ssl is gone in MySQL 8.4; the certificate the server loaded
      # (8.0.16+) is read from the status variables, which the server keeps with performance_schema off too
      LEMP_DB_TLS_SQL="SELECT IF(VARIABLE_VALUE <> '', 'YES', 'NO') FROM performance_schema.global_status WHERE VARIABLE_NAME = 'Current_tls_cert'"
      ;;
    mariadb)   # MariaDB 10.6 (Ubuntu 22.04), 10.11 (Debian 12, Ubuntu 24.04), 11.8 (Debian 13, Ubuntu 26.04)
      LEMP_DB_ENGINE=mariadb
      LEMP_DB_PACKAGE=mariadb-server
      LEMP_DB_SERVICE=mariadb
      LEMP_DB_DAEMON=mariadbd
      LEMP_DB_CONF_DIR=/etc/mysql/mariadb.conf.d
      LEMP_DB_DISTRO_CNF=''   # MariaDB reads an !includedir sorted: 99-seed-web.cnf comes after 50-server.cnf
      # replication: GTIDs are always on; "master/slave" statements
      LEMP_DB_GTID_CNF=''
      LEMP_DB_BINLOG_EXPIRE_CNF='expire_logs_days = 7'
      LEMP_DB_READ_ONLY_CNF='read_only = ON'
      LEMP_DB_REPLICA_STATUS='SHOW SLAVE STATUS'
      LEMP_DB_REPLICA_COLS='Master_Host Master_Port Master_User Slave_IO_Running Slave_SQL_Running Last_IO_Error Last_SQL_Error Master_SSL_Allowed Master_SSL_CA_File Master_SSL_Verify_Server_Cert'
      LEMP_DB_REPLICA_LAG_COL=Seconds_Behind_Master
      LEMP_DB_CHANGE_SOURCE='CHANGE MASTER TO MASTER_HOST=%s, MASTER_PORT=%s, MASTER_USER=%s, MASTER_PASSWORD=%s, MASTER_USE_GTID=slave_pos'
      LEMP_DB_SOURCE_TLS=', MASTER_SSL=1, MASTER_SSL_CA=%s, MASTER_SSL_VERIFY_SERVER_CERT=1'
      LEMP_DB_SOURCE_PLAIN=''
      LEMP_DB_CLIENT_TLS_CNF=$'ssl-ca=%s\nssl-verify-server-cert'
      LEMP_DB_CLIENT_PLAIN_CNF=''
      LEMP_DB_START_REPLICA='START SLAVE'
      LEMP_DB_STOP_REPLICA='STOP SLAVE'
      # the dump sets gtid_slave_pos (--master-data takes a short global read lock for a matching position)
      LEMP_DB_DUMP_GTID_OPTS='--gtid --master-data=1'
      LEMP_DB_REPLICA_PREPARE='RESET SLAVE ALL'
      # read_only does not stop root (SUPER / READ ONLY ADMIN): nothing to switch for the initial copy
      LEMP_DB_WRITABLE_ON=''
      LEMP_DB_WRITABLE_OFF=''
      # MariaDB's default plugin (mysql_native_password): its modern one, ed25519, is not spoken by PHP's mysqlnd;
      # the exchange of remote clients runs inside TLS
      LEMP_DB_AUTH_PLUGIN=mysql_native_password
      LEMP_DB_IDENTIFIED='IDENTIFIED BY'
      LEMP_DB_REPL_PRIVS='REPLICATION SLAVE'
      LEMP_DB_COPY_PRIVS='BINLOG MONITOR,RELOAD,REPLICATION SLAVE'
      # no --validate-config: reading the options (--help --verbose) fails on an unknown or malformed one
      LEMP_DB_VALIDATE='mariadbd --defaults-file=%s --help --verbose'
      LEMP_DB_BACKUP_OPTS=''
      LEMP_DB_TLS_SQL="SELECT IF(@@have_ssl = 'YES', 'YES', 'NO')"   # YES, or DISABLED without a certificate
      ;;
    *) lemp_die "unknown database engine '$1': expected one of: $LEMP_DB_ENGINES_ALL" ;;
  esac
  LEMP_DB_SOCKET=/run/mysqld/mysqld.sock
}

# lemp_os: the release's data, then the engine's: LEMP_DB_ENGINE (auto = the release's default, mysql or mariadb) is
# replaced by the engine in use.
lemp_os() {
  local want=${LEMP_DB_ENGINE:-auto}
  lemp_os_release
  case "$want" in
    auto) want=$LEMP_DB_DEFAULT_ENGINE ;;
    mysql | mariadb)
      [[ " $LEMP_DB_ENGINES " == *" $want "* ]] ||
        lemp_die 3 "LEMP_DB_ENGINE=$want: $LEMP_OS_PRETTY's archive has no $want server (it has: $LEMP_DB_ENGINES)" ;;
    *) lemp_die "LEMP_DB_ENGINE must be auto, mysql or mariadb (got '$want')" ;;
  esac
  lemp_db_engine "$want"
}

# lemp_db_version_sql VERSION: what differs between versions of one engine, from the running server's version
# (VERSION() as it answers, e.g. 8.0.39-0ubuntu0.22.04.1, 8.4.11-0ubuntu0.26.04.1, 9.7.0-1, 10.11.6-MariaDB-0+deb12u1).
# Call after lemp_os (or lemp_db_engine), once the server answers.
lemp_db_version_sql() {   # VERSION
  local v=$1 major minor patch
  [[ $v =~ ^([0-9]+)\.([0-9]+)(\.([0-9]+))? ]] || lemp_die "cannot read the server version '$v'"
  major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]} patch=${BASH_REMATCH[4]:-0}
  LEMP_DB_SERVER_VERSION=$major.$minor.$patch
  if [ "$LEMP_DB_ENGINE" = mysql ]; then
    # the "source/replica" statements of every MySQL branch here exist from 8.0.23 on
    if [ "$major" -lt 8 ] || { [ "$major" = 8 ] && [ "$minor" = 0 ] && [ "$patch" -lt 23 ]; }; then
      lemp_die "MySQL $major.$minor.$patch is older than 8.0.23, the oldest these scripts speak to"
    fi
    if [ "$major" -gt 8 ] || [ "$minor" -ge 2 ]; then
      # MySQL 8.2+ (8.4 LTS, 9.x): RESET MASTER is gone in 8.4; its new name exists since 8.2
      LEMP_DB_REPLICA_PREPARE='RESET BINARY LOGS AND GTIDS'
    fi
  fi
}

# The engine whose server is installed here (mariadb or mysql; empty: neither), for verify's probe: MariaDB's
# packages install mariadbd (10.5+), MySQL's mysqld.
lemp_db_engine_installed() {
  local dir
  for dir in /usr/sbin /usr/bin /usr/local/sbin; do
    if [ -x "$dir/mariadbd" ]; then echo mariadb; return 0; fi
  done
  for dir in /usr/sbin /usr/bin /usr/local/sbin; do
    if [ -x "$dir/mysqld" ]; then echo mysql; return 0; fi
  done
}

# The distribution packages of each step (call after lemp_os). One list: each step installs its own, and base.sh
# installs those of every step the host will run in one apt transaction (LEMP_PREINSTALL), which is faster than
# one transaction per step.
lemp_step_packages() {   # STEP
  case $1 in
    base) echo curl ca-certificates ;;
    firewall) echo ufw ;;
    php) echo "php$LEMP_PHP_VERSION-fpm php$LEMP_PHP_VERSION-mysql" ;;
    nginx) echo nginx ;;
    database) echo "$LEMP_DB_PACKAGE" ;;
    lb) echo haproxy socat ;;      # socat: the runtime API (the servers' state kept across a reload)
    release) echo socat ;;         # the agent HAProxy's agent-check reads (behind a balancer)
    certbot) echo certbot ;;
    monitoring) echo prometheus-node-exporter ;;
    backup) echo gzip ;;
    *) lemp_die "no packages known for step '$1'" ;;
  esac
}

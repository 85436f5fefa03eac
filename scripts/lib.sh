#!/usr/bin/env bash
# Shared functions of the provisioning steps. The program sends this file followed by a step's script as one
# `bash -c` command; run by hand, a step sources this file from its own directory. See README.md.
#
# Conventions: human messages go to stderr as "[lemp:<step>] ...", each change as "[lemp:<step>] changed: <what>";
# facts go to stdout as key=value; lemp_finish prints "changed=N" as the last line of stdout.
# The LEMP_* variables set here are read by the step scripts (shellcheck sees one file at a time):
# shellcheck disable=SC2034
set -euo pipefail

LEMP_STEP=${LEMP_STEP:-lemp}
LEMP_CHANGED=0
LEMP_WROTE=0      # set by lemp_write_file: 1 when it wrote, 0 when the file was already right
LEMP_STARTED=0    # set by lemp_service_enable_start: 1 when it started the service
LEMP_STATE_DIR=/var/lib/seed-web

lemp_log() { printf '[lemp:%s] %s\n' "$LEMP_STEP" "$*" >&2; }
lemp_die() {   # [code] message
  local code=1
  if [[ ${1:-} =~ ^[0-9]+$ ]] && [ $# -gt 1 ]; then code=$1; shift; fi
  lemp_log "error: $*"
  exit "$code"
}
lemp_changed() { LEMP_CHANGED=$((LEMP_CHANGED + 1)); lemp_log "changed: $*"; }
lemp_fact() { printf '%s=%s\n' "$1" "$2"; }
lemp_finish() { lemp_generation_record; printf 'changed=%s\n' "$LEMP_CHANGED"; }

lemp_init() {   # step name
  LEMP_STEP=$1
  umask 022
  export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin${PATH:+:$PATH}"
  export LC_ALL=C
  [ "$EUID" -eq 0 ] || lemp_die "must run as root (use sudo)"
  trap 'lemp_log "error: failed (exit $?) at line $LINENO: $BASH_COMMAND"' ERR
}

# --- the platform data (scripts/platform.sh: releases, engines, packages) --------------------------------------------
# The program sends platform.sh before this file; run by hand, a step sources this file, and this file platform.sh.
if ! declare -F lemp_os >/dev/null; then
  # shellcheck source-path=SCRIPTDIR source=platform.sh
  . "$(dirname "${BASH_SOURCE[0]}")/platform.sh"
fi

# Memory in MB: MemTotal, or the cgroup (container) limit when that is lower (cgroup v2 memory.max, or v1
# memory/memory.limit_in_bytes). LEMP_TUNE_MEM_MB (the config key tuneMemoryMb) replaces what the host reports: a
# test host, or a host whose share of a larger machine the kernel does not show.
lemp_mem_mb() {   # (builtins only: the database and PHP steps read it on every apply)
  local key kb mb="" limit="" f
  if [ "${LEMP_TUNE_MEM_MB:-auto}" != auto ]; then
    [[ $LEMP_TUNE_MEM_MB =~ ^[1-9][0-9]{2,6}$ ]] || lemp_die "LEMP_TUNE_MEM_MB: expected auto or a number of MB (100-9999999)"
    echo "$LEMP_TUNE_MEM_MB"; return 0
  fi
  while read -r key kb _; do
    if [ "$key" = MemTotal: ]; then mb=$((kb / 1024)); break; fi
  done <"${LEMP_MEMINFO:-/proc/meminfo}"
  [ -n "$mb" ] || lemp_die "no MemTotal in /proc/meminfo"
  for f in "${LEMP_CGROUP_DIR:-/sys/fs/cgroup}/memory.max" "${LEMP_CGROUP_DIR:-/sys/fs/cgroup}/memory/memory.limit_in_bytes"; do
    limit=""
    if [ -r "$f" ]; then read -r limit <"$f" || true; fi
    # v1 reports "no limit" as a huge number (9223372036854771712): more than MemTotal, so ignored like v2's "max"
    if [[ $limit =~ ^[0-9]{1,18}$ ]] && [ $((limit / 1048576)) -lt "$mb" ]; then mb=$((limit / 1048576)); fi
  done
  echo "$mb"
}

# CPUs: the online ones, fewer when the host's cgroup holds it to a CPU quota (v2 cpu.max "QUOTA PERIOD", v1
# cpu.cfs_quota_us / cpu.cfs_period_us; a container run with --cpus 1.5 counts 2); LEMP_TUNE_CPUS replaces them, for a test.
lemp_cpus() {
  if [ "${LEMP_TUNE_CPUS:-auto}" != auto ]; then
    [[ $LEMP_TUNE_CPUS =~ ^[1-9][0-9]{0,3}$ ]] || lemp_die "LEMP_TUNE_CPUS: expected auto or a number of CPUs (1-9999)"
    echo "$LEMP_TUNE_CPUS"; return 0
  fi
  local n quota="" period="" cg=${LEMP_CGROUP_DIR:-/sys/fs/cgroup} q
  n=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
  [[ $n =~ ^[1-9][0-9]*$ ]] || n=1
  if [ -r "$cg/cpu.max" ]; then read -r quota period <"$cg/cpu.max" || true
  elif [ -r "$cg/cpu/cpu.cfs_quota_us" ] && [ -r "$cg/cpu/cpu.cfs_period_us" ]; then
    read -r quota <"$cg/cpu/cpu.cfs_quota_us" || true; read -r period <"$cg/cpu/cpu.cfs_period_us" || true
  fi
  # "max" (v2) and -1 (v1) are no quota
  if [[ $quota =~ ^[1-9][0-9]{0,12}$ ]] && [[ $period =~ ^[1-9][0-9]{0,12}$ ]]; then
    q=$(((quota + period - 1) / period))
    [ "$q" -ge "$n" ] || n=$q
  fi
  echo "$n"
}

# --- the tuning profile ----------------------------------------------------------------------------------------
# lemp_tune: the serving profile of this host, computed from its CPUs and memory, in one place (the PHP, Nginx,
# database and balancer steps all call it, so they agree; test/unit/tune.test.ts runs it at the edges). Sets TUNE_*.
# Inputs (each "auto" unless the config sets it; README "Performance"):
#   LEMP_TUNE_SHARED       1 when this host runs both PHP and the database (the database's share is set aside first)
#   LEMP_TUNE_WEB_HOSTS    how many web hosts connect to the database (for max_connections)
#   LEMP_PHP_MAX_CHILDREN  auto | 1-1000      LEMP_TUNE_PHP_WORKER_MB  MB one PHP-FPM worker takes (default 48:
#                                              PHP 8.2 with opcache, measured RSS of the demo app's workers ~30-40 MB)
#   LEMP_DB_BUFFER_POOL_MB auto | 64-1048576  LEMP_TUNE_MEM_MB / LEMP_TUNE_CPUS (what the host is taken to have)
# The arithmetic (MB):
#   reserve   = 128 (the OS, Nginx, sshd)
#   pool      = database's InnoDB buffer pool: 25 % of memory when shared with PHP, 50 % on a host of its own, >= 64
#   db_share  = pool + 96 (the server's own memory besides the pool), only when shared
#   opcache   = clamp(memory / 16, 64, 256): its shared memory, of which the JIT's buffer is a quarter (LEMP_PHP_JIT
#               tracing|function; off: no buffer) and the opcode cache the rest (memory_consumption)
#   children  = (memory - reserve - db_share - opcache) / worker_mb, at most min(256, 16 x CPUs + 8); fewer than 2
#               => the host is too small (error, not a swapping server)
#   php backlog = clamp(children x 8, 128, 4096); nginx queue (limit_conn) = children + php backlog / 2 (measured: a full socket
#               answered 502 before children + backlog requests were in; half the backlog leaves the margin)
#   max_connections = 2 x web hosts x the children ceiling of a host + 10, 50 .. 5000 (twice: the server thread of a
#               connection PHP closed lingers a moment after the worker opened the next; measured with bench:serve, 40
#               workers at 1200 requests/s went past 50 connections, "Too many connections")
lemp_tune() {   # php|db|nginx|lb: the step that asks, checked for room (a host too small is an error)
  local for=${1:-} mem cpus worker reserve=128 db_share=0 php_mem ceiling
  mem=$(lemp_mem_mb); cpus=$(lemp_cpus)
  worker=${LEMP_TUNE_PHP_WORKER_MB:-48}
  [[ $worker =~ ^[1-9][0-9]{1,3}$ ]] || lemp_die "LEMP_TUNE_PHP_WORKER_MB: expected a number of MB (10-9999)"
  TUNE_MEM_MB=$mem TUNE_CPUS=$cpus TUNE_PHP_WORKER_MB=$worker
  if [ "${LEMP_DB_BUFFER_POOL_MB:-auto}" != auto ]; then
    { [[ $LEMP_DB_BUFFER_POOL_MB =~ ^[1-9][0-9]{1,6}$ ]] && [ "$LEMP_DB_BUFFER_POOL_MB" -ge 64 ]; } ||
      lemp_die "LEMP_DB_BUFFER_POOL_MB: expected auto or a number of MB (64-1048576)"
    TUNE_DB_BUFFER_POOL_MB=$LEMP_DB_BUFFER_POOL_MB
  elif [ "${LEMP_TUNE_SHARED:-1}" = 1 ]; then
    TUNE_DB_BUFFER_POOL_MB=$(lemp_clamp $((mem / 4)) 64 1048576)
  else
    TUNE_DB_BUFFER_POOL_MB=$(lemp_clamp $((mem / 2)) 64 1048576)
  fi
  [ "${LEMP_TUNE_SHARED:-1}" = 1 ] && db_share=$((TUNE_DB_BUFFER_POOL_MB + 96))
  TUNE_OPCACHE_MB=$(lemp_clamp $((mem / 16)) 64 256)
  case "${LEMP_PHP_JIT:-tracing}" in
    tracing | function) TUNE_PHP_JIT_MB=$((TUNE_OPCACHE_MB / 4)) ;;
    off) TUNE_PHP_JIT_MB=0 ;;
    *) lemp_die "LEMP_PHP_JIT: expected tracing, function or off" ;;
  esac
  ceiling=$((16 * cpus + 8)); [ "$ceiling" -gt 256 ] && ceiling=256
  php_mem=$((mem - reserve - db_share - TUNE_OPCACHE_MB))
  if [ "${LEMP_PHP_MAX_CHILDREN:-auto}" != auto ]; then
    [[ $LEMP_PHP_MAX_CHILDREN =~ ^([1-9][0-9]{0,2}|1000)$ ]] || lemp_die "LEMP_PHP_MAX_CHILDREN: expected auto or a number from 1 to 1000"
    TUNE_PHP_MAX_CHILDREN=$LEMP_PHP_MAX_CHILDREN
    ceiling=$LEMP_PHP_MAX_CHILDREN
  else
    TUNE_PHP_MAX_CHILDREN=$((php_mem > 0 ? php_mem / worker : 0))
    [ "$TUNE_PHP_MAX_CHILDREN" -gt "$ceiling" ] && TUNE_PHP_MAX_CHILDREN=$ceiling
    if [ "$TUNE_PHP_MAX_CHILDREN" -lt 2 ] && [ "$for" = php ]; then
      lemp_die "host too small for the serving profile: ${mem} MB leaves $((php_mem > 0 ? php_mem : 0)) MB for PHP (${reserve} MB system, ${db_share} MB database, ${TUNE_OPCACHE_MB} MB opcache), less than 2 workers of ${worker} MB; give it more memory, or set phpMaxChildren / dbBufferPoolMb / phpWorkerMb"
    fi
  fi
  if [ "$for" = db ] && [ $((TUNE_DB_BUFFER_POOL_MB + 96 + reserve)) -gt "$mem" ]; then
    lemp_die "host too small for the database: ${mem} MB, less than its buffer pool (${TUNE_DB_BUFFER_POOL_MB} MB) + 96 MB + ${reserve} MB system; set dbBufferPoolMb lower or give it more memory"
  fi
  [ "$TUNE_PHP_MAX_CHILDREN" -ge 1 ] || TUNE_PHP_MAX_CHILDREN=1
  TUNE_PHP_MAX_REQUESTS=500
  TUNE_PHP_BACKLOG=$(lemp_clamp $((TUNE_PHP_MAX_CHILDREN * 8)) 128 4096)
  TUNE_PHP_TERMINATE_S=60            # request_terminate_timeout: a stuck request ends; Nginx waits longer (fastcgi_read_timeout 75s)
  TUNE_PHP_CONTROL_S=30              # process_control_timeout: a reload lets in-flight requests finish
  TUNE_NGINX_WORKER_CONNECTIONS=$(lemp_clamp $((TUNE_PHP_MAX_CHILDREN * 16 + 1024)) 1024 16384)
  TUNE_NGINX_QUEUE=$((TUNE_PHP_MAX_CHILDREN + TUNE_PHP_BACKLOG / 2))
  TUNE_SOMAXCONN=4096
  TUNE_DB_MAX_CONNECTIONS=$(lemp_clamp $(( 2 * ${LEMP_TUNE_WEB_HOSTS:-1} * ceiling + 10 )) 50 5000)
}

lemp_tune_report() {   # the profile as facts (stdout) and one log line
  lemp_fact tune_mem_mb "$TUNE_MEM_MB"
  lemp_fact tune_cpus "$TUNE_CPUS"
  lemp_log "profile: ${TUNE_MEM_MB} MB, ${TUNE_CPUS} CPUs: php max_children=$TUNE_PHP_MAX_CHILDREN (${TUNE_PHP_WORKER_MB} MB each) backlog=$TUNE_PHP_BACKLOG opcache=${TUNE_OPCACHE_MB}M (jit ${TUNE_PHP_JIT_MB}M); nginx worker_connections=$TUNE_NGINX_WORKER_CONNECTIONS queue=$TUNE_NGINX_QUEUE; db buffer_pool=${TUNE_DB_BUFFER_POOL_MB}M max_connections=$TUNE_DB_MAX_CONNECTIONS; somaxconn=$TUNE_SOMAXCONN"
}

# lemp_tune_sysctl: the kernel's accept backlog (net.core.somaxconn, per network namespace) at least TUNE_SOMAXCONN.
lemp_tune_sysctl() {
  local cur
  lemp_write_file /etc/sysctl.d/60-seed-web.conf 0644 root:root <<EOF
# Managed by seed-web: the accept backlog the PHP-FPM socket and Nginx listen with
net.core.somaxconn = $TUNE_SOMAXCONN
EOF
  read -r cur </proc/sys/net/core/somaxconn || cur=0
  if [ "$cur" != "$TUNE_SOMAXCONN" ]; then
    sysctl -q -w net.core.somaxconn="$TUNE_SOMAXCONN" >/dev/null || lemp_log "warning: could not set net.core.somaxconn"
    lemp_changed "net.core.somaxconn = $TUNE_SOMAXCONN"
  fi
}

lemp_clamp() { local v=$1; [ "$v" -lt "$2" ] && v=$2; [ "$v" -gt "$3" ] && v=$3; echo "$v"; }

# --- apt -------------------------------------------------------------------------------------------------------
LEMP_APT=(apt-get -q -y -o DPkg::Lock::Timeout=300)

# lemp_apt_get ARGS...: apt-get, output on stderr. Waits while another apt or dpkg run holds its locks (DPkg::Lock::Timeout
# covers dpkg's lock, not the package lists' lock of "update"), and finishes a dpkg run that was cut short (an SSH
# session dropped in the middle of an install) before trying again: a re-run converges instead of failing.
lemp_apt_get() {
  local out rc _ reconfigured=0
  for _ in $(seq 1 150); do
    out=$(DEBIAN_FRONTEND=noninteractive "${LEMP_APT[@]}" "$@" 2>&1) && { printf '%s\n' "$out" >&2; return 0; }
    rc=$?
    printf '%s\n' "$out" >&2
    case "$out" in
      *"dpkg was interrupted"*)
        lemp_log "finishing an interrupted dpkg run (dpkg --configure -a)"
        DEBIAN_FRONTEND=noninteractive dpkg --configure -a >&2 ;;
      *"Errors were encountered while processing"*)
        # a package's configuration script failed (e.g. a database server that did not start in time on a loaded
        # host): configured once more, then the command again; a second failure is the step's error
        [ "$reconfigured" = 0 ] || return "$rc"
        reconfigured=1
        lemp_log "a package failed to configure: dpkg --configure -a, then once more"
        DEBIAN_FRONTEND=noninteractive dpkg --configure -a >&2 || true ;;
      *"Could not get lock"* | *"Unable to lock"* | *"Could not open lock file"*)
        lemp_log "apt is busy in another process; waiting"
        sleep 2 ;;
      *) return "$rc" ;;
    esac
  done
  lemp_die "apt stayed locked by another process for 5 minutes"
}

lemp_apt_lists_age() {   # seconds since our last successful apt-get update; huge when unknown or lists are absent
  local stamp=$LEMP_STATE_DIR/apt-update.stamp now
  now=$(date +%s)
  if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null || [ ! -f "$stamp" ]; then echo 999999999; return; fi
  echo $((now - $(stat -c %Y "$stamp")))
}

lemp_apt_update_if_stale() {
  local max=${LEMP_APT_MAX_AGE:-3600} age
  [[ $max =~ ^[0-9]+$ ]] || lemp_die "LEMP_APT_MAX_AGE must be a number of seconds, not '$max'"
  age=$(lemp_apt_lists_age)
  if [ "$age" -lt "$max" ]; then return 0; fi
  lemp_log "apt-get update (package lists older than ${max}s or absent)"
  lemp_apt_get update
  install -d -m 0700 "$LEMP_STATE_DIR"
  touch "$LEMP_STATE_DIR/apt-update.stamp"
  lemp_changed "apt package lists updated"
}

lemp_install_step_packages() {   # STEP...
  local step more packages=()
  for step in "$@"; do
    read -r -a more <<<"$(lemp_step_packages "$step")"
    packages+=("${more[@]}")
  done
  lemp_apt_install "${packages[@]}"
}

lemp_pkg_installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]; }

lemp_apt_install() {   # packages...: installs those not installed yet
  local p name status missing=() installed=" "
  [ $# -gt 0 ] || return 0
  # one dpkg-query for them all (it names only the packages it knows, and fails when one is unknown)
  while IFS=$'\t' read -r name status; do
    [ "$status" != installed ] || installed+="$name "
  done < <(dpkg-query -W -f='${Package}\t${db:Status-Status}\n' "$@" 2>/dev/null || true)
  for p in "$@"; do [[ $installed == *" $p "* ]] || missing+=("$p"); done
  [ ${#missing[@]} -gt 0 ] || return 0
  lemp_apt_update_if_stale
  lemp_log "installing ${missing[*]}"
  lemp_apt_get --no-install-recommends install "${missing[@]}"
  lemp_changed "installed ${missing[*]}"
}

# --- files -----------------------------------------------------------------------------------------------------
# lemp_write_file PATH MODE OWNER:GROUP  < content (text: a NUL byte is refused)
# Writes only when content, mode or owner differ (atomically, through a temp file in the same directory).
# Sets LEMP_WROTE=1 when it changed something, else 0. Feed it with a heredoc or a redirect, never from a pipe
# (a pipe runs it in a subshell, and its change count and LEMP_WROTE would be lost).
# The check that finds the file already right runs in this shell with a single `stat` (content compared in memory,
# the size from stat guarding against a NUL in the old file): it runs for every managed file on every apply.
lemp_write_file() {
  local path=$1 mode=$2 owner=$3 dir tmp content old have
  dir=${path%/*}
  dir=${dir:-/}
  [ -d "$dir" ] || lemp_die "directory $dir does not exist (for $path)"
  if IFS= read -r -d '' content; then lemp_die "$path: its new content holds a NUL byte (text files only)"; fi
  LEMP_WROTE=0
  if [ -f "$path" ] && [ ! -L "$path" ] && have=$(stat -c '%s %a %U:%G' "$path" 2>/dev/null) &&
    [ "${have%% *}" = "${#content}" ]; then
    old=""
    IFS= read -r -d '' old <"$path" || true
    if [ "$old" = "$content" ]; then
      if [ "${have#* }" != "${mode#0} $owner" ]; then
        chown "$owner" "$path"
        chmod "$mode" "$path"
        LEMP_WROTE=1
        lemp_changed "$path mode/owner set to $mode $owner"
      fi
      return 0
    fi
  fi
  tmp=$(umask 077 && mktemp "$dir/.lemp.XXXXXX")
  printf '%s' "$content" >"$tmp"
  chown "$owner" "$tmp"
  chmod "$mode" "$tmp"
  mv -f "$tmp" "$path"
  LEMP_WROTE=1
  lemp_changed "wrote $path"
}

lemp_mkdir() {   # PATH MODE OWNER:GROUP
  local path=$1 mode=$2 owner=$3
  if [ ! -d "$path" ]; then
    install -d -m "$mode" -o "${owner%%:*}" -g "${owner##*:}" "$path"
    lemp_changed "created directory $path"
  elif [ "$(stat -c '%a %U:%G' "$path")" != "${mode#0} $owner" ]; then
    chown "$owner" "$path"
    chmod "$mode" "$path"
    lemp_changed "$path mode/owner set to $mode $owner"
  fi
}

lemp_symlink() {   # TARGET LINK
  if [ -L "$2" ] && [ "$(readlink "$2")" = "$1" ]; then return 0; fi
  ln -sfn "$1" "$2"
  lemp_changed "linked $2 -> $1"
}

lemp_remove() {   # PATH (file or symlink)
  if [ -e "$1" ] || [ -L "$1" ]; then
    rm -f "$1"
    lemp_changed "removed $1"
  fi
}

# --- services --------------------------------------------------------------------------------------------------
# systemd when it runs as init (servers, test hosts), else the `service` command (containers, INIT=simple hosts).
lemp_has_systemd() { [ -d /run/systemd/system ]; }

lemp_service_running() {
  if lemp_has_systemd; then systemctl is-active --quiet "$1"; else service "$1" status >/dev/null 2>&1; fi
}

# Without systemd nothing starts a service at boot: each one enabled here is recorded, in the order of first
# enabling, in $LEMP_BOOT_SERVICES, which the boot (docker/entrypoint.sh) starts in that order (ufw first).
LEMP_BOOT_SERVICES=$LEMP_STATE_DIR/boot-services

lemp_service_enable_start() {   # NAME: enable (systemd; recorded for the entrypoint without) and start when not running
  local name=$1 key value active="" file=""
  LEMP_STARTED=0
  if lemp_has_systemd; then
    # the usual case, enabled and running, in one call (this runs on every apply); any other goes the long way
    while IFS='=' read -r key value; do
      case $key in ActiveState) active=$value ;; UnitFileState) file=$value ;; esac
    done < <(systemctl show -p ActiveState -p UnitFileState -- "$name" 2>/dev/null || true)
    if [ "$active" = active ] && [ "$file" = enabled ]; then return 0; fi
    if ! systemctl is-enabled --quiet "$name" 2>/dev/null; then
      systemctl enable --quiet "$name"
      lemp_changed "enabled $name"
    fi
  elif ! grep -qxF -- "$name" "$LEMP_BOOT_SERVICES" 2>/dev/null; then
    [ -d "$LEMP_STATE_DIR" ] || install -d -m 0700 "$LEMP_STATE_DIR"   # never change its mode (database.sh owns it)
    printf '%s\n' "$name" >>"$LEMP_BOOT_SERVICES"
    lemp_changed "enabled $name (started at boot by the entrypoint)"
  fi
  if ! lemp_service_running "$name"; then
    if lemp_has_systemd; then systemctl start "$name"; else service "$name" start >&2; fi
    LEMP_STARTED=1
    lemp_changed "started $name"
  fi
}

lemp_service_reload() {   # NAME: reload a running service, start a stopped one
  if ! lemp_service_running "$1"; then lemp_service_enable_start "$1"; return 0; fi
  if lemp_has_systemd; then systemctl reload "$1"; else service "$1" reload >&2; fi
  lemp_changed "reloaded $1"
}

lemp_service_restart() {   # NAME: restart a running service, start a stopped one
  if ! lemp_service_running "$1"; then lemp_service_enable_start "$1"; return 0; fi
  if lemp_has_systemd; then
    # a restart that fails is tried once more after its journal is shown (CI saw MariaDB's restart fail once on a
    # loaded host and pass on a re-run); a second failure stops the step with the journal's last lines
    if ! systemctl restart "$1"; then
      lemp_log "warning: restarting $1 failed; its journal:"
      journalctl -u "$1" -n 15 --no-pager >&2 || true
      sleep 3
      systemctl restart "$1" || { journalctl -u "$1" -n 15 --no-pager >&2 || true; lemp_die "$1 did not restart (twice; its journal above)"; }
    fi
  else
    service "$1" restart >&2
  fi
  lemp_changed "restarted $1"
}

# --- input -----------------------------------------------------------------------------------------------------
# lemp_read_secret VAR: first line of stdin into VAR (never echoed); refuses an empty one.
lemp_read_secret() {
  local _line=""
  IFS= read -r _line || true
  _line=${_line%$'\r'}
  [ -n "$_line" ] || lemp_die "expected a non-empty password on the first line of standard input"
  printf -v "$1" '%s' "$_line"
}

# lemp_inputs_checked: every step calls it right after its settings checks, before it reads a secret from stdin or
# changes anything. With LEMP_CHECK_ONLY=1 the step stops there (exit 0, fact inputs_checked=1): the settings the
# program would send are checked without touching the host (test/unit/drift.test.ts runs every step this way).
lemp_inputs_checked() {
  if [ "${LEMP_CHECK_ONLY:-0}" = 1 ]; then
    lemp_fact inputs_checked 1
    exit 0
  fi
}

# Names the application's database and user may not take (shell patterns, lower case; compared case-insensitively):
# the secure-installation clean-up, the grants and the replication account must never meet them. lib/config.ts reads
# these two lines, so the program refuses exactly what the scripts refuse (one list; keep each on one line).
LEMP_RESERVED_DATABASES='mysql sys information_schema performance_schema test test_* ndbinfo mysql_innodb_cluster_metadata'
LEMP_RESERVED_USERS='root repl mysql mysql.* mariadb.* debian-sys-maint public none mysqlxsys admin'

lemp_reserved() {   # NAME PATTERNS: true when NAME, in lower case, matches one of the space-separated patterns
  local name=${1,,} pattern patterns
  read -r -a patterns <<<"$2"
  for pattern in "${patterns[@]}"; do
    # shellcheck disable=SC2053 # the pattern is a glob on purpose
    [[ $name == $pattern ]] && return 0
  done
  return 1
}

lemp_require() {   # NAME REGEX DESCRIPTION: the variable must be set and match
  local value=${!1:-}
  [[ $value =~ $2 ]] || lemp_die "$1 must be $3 (got '${value}')"
}

# --- SQL quoting -----------------------------------------------------------------------------------------------
lemp_sql_str() {   # a MySQL string literal: ' doubled, \ escaped
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\'/\'\'}
  printf "'%s'" "$s"
}
lemp_sql_ident() {   # a MySQL identifier: ` doubled
  local q='`'
  printf '%s%s%s' "$q" "${1//$q/$q$q}" "$q"
}
# The database name as GRANT ... ON <db>.* and mysql.db hold it: "_" and "%" are wildcards there, escaped with ""
# ("my_app" would also grant "myXapp", "mysq_" the mysql schema). lemp_sql_db_pattern NAME: the pattern (raw);
# lemp_sql_grant_db NAME: it as an identifier for GRANT/REVOKE.
lemp_sql_db_pattern() {
  local p=${1//\\/\\\\}
  p=${p//_/\\_}
  printf '%s' "${p//%/\\%}"
}
lemp_sql_grant_db() { lemp_sql_ident "$(lemp_sql_db_pattern "$1")"; }

# --- TLS -------------------------------------------------------------------------------------------------------
# Certificates of a site live in $LEMP_TLS_ROOT/<first server name>/: fullchain.pem + privkey.pem (files for
# self-signed, links into /etc/letsencrypt/live/<name>/ for Let's Encrypt), haproxy.pem (both in one, for HAProxy).
# A web server configured for letsencrypt before its certificate exists serves plain HTTP and keeps its TLS
# configuration in $LEMP_PENDING_DIR/<service>/<file>: certbot.sh's deploy hook moves it in place once the
# certificate is there.
LEMP_TLS_ROOT=/etc/seed-web/tls
LEMP_PENDING_DIR=/etc/seed-web/pending
LEMP_ACME_WEBROOT=/var/www/letsencrypt
LEMP_ACME_STANDALONE_PORT=8888
LEMP_TLS_RENEW_DAYS=30   # a self-signed certificate is made again when it expires within this many days

lemp_tls_settings() {   # validates LEMP_TLS, LEMP_HTTPS_PORT, LEMP_REDIRECT_HTTP, LEMP_HSTS_MAX_AGE (sets defaults)
  LEMP_TLS=${LEMP_TLS:-none}
  LEMP_HTTPS_PORT=${LEMP_HTTPS_PORT:-443}
  LEMP_REDIRECT_HTTP=${LEMP_REDIRECT_HTTP:-0}
  LEMP_HSTS_MAX_AGE=${LEMP_HSTS_MAX_AGE:-0}
  lemp_require LEMP_TLS '^(none|self-signed|letsencrypt)$' 'none, self-signed or letsencrypt'
  lemp_require LEMP_HTTPS_PORT '^[1-9][0-9]{0,4}$' 'a TCP port'
  lemp_require LEMP_REDIRECT_HTTP '^[01]$' '1 or 0'
  lemp_require LEMP_HSTS_MAX_AGE '^[0-9]{1,10}$' 'a number of seconds (0 = no HSTS header)'
  if [ "$LEMP_TLS" = none ] && [ "$LEMP_REDIRECT_HTTP" = 1 ]; then lemp_die "LEMP_REDIRECT_HTTP=1 needs LEMP_TLS"; fi
}

lemp_tls_cert_present() {   # NAME: a readable certificate + key pair for NAME
  [ -s "$LEMP_TLS_ROOT/$1/fullchain.pem" ] && [ -s "$LEMP_TLS_ROOT/$1/privkey.pem" ]
}

lemp_cert_names() {   # CERT: its DNS subject alternative names, sorted, one per line
  openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null | tr ',' '\n' | sed -n 's/^ *DNS://p' | sort -u
}

# lemp_self_signed_cert NAME...: $LEMP_TLS_ROOT/<first name>/{fullchain,privkey}.pem, a self-signed certificate for
# all the names (SANs); made again only when the names differ or it expires within LEMP_TLS_RENEW_DAYS.
# Sets LEMP_WROTE=1 when it made one.
lemp_self_signed_cert() {
  local name=$1 dir=$LEMP_TLS_ROOT/$1 want have san="" n key crt
  LEMP_WROTE=0
  want=$(printf '%s\n' "$@" | sort -u)
  if lemp_tls_cert_present "$name" && [ ! -L "$dir/fullchain.pem" ] && [ ! -L "$dir/privkey.pem" ]; then
    have=$(lemp_cert_names "$dir/fullchain.pem")
    if [ "$have" = "$want" ] && openssl x509 -in "$dir/fullchain.pem" -noout -checkend $((LEMP_TLS_RENEW_DAYS * 86400)) >/dev/null; then
      return 0
    fi
  fi
  lemp_apt_install openssl
  lemp_mkdir /etc/seed-web 0755 root:root
  lemp_mkdir "$LEMP_TLS_ROOT" 0755 root:root
  lemp_mkdir "$dir" 0750 root:root
  for n in "$@"; do san+="${san:+,}DNS:$n"; done
  key=$(umask 077 && mktemp "$dir/.lemp.XXXXXX")
  crt=$(umask 077 && mktemp "$dir/.lemp.XXXXXX")
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 825 -subj "/CN=$name" -addext "subjectAltName=$san" \
    -keyout "$key" -out "$crt" 2>/dev/null || { rm -f "$key" "$crt"; lemp_die "openssl could not make a certificate for $name"; }
  chmod 0600 "$key"
  chmod 0644 "$crt"
  rm -f "$dir/privkey.pem" "$dir/fullchain.pem"   # links of an earlier letsencrypt setup, or the old pair
  mv -f "$key" "$dir/privkey.pem"
  mv -f "$crt" "$dir/fullchain.pem"
  LEMP_WROTE=1
  lemp_changed "made a self-signed certificate for $* (valid 825 days)"
}

# The TLS configuration of SERVICE (nginx: FILE = the site; haproxy: haproxy.cfg), kept until certbot.sh has the
# certificate: lemp_pending_write SERVICE FILE < content; lemp_pending_clear SERVICE FILE once it is in place.
# lemp_cert_expiry_metrics FILE...: the certificates' expiry (notAfter, Unix time) for the node exporter's textfile
# collector, as seed_web_tls_cert_expiry_timestamp_seconds{file="FILE"}; fails naming a file it cannot read
lemp_cert_expiry_metrics() {
  local f end
  printf '# HELP seed_web_tls_cert_expiry_timestamp_seconds When the certificate expires (notAfter, Unix time).\n'
  printf '# TYPE seed_web_tls_cert_expiry_timestamp_seconds gauge\n'
  for f in "$@"; do
    end=$(openssl x509 -enddate -noout -in "$f" 2>/dev/null) || { lemp_log "error: cannot read the certificate $f"; return 1; }
    end=$(date -d "${end#notAfter=}" +%s) || return 1
    printf 'seed_web_tls_cert_expiry_timestamp_seconds{file="%s"} %s\n' "$f" "$end"
  done
}

lemp_pending_write() {
  lemp_mkdir /etc/seed-web 0755 root:root
  lemp_mkdir "$LEMP_PENDING_DIR" 0755 root:root
  lemp_mkdir "$LEMP_PENDING_DIR/$1" 0755 root:root
  lemp_write_file "$LEMP_PENDING_DIR/$1/$2" 0644 root:root
}
lemp_pending_clear() { lemp_remove "$LEMP_PENDING_DIR/$1/$2"; }   # SERVICE FILE
# TLS 1.2 ciphers: Mozilla's "intermediate" list (TLS 1.3 has its own, all fine)
LEMP_TLS_CIPHERS=ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305

# --- database accounts (database.sh, replication.sh) -----------------------------------------------------------
lemp_db_sql() { mysql --protocol=socket -uroot -N -B; }   # SQL on stdin as root over the unix socket; tab-separated rows
lemp_db_q() { printf '%s\n' "$1" | lemp_db_sql; }          # one query as root (no secrets in it)
LEMP_DB_COPY_DB_PRIVS='EVENT,LOCK TABLES,SELECT,SHOW VIEW,TRIGGER'   # on the application database, for the copy

# lemp_db_copy_plan HAS_DB DONE WANT STARTED RESEED: what a replica's database step may do with its local database
# (HAS_DB 1/0: the application's database exists here; DONE: the completion marker's content; WANT: the marker of a
# copy from the configured primary; STARTED 1/0: a "copy started" marker without its "done"; RESEED 1/0: the host
# is named in dbReseed in this change). Prints one word:
#   keep    the copy from this primary is done: nothing to copy
#   copy    no local database: copy
#   redo    a copy cut short (started, never done): its partial database is dropped and the copy redone
#   reseed  named for re-seeding: the local database is dropped and copied again
#   refuse  a database this step did not copy (a former primary, a standalone, a copy from another primary): its
#           rows may exist nowhere else, it is never dropped
lemp_db_copy_plan() {
  if [ "$2" = "$3" ] && [ "$1" = 1 ]; then echo keep
  elif [ "$1" = 0 ]; then echo copy
  elif [ "$4" = 1 ]; then echo redo
  elif [ "$5" = 1 ]; then echo reseed
  else echo refuse
  fi
}

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

# --- the user's application's releases (stage.sh, release.sh, their undos) -----------------------------------------
LEMP_APP_PREVIEW_PORT=8079   # nginx.sh's loopback server for staged releases (the release named by a header)
lemp_app_live() {   # BASE: the id of the release BASE/current names (nothing when none)
  local t
  t=$(readlink "$1/current" 2>/dev/null) || return 0
  if [[ $t =~ ^releases/([0-9a-f]{20})$ ]]; then echo "${BASH_REMATCH[1]}"; fi
}
lemp_app_answer() {   # URL [HEADER]: the HTTP status of a GET (000: none), retried for up to 10 s while it is not 200
  local code deadline=$((SECONDS + 10)) extra=()
  [ -z "${2:-}" ] || extra=(-H "$2")
  # the site itself over TLS when this host serves it (the certificate is not what is checked here)
  if [[ $1 == https://* ]]; then extra+=(-k --resolve "$LEMP_SERVER_NAME:$LEMP_HTTPS_PORT:127.0.0.1"); fi
  while :; do
    code=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' -H "Host: $LEMP_SERVER_NAME" "${extra[@]}" "$1" || true)
    if [ "$code" = 200 ] || [ "$SECONDS" -ge "$deadline" ]; then echo "${code:-000}"; return 0; fi
    sleep 0.5
  done
}
lemp_app_precheck() {   # ID LIVE: the health path answers 200 through release ID (staged, not live yet), or the error
  local code
  code=$(lemp_app_answer "http://127.0.0.1:$LEMP_APP_PREVIEW_PORT$LEMP_APP_HEALTH_PATH" "X-Seed-Web-Release: $1")
  [ "$code" = 200 ] || lemp_die "release $1: $LEMP_APP_HEALTH_PATH answered HTTP $code through the new release, expected 200: it did not go live (${2:+release $2 still serves}${2:-no release was live})"
}
lemp_app_remove() {   # BASE: the releases and the `current` link removed; BASE/shared (the owner's data) only with
  # LEMP_DESTROY_DATA=1, else kept and reported
  local base=$1
  lemp_remove "$base/current"
  lemp_remove "$base/.current.new"
  rm -f -- "$base/.previous"
  if [ -d "$base/releases" ]; then
    rm -rf -- "${base:?}/releases"
    lemp_changed "releases removed from $base/releases"
  fi
  if [ -d "$base/shared" ]; then
    if [ "${LEMP_DESTROY_DATA:-0}" = 1 ]; then
      rm -rf -- "${base:?}/shared"
      lemp_changed "shared paths removed (destroyData)"
    else
      lemp_log "kept: $base/shared (the application's shared paths; set destroyData to remove them)"
    fi
  fi
  lemp_rmdir_empty "$base"
}

# --- generations and undo (scripts/undo/<step>.sh: each remote command's delete) ---------------------------------
# A step run by the program carries LEMP_GENERATION, an id of its own inputs (lib/steps.ts). On success lemp_finish
# records it in $LEMP_GENERATION_DIR/<step>. The step's undo (its command's delete) acts only when the host still
# carries that same generation: when a changed setting replaces the command, Pulumi runs the new create first and the
# old delete after it, and that old delete must not undo what the new create has just applied.
LEMP_GENERATION_DIR=$LEMP_STATE_DIR/generation
LEMP_UNDOING=0

lemp_generation_record() {   # bookkeeping of lemp_finish, not counted as a change
  [ -n "${LEMP_GENERATION:-}" ] && [ "$LEMP_UNDOING" = 0 ] || return 0
  [[ $LEMP_GENERATION =~ ^[0-9a-f]{8,64}$ ]] || lemp_die "LEMP_GENERATION must be 8-64 hex digits"
  local file=$LEMP_GENERATION_DIR/$LEMP_STEP name have
  [ -d "$LEMP_STATE_DIR" ] || install -d -m 0700 "$LEMP_STATE_DIR"   # never change its mode (database.sh owns it)
  [ -d "$LEMP_GENERATION_DIR" ] || install -d -m 0700 "$LEMP_GENERATION_DIR"
  # the live generation's settings (never a secret: those come on stdin), for the undo of a replaced generation:
  # NAME=value records each ended by a NUL (a value of the environment holds none), written by builtins only
  for name in $(compgen -e -X '!LEMP_*'); do
    case $name in LEMP_GENERATION | LEMP_CHECK_ONLY) continue ;; esac
    printf '%s=%s\0' "$name" "${!name}"
  done >"$file.env0.new"
  if cmp -s "$file.env0.new" "$file.env0"; then rm -f "$file.env0.new"; else mv -f "$file.env0.new" "$file.env0"; fi
  [ ! -e "$file.env" ] || rm -f "$file.env"   # the format before (base64 lines), replaced by .env0
  have=""
  [ ! -f "$file" ] || read -r have <"$file" || true
  # the generations this host carried, oldest first: a delete tells from it a generation replaced here (its
  # successor's create ran) from one it cannot know (lemp_undo_live); the record before it is the first line
  if [ ! -f "$file.history" ] && [ -n "$have" ]; then printf '%s\n' "$have" >"$file.history"; fi
  if ! grep -qxF -- "$LEMP_GENERATION" "$file.history" 2>/dev/null; then printf '%s\n' "$LEMP_GENERATION" >>"$file.history"; fi
  [ "$have" != "$LEMP_GENERATION" ] || return 0
  printf '%s\n' "$LEMP_GENERATION" >"$file.new"
  mv -f "$file.new" "$file"
}

# lemp_undo_begin STEP: the start of an undo script. Settings: those of the step's create (the same LEMP_* values),
# LEMP_GENERATION (the generation to undo; unset when run by hand: undo whatever is there), LEMP_DESTROY_DATA and
# LEMP_PURGE_PACKAGES (1/0, default 0).
lemp_undo_begin() {
  lemp_init "$1"
  LEMP_UNDOING=1
  LEMP_DESTROY_DATA=${LEMP_DESTROY_DATA:-0}
  LEMP_PURGE_PACKAGES=${LEMP_PURGE_PACKAGES:-0}
  lemp_require LEMP_DESTROY_DATA '^[01]$' '1 or 0'
  lemp_require LEMP_PURGE_PACKAGES '^[01]$' '1 or 0'
  [ -z "${LEMP_GENERATION:-}" ] || lemp_require LEMP_GENERATION '^[0-9a-f]{8,64}$' '8-64 hex digits'
}

# lemp_undo_live: true when this host still carries the generation being undone (or run by hand): undo it all.
# False when it carries another one that replaced it here (the command was replaced and its successor's create
# already ran: undo only what that successor does not use, see lemp_live_setting) or none (never applied, or undone
# already). A host carrying a generation while the one being undone never ran here (another stack's, a state
# restored from elsewhere, a host rebuilt and applied by hand) cannot tell what this delete may undo: it stops with
# exit 5, naming what it left (the delete fails: `destroy` does not report a success that did nothing).
lemp_undo_live() {
  local have="" file=$LEMP_GENERATION_DIR/$LEMP_STEP
  [ ! -f "$file" ] || read -r have <"$file" || true
  if [ -z "${LEMP_GENERATION:-}" ] || [ "$have" = "$LEMP_GENERATION" ]; then return 0; fi
  if [ -n "$have" ] && ! grep -qxF -- "$LEMP_GENERATION" "$file.history" 2>/dev/null; then
    lemp_die 5 "this host carries generation $have of step $LEMP_STEP, and generation $LEMP_GENERATION (the one this" \
      "delete undoes) never ran here: it cannot tell what it may undo, so it undid nothing. Left on the host: the" \
      "live configuration of $LEMP_STEP (generation $have, settings in $file.env0). Undo it by hand" \
      "(scripts/undo/$LEMP_STEP.sh without LEMP_GENERATION), or leave it and take the host out of the stack with" \
      "seed-web:forget (README: removing a host)"
  fi
  lemp_log "this host carries generation '${have:-none}' of $LEMP_STEP, not $LEMP_GENERATION: the live configuration stays"
  return 1
}
lemp_undo_has_live() { [ -s "$LEMP_GENERATION_DIR/$LEMP_STEP" ]; }   # some generation of the step is live
lemp_live_setting() {   # NAME: the value the live generation of the step was created with (empty: none)
  local file=$LEMP_GENERATION_DIR/$LEMP_STEP record line
  if [ -f "$file.env0" ]; then
    while IFS= read -r -d '' record; do
      if [[ $record == "$1="* ]]; then printf '%s' "${record#*=}"; return 0; fi
    done <"$file.env0"
    return 0
  fi
  # recorded by an earlier version of these scripts: NAME=base64 lines
  line=$(grep -m1 "^$1=" "$file.env" 2>/dev/null || true)
  [ -z "$line" ] || printf '%s' "${line#*=}" | base64 -d
}
lemp_undo_skip() {   # the end of an undo that left the live configuration alone
  lemp_fact undone 0
  lemp_finish
  exit 0
}
lemp_undo_end() {   # the end of a full undo: the generation is forgotten, and the record of what was there before
  rm -f "$LEMP_GENERATION_DIR/$LEMP_STEP" "$LEMP_GENERATION_DIR/$LEMP_STEP.env0" "$LEMP_GENERATION_DIR/$LEMP_STEP.env" \
    "$LEMP_GENERATION_DIR/$LEMP_STEP.history"
  rm -f "$LEMP_STATE_DIR/before/$LEMP_STEP"
  rmdir "$LEMP_STATE_DIR/before" 2>/dev/null || true
  rmdir "$LEMP_GENERATION_DIR" 2>/dev/null || true
  lemp_fact undone 1
  lemp_finish
}

# --- what a host held before the stack came (kept) ---------------------------------------------------------------
# A step's first apply records, in $LEMP_BEFORE_DIR/<step>, what it found on the host that it would otherwise change
# or remove (ufw's state and rules, remote root accounts, a `test` database holding tables, certbot.timer enabled):
# one "KIND VALUE" line each. Later applies keep those and report each as a fact "kept=KIND VALUE" (verify reads the
# record too); what appears after the first apply is secured as usual. The undo restores what was recorded. With
# LEMP_REMOVE_PREEXISTING=1 (the stack's `removePreexisting`) the steps remove them as well, on purpose.
# A host applied by an earlier version of the steps (a generation, no record) gets an empty record: what it held
# before is not known any more.
LEMP_BEFORE_DIR=$LEMP_STATE_DIR/before
LEMP_BEFORE=""   # the record's lines (lemp_before_load)
lemp_before_load() {   # reads the step's record into $LEMP_BEFORE; exit status 1 when there is none yet
  local file=$LEMP_BEFORE_DIR/$LEMP_STEP
  LEMP_BEFORE=""
  [ -f "$file" ] || return 1
  LEMP_BEFORE=$(<"$file")
}
lemp_before_first() {   # true on the step's first apply on this host (no record, no generation)
  [ ! -f "$LEMP_BEFORE_DIR/$LEMP_STEP" ] && [ ! -s "$LEMP_GENERATION_DIR/$LEMP_STEP" ]
}
lemp_before_save() {   # stdin: the record's lines ("KIND VALUE"), given as `< <(...)` (a pipe would run it in a
  # subshell, and $LEMP_BEFORE would stay empty); bookkeeping, not counted as a change
  [ -d "$LEMP_STATE_DIR" ] || install -d -m 0700 "$LEMP_STATE_DIR"   # never change its mode (database.sh owns it)
  [ -d "$LEMP_BEFORE_DIR" ] || install -d -m 0700 "$LEMP_BEFORE_DIR"
  cat >"$LEMP_BEFORE_DIR/$LEMP_STEP.new"
  mv -f "$LEMP_BEFORE_DIR/$LEMP_STEP.new" "$LEMP_BEFORE_DIR/$LEMP_STEP"
  LEMP_BEFORE=$(<"$LEMP_BEFORE_DIR/$LEMP_STEP")
}
lemp_before_had() { [[ $'\n'"$LEMP_BEFORE"$'\n' == *$'\n'"$1 $2"$'\n'* ]]; }   # KIND VALUE: recorded?
lemp_before_has() {   # KIND VALUE: recorded before the first apply, and not to be removed?
  [ "${LEMP_REMOVE_PREEXISTING:-0}" != 1 ] && lemp_before_had "$1" "$2"
}
lemp_before_kept() {   # KIND VALUE: reported as kept (a fact, and a line on stderr)
  lemp_fact kept "$1 $2"
  lemp_log "kept: $1 $2 (here before the stack; removePreexisting removes it)"
}
lemp_before_forget() { rm -f "$LEMP_BEFORE_DIR/$LEMP_STEP"; rmdir "$LEMP_BEFORE_DIR" 2>/dev/null || true; }

lemp_service_disable_stop() {   # NAME: disabled (systemd; dropped from the boot list without) and stopped
  local name=$1
  if lemp_has_systemd; then
    if systemctl is-enabled --quiet "$name" 2>/dev/null; then
      systemctl disable --quiet "$name"
      lemp_changed "disabled $name"
    fi
    if systemctl is-active --quiet "$name"; then
      systemctl stop "$name"
      lemp_changed "stopped $name"
    fi
  else
    if grep -qxF -- "$name" "$LEMP_BOOT_SERVICES" 2>/dev/null; then
      grep -vxF -- "$name" "$LEMP_BOOT_SERVICES" >"$LEMP_BOOT_SERVICES.new" || true
      mv -f "$LEMP_BOOT_SERVICES.new" "$LEMP_BOOT_SERVICES"
      lemp_changed "disabled $name (no longer started at boot)"
    fi
    if command -v service >/dev/null && service "$name" status >/dev/null 2>&1; then
      service "$name" stop >&2
      lemp_changed "stopped $name"
    fi
  fi
}

lemp_remove_tree() {   # PATH: a directory and all it holds
  if [ -e "$1" ] || [ -L "$1" ]; then
    rm -rf -- "$1"
    lemp_changed "removed $1"
  fi
}

lemp_rmdir_empty() {   # DIR...: each removed when empty
  local d
  for d in "$@"; do
    if [ -d "$d" ] && [ -z "$(ls -A "$d")" ]; then
      rmdir "$d"
      lemp_changed "removed empty directory $d"
    fi
  done
}

lemp_purge_packages() {   # PACKAGE...: purged (with what only they needed) when LEMP_PURGE_PACKAGES=1
  local p installed=()
  [ "$LEMP_PURGE_PACKAGES" = 1 ] || return 0
  for p in "$@"; do
    if lemp_pkg_installed "$p"; then installed+=("$p"); fi
  done
  [ ${#installed[@]} -gt 0 ] || return 0
  lemp_apt_get purge --auto-remove "${installed[@]}"
  lemp_changed "purged ${installed[*]}"
}

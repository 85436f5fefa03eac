#!/usr/bin/env bash
# Step "php": PHP-FPM + the MySQL extension for the OS's PHP version, www pool sized from memory.
# Settings: LEMP_PHP_MAX_CHILDREN ("auto", the default, or a number 1-1000), LEMP_PHP_JIT (tracing, the default,
# function or off: opcache's JIT compiler, its buffer a quarter of opcache's share), the LEMP_TUNE_* of lib/tune.sh's lemp_tune.
# The pool's status page is on (pm.status_path = /fpm-status): only reachable through nginx.sh's status server
# (LEMP_STATUS_ALLOW), the site itself never passes that path to PHP-FPM.
# /etc/php/<V>/fpm/conf.d/99-seed-web.ini: expose_php = Off (no X-Powered-By header; Ubuntu's php.ini has it On).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
declare -F lemp_init >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lemp_init php
lemp_os

# The serving profile (scripts/lib/tune.sh, lemp_tune): max_children from the memory left after the system, the database
# (on a shared host) and opcache, divided by a worker's size; the queue (listen.backlog) in front of the workers.
if [ "${LEMP_PHP_MAX_CHILDREN:-auto}" != auto ]; then
  lemp_require LEMP_PHP_MAX_CHILDREN '^([1-9][0-9]{0,2}|1000)$' '"auto" or a number from 1 to 1000'
fi
LEMP_PHP_JIT=${LEMP_PHP_JIT:-tracing}
lemp_require LEMP_PHP_JIT '^(tracing|function|off)$' 'tracing, function or off'

lemp_inputs_checked   # LEMP_CHECK_ONLY=1 stops here: settings checked, nothing read from stdin, nothing changed
lemp_tune php         # (on the host: its memory, not the runner's)
max_children=$TUNE_PHP_MAX_CHILDREN
# Spare servers follow: min = max/4 (at least 1), max = max/2 (at least min), start = between the two.
min_spare=$(( max_children / 4 > 1 ? max_children / 4 : 1 ))
max_spare=$(( max_children / 2 > min_spare ? max_children / 2 : min_spare ))
start_servers=$(( (min_spare + max_spare) / 2 ))
V=$LEMP_PHP_VERSION
lemp_install_step_packages php

pool=/etc/php/$V/fpm/pool.d/www.conf
[ -f "$pool" ] || lemp_die "$pool not found after installing php$V-fpm"
# Set each key on its first uncommented line (dropping duplicates), append the ones that are missing.
awk -v kv="pm=dynamic;pm.max_children=$max_children;pm.start_servers=$start_servers;pm.min_spare_servers=$min_spare;pm.max_spare_servers=$max_spare;pm.max_requests=$TUNE_PHP_MAX_REQUESTS;listen.backlog=$TUNE_PHP_BACKLOG;request_terminate_timeout=${TUNE_PHP_TERMINATE_S}s;pm.status_path=/fpm-status" '
  BEGIN { n = split(kv, pairs, ";"); for (i = 1; i <= n; i++) { split(pairs[i], p, "="); val[p[1]] = p[2]; order[i] = p[1] } }
  {
    line = $0; key = line; sub(/[ \t]*=.*/, "", key); sub(/^[ \t]+/, "", key)
    if (line ~ /^[ \t]*[a-z._]+[ \t]*=/ && (key in val)) {
      if (!(key in done)) { print key " = " val[key]; done[key] = 1 }
      next
    }
    print
  }
  END { for (i = 1; i <= n; i++) if (!(order[i] in done)) print order[i] " = " val[order[i]] }
' "$pool" >"$pool.lemp-new"
lemp_write_file "$pool" 0644 root:root <"$pool.lemp-new"   # not in a pipe: lemp_write_file counts in this shell
rm -f "$pool.lemp-new"
pool_changed=$LEMP_WROTE
# opcache's JIT (LEMP_PHP_JIT): compiled code in a buffer of its own beside the opcode cache, shared by the workers
# (bench:serve's CPU-bound page runs in about half the time); "off" writes nothing, the packages' default (no buffer)
jit_ini() {
  [ "$LEMP_PHP_JIT" = off ] && return 0
  printf '%s\n' "; the JIT compiler, its buffer a quarter of opcache's $TUNE_OPCACHE_MB MB" \
    "opcache.jit = $LEMP_PHP_JIT" "opcache.jit_buffer_size = ${TUNE_PHP_JIT_MB}M"
}
lemp_write_file "/etc/php/$V/fpm/conf.d/99-seed-web.ini" 0644 root:root <<INI
; Managed by seed-web (scripts/php.sh): changes here are overwritten.
; no X-Powered-By header (the PHP version) on the responses
expose_php = Off
; profile: pm.max_children = $max_children ($TUNE_MEM_MB MB, $TUNE_CPUS CPUs; npm run verify compares the pool with it)
; opcache sized by the serving profile (scripts/lib/tune.sh, lemp_tune); timestamps checked every 2 s, so a deploy's new
; files are picked up without a restart
opcache.enable = 1
opcache.memory_consumption = $((TUNE_OPCACHE_MB - TUNE_PHP_JIT_MB))
opcache.interned_strings_buffer = 16
opcache.max_accelerated_files = 20000
opcache.validate_timestamps = 1
opcache.revalidate_freq = 2
$(jit_ini)
INI
[ "$LEMP_WROTE" = 0 ] || pool_changed=1
# process_control_timeout (php-fpm.conf's [global]): a reload waits this long for in-flight requests
fpm_conf=/etc/php/$V/fpm/php-fpm.conf
if [ -f "$fpm_conf" ]; then
  sed -E "s/^[;[:space:]]*process_control_timeout[[:space:]]*=.*/process_control_timeout = ${TUNE_PHP_CONTROL_S}s/" "$fpm_conf" >"$fpm_conf.lemp-new"
  grep -q '^process_control_timeout = ' "$fpm_conf.lemp-new" ||
    awk -v l="process_control_timeout = ${TUNE_PHP_CONTROL_S}s" '{ print } /^\[global\]/ { print l }' "$fpm_conf" >"$fpm_conf.lemp-new"
  lemp_write_file "$fpm_conf" 0644 root:root <"$fpm_conf.lemp-new"
  rm -f "$fpm_conf.lemp-new"
  [ "$LEMP_WROTE" = 0 ] || pool_changed=1
fi
lemp_tune_sysctl

# The test, when a file changed (what the restart would load) or PHP-FPM does not run (what a start would load): with
# neither, the running PHP-FPM has these files already, and the test would cost a sixth of an apply's time.
if [ "$pool_changed" = 1 ] || ! lemp_service_running "$LEMP_PHP_FPM_SERVICE"; then
  php-fpm"$V" -t >/dev/null 2>&1 || { php-fpm"$V" -t >&2 || true; lemp_die "php-fpm$V configuration test failed"; }
fi
lemp_service_enable_start "$LEMP_PHP_FPM_SERVICE"
if [ "$pool_changed" = 1 ] && [ "$LEMP_STARTED" = 0 ]; then lemp_service_restart "$LEMP_PHP_FPM_SERVICE"; fi

lemp_fact php_version "$V"
lemp_fact php_socket "$LEMP_PHP_SOCKET"
lemp_fact php_max_children "$max_children"
lemp_fact php_listen_backlog "$TUNE_PHP_BACKLOG"
lemp_fact opcache_mb "$TUNE_OPCACHE_MB"
lemp_fact php_jit "$LEMP_PHP_JIT"
lemp_tune_report
lemp_finish

# --- the tuning profile ----------------------------------------------------------------------------------------
# lemp_tune: the serving profile of this host, computed from its CPUs and memory, in one place (the PHP, Nginx,
# database and balancer steps all call it, so they agree; test/unit/tune.test.ts runs it at the edges). Sets TUNE_*.
# Inputs (each "auto" unless the config sets it; README "Performance"):
#   LEMP_TUNE_SHARED       1 when this host runs both PHP and the database (the database's share is set aside first)
#   LEMP_TUNE_WEB_HOSTS    how many web hosts connect to the database (for max_connections)
#   LEMP_PHP_MAX_CHILDREN  auto | 1-1000      LEMP_TUNE_PHP_WORKER_MB  MB one PHP-FPM worker takes (default 48:
#                                              PHP 8.2 with opcache, measured RSS of the demo app's workers ~30-40 MB)
#   LEMP_DB_BUFFER_POOL_MB auto | 64-1048576  LEMP_TUNE_MEM_MB / LEMP_TUNE_CPUS (what the host is taken to have)
#   LEMP_TUNE_NOFILE_MAX   (a test) the open files nginx's unit may have, instead of lemp_nofile_max's reading
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
#   nginx     worker_connections = clamp(4 x memory, children x 16 + 1024, 16384); worker_rlimit_nofile = 2 x that
#               + 1024; where that is more than the unit may have, the limit itself, and the connections what it leaves
#               (2 each, after a third of it or 1024 for files)
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
  # a worker's connections: the clients' (mostly idle keep-alive ones) and PHP's, 4 per MB of memory, at least
  # children x 16 + 1024; a worker out of connections closes idle keep-alive ones under the clients' feet (resets:
  # wrk -c3000 at 1664 per worker gave 1888 read errors, at 8192 none)
  TUNE_NGINX_WORKER_CONNECTIONS=$(lemp_clamp $((mem * 4 > TUNE_PHP_MAX_CHILDREN * 16 + 1024 ? mem * 4 : TUNE_PHP_MAX_CHILDREN * 16 + 1024)) 1024 16384)
  TUNE_NGINX_QUEUE=$((TUNE_PHP_MAX_CHILDREN + TUNE_PHP_BACKLOG / 2))
  TUNE_NGINX_NOFILE=$((TUNE_NGINX_WORKER_CONNECTIONS * 2 + 1024))   # a worker's descriptors: 2 per proxied request + files
  # no more than the unit may have (lemp_nofile_max): past it, fewer connections, the files' share at most a third
  TUNE_NOFILE_MAX=$(lemp_nofile_max nginx)
  if [ "$TUNE_NGINX_NOFILE" -gt "$TUNE_NOFILE_MAX" ]; then
    TUNE_NGINX_NOFILE=$TUNE_NOFILE_MAX
    TUNE_NGINX_WORKER_CONNECTIONS=$(( (TUNE_NOFILE_MAX - (TUNE_NOFILE_MAX / 3 < 1024 ? TUNE_NOFILE_MAX / 3 : 1024)) / 2 ))
  fi
  TUNE_SOMAXCONN=4096
  TUNE_DB_MAX_CONNECTIONS=$(lemp_clamp $(( 2 * ${LEMP_TUNE_WEB_HOSTS:-1} * ceiling + 10 )) 50 5000)
}

lemp_tune_report() {   # the profile as facts (stdout) and one log line
  lemp_fact tune_mem_mb "$TUNE_MEM_MB"
  lemp_fact tune_cpus "$TUNE_CPUS"
  lemp_log "profile: ${TUNE_MEM_MB} MB, ${TUNE_CPUS} CPUs: php max_children=$TUNE_PHP_MAX_CHILDREN (${TUNE_PHP_WORKER_MB} MB each) backlog=$TUNE_PHP_BACKLOG opcache=${TUNE_OPCACHE_MB}M (jit ${TUNE_PHP_JIT_MB}M); nginx worker_connections=$TUNE_NGINX_WORKER_CONNECTIONS nofile=$TUNE_NGINX_NOFILE (of $TUNE_NOFILE_MAX) queue=$TUNE_NGINX_QUEUE; db buffer_pool=${TUNE_DB_BUFFER_POOL_MB}M max_connections=$TUNE_DB_MAX_CONNECTIONS; somaxconn=$TUNE_SOMAXCONN"
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


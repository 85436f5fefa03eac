# --- the host: its memory and CPUs (the platform data, lemp_os and its kin, is scripts/platform.sh's: the program
# sends it before the library, and ../lib.sh sources it first when a step runs by hand) -----------------------------

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

# Open files a service's processes may have at most: their hard limit, which a process not privileged cannot raise (nginx's
# worker_rlimit_nofile above it fails, "setrlimit(RLIMIT_NOFILE) failed", and its workers keep the soft 1024). systemd
# gives a unit its LimitNOFILE (Debian's default hard limit 524288), but not more than PID 1 holds where PID 1 cannot
# raise its own (a container, or a test host booted by a shell with a lower limit: bench:serve's host got 20000, and
# its nginx answered 2053 x 500 "Too many open files" under overload); LEMP_TUNE_NOFILE_MAX replaces it, for a test.
lemp_nofile_max() {   # $1 = the unit (nginx)
  if [ "${LEMP_TUNE_NOFILE_MAX:-auto}" != auto ]; then
    [[ $LEMP_TUNE_NOFILE_MAX =~ ^[1-9][0-9]{2,7}$ ]] || lemp_die "LEMP_TUNE_NOFILE_MAX: expected auto or a number of files (100-99999999)"
    echo "$LEMP_TUNE_NOFILE_MAX"; return 0
  fi
  local max=1048576 name f1 f2 hard unit="" limits=${LEMP_PROC1_LIMITS:-/proc/1/limits}
  # /proc/1/limits: "Max open files            1024                 524288               files"
  if [ -r "$limits" ]; then
    while read -r name f1 f2 _ hard _; do
      if [ "$name $f1 $f2" = "Max open files" ] && [[ $hard =~ ^[0-9]{1,9}$ ]] && [ "$hard" -lt "$max" ]; then max=$hard; fi
    done <"$limits"
  fi
  if [ -d /run/systemd/system ] && [ -n "${1:-}" ]; then
    unit=$(systemctl show -p LimitNOFILE --value "$1" 2>/dev/null || true)
    if [[ $unit =~ ^[0-9]{1,9}$ ]] && [ "$unit" -lt "$max" ]; then max=$unit; fi
  fi
  echo "$max"
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


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


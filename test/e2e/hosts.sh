#!/usr/bin/env bash
# Real SSH test hosts for the end-to-end tests: a Debian root filesystem per host (SUITE, default 12 bookworm), booted in its own
# network namespace (address on the private bridge br-lemp, 10.200.0.0/24) and its own PID/mount/UTS/IPC/cgroup
# namespaces, with systemd as PID 1, a real sshd and key authentication as root.
# Adopted from a tested reference script; owned by this project (nothing here reads outside the repo but $STATE/$CACHE).
#
#   hosts.sh deps                 # apt-get install what the runner needs (debootstrap, socat, shellcheck, clients...)
#   hosts.sh net-up               # bridge br-lemp 10.200.0.1/24 + relay to the runner's Debian mirror
#   hosts.sh up    NAME IP        # e.g. up t1 10.200.0.2 (builds or unpacks the rootfs if needed, reuses an existing one)
#   hosts.sh cache                # build the cached rootfs of SUITE (WARM=1: the warm one) if missing, boot nothing
#   hosts.sh stop  NAME           # power off, keep the rootfs (alias: down)
#   hosts.sh start NAME           # boot again on the address of the last "up" (services come back)
#   hosts.sh ssh   NAME|IP [CMD...]   # ssh as root with the test key
#   hosts.sh destroy NAME         # stop + remove the host's rootfs
#   hosts.sh net-down             # stop the relay, delete the bridge
#   hosts.sh clean                # remove leftovers of a crashed run: lemp-* namespaces, bridge, relay, rootfs dirs
#
# WARM=1 boots a host from a second cached rootfs in which the packages of every provisioning step are already
# installed, with their services disabled and stopped (the state `destroy` leaves without purgePackages): the steps
# then skip apt and converge from there. Package installs are most of the e2e suite's time (each host's apt
# transaction costs about a minute alone, two to three with others in parallel), so the tests that are not about
# installing use warm hosts; the seed design's tests keep cold hosts, where the steps install everything themselves.
#
# CPU_QUOTA=N with "up" holds the host to N % of one CPU (1-800; N=50: half a CPU), the way a cloud VM's vCPU share
# or `docker run --cpus` does: the host's every process in a cgroup of its own (/sys/fs/cgroup[/cpu]/lemp-NAME, v1's cpu
# controller or v2's cpu.max), entered before the host's PID 1 starts. Remembered like INIT; removed when the host
# stops. bench:scale gives each web host the same share of the runner's CPUs. The host still counts the runner's CPUs
# (getconf): a quota is not a CPU count.
#
# NOFILE=N with "up" boots the host with N as its open-files limit (soft and hard; 1024 up to this shell's own hard
# limit), the way a container's runtime sets one: its PID 1 cannot raise it, so no service may have more. Remembered
# like INIT. serve.test.ts boots its web host with less than the profile of 2048 MB asks for nginx.
#
# SUITE=trixie (Debian 13) or SUITE=sid (unstable: Oracle MySQL) with "up" picks the release: one cached rootfs tarball
# per suite, and the host's apt sources follow its suite. The SUITE of a host is remembered like its INIT.
#
# INIT=simple boots the project's own docker/entrypoint.sh as PID 1 instead of systemd (copied into the rootfs at
# every boot): like the Docker host, services go through "service X start" and come back at boot only through the
# entrypoint; "stop" sends it SIGTERM, as `docker stop` does.
# The INIT of a host is remembered, so stop/start/down use the mode the host was booted with.
#
# Traffic: the hosts have no route off the bridge and no DNS. Their /etc/hosts points the Debian mirror at the
# bridge address, where a socat relay forwards port 80 to that mirror: the only traffic that leaves the runner.
set -euo pipefail

STATE=${STATE:-/tmp/lemp-targets}                               # rootfs per host, key, pids, logs
SUITE=${SUITE:-bookworm}                                        # Debian release of a new host
case "$SUITE" in bookworm | trixie | sid) ;; *) echo "[hosts] error: SUITE must be bookworm, trixie or sid, not '$SUITE'" >&2; exit 1 ;; esac
CACHE=${CACHE:-/var/cache/lemp-target/$SUITE-sd.tar.zst}        # rootfs tarball per suite, outside the repo
WARM_CACHE=${WARM_CACHE:-${CACHE%.tar.zst}-warm.tar.zst}           # the same with every step's packages (WARM=1)
SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/scripts   # the provisioning scripts (package lists)
# The hosts use the runner's own Debian mirror, read from its apt sources (deb822 or one-line format).
SOURCES=${SOURCES:-$(ls /etc/apt/sources.list.d/debian.sources 2>/dev/null || echo /etc/apt/sources.list)}
BR=br-lemp
BR_IP=10.200.0.1
PREFIX=24
KEY=$STATE/id_ed25519
ENTRYPOINT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/docker/entrypoint.sh   # PID 1 with INIT=simple
SSH_OPTS=(-i "$KEY" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
  -o LogLevel=ERROR -o ConnectTimeout=3)

log() { printf '[hosts] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

mirror_urls() {
  sed -n -e 's/^URIs:[[:space:]]*//p' \
    -e 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]\+\).*/\2/p' "$SOURCES" |
    tr ' ' '\n' | grep -E '^https?://'
}
mirror() {
  if [ -n "${MIRROR:-}" ]; then printf '%s\n' "$MIRROR"; else mirror_urls | grep -v -- '-security' | head -n 1; fi
}
mirror_host() { mirror | sed -E 's#^[a-z]+://([^/:]+).*#\1#'; }

valid_name() { [[ $1 =~ ^[a-z0-9][a-z0-9-]{0,10}$ ]] || die "bad host name '$1' (a-z0-9-, at most 11 chars)"; }
valid_ip() { [[ $1 =~ ^10\.200\.0\.([2-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-4])$ ]] || die "address '$1' not in 10.200.0.2-254"; }

deps() {
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    debootstrap openssh-client iproute2 socat zstd ca-certificates curl default-mysql-client shellcheck docker.io
}

relay_pid() {   # PID of a live relay, from the pid file or from the listener on BR_IP:80 (a crashed run's leftover)
  local pid=""
  if [ -f "$STATE/socat.pid" ]; then pid=$(cat "$STATE/socat.pid"); fi
  if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = socat ]; then echo "$pid"; return 0; fi
  pid=$(ss -Htlnp "src $BR_IP and sport = :80" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2)
  if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = socat ]; then echo "$pid"; return 0; fi
  return 1
}

net_up() {
  mkdir -p "$STATE"
  [ -f "$KEY" ] || ssh-keygen -q -t ed25519 -N '' -C lemp-e2e -f "$KEY"
  if ! ip link show "$BR" >/dev/null 2>&1; then
    ip link add "$BR" type bridge
    ip addr add "$BR_IP/$PREFIX" dev "$BR"
    ip link set "$BR" up
  fi
  if ! relay_pid >/dev/null; then
    local host
    host=$(mirror_host)
    [ -n "$host" ] || die "no Debian mirror found in $SOURCES"
    socat "TCP-LISTEN:80,bind=$BR_IP,reuseaddr,fork" "TCP:$host:80" </dev/null >"$STATE/socat.log" 2>&1 &
    echo $! >"$STATE/socat.pid"
  fi
}

net_down() {
  local pid
  if pid=$(relay_pid); then kill "$pid" 2>/dev/null || true; fi
  rm -f "$STATE/socat.pid"
  ip link del "$BR" 2>/dev/null || true
}

make_rootfs() {   # $1 = dir
  local R=$1 lock=""
  if [ "${WARM:-0}" = 1 ]; then warm_rootfs "$R"; return; fi
  mkdir -p "$R"
  if [ ! -f "$CACHE" ] && [ -n "$CACHE" ] && mkdir -p "$(dirname "$CACHE")" 2>/dev/null; then
    exec {lock}>"$CACHE.lock"   # hosts of one suite booted together: one debootstrap, the others wait for its cache
    flock "$lock"
  fi
  if [ -f "$CACHE" ]; then
    log "extracting cached rootfs $CACHE"
    tar -C "$R" --numeric-owner --zstd -xpf "$CACHE"
  else
    log "debootstrap $SUITE (about 45 s)"
    if ! debootstrap --variant=minbase --include=openssh-server,systemd,systemd-sysv,dbus \
      "$SUITE" "$R" "$(mirror)" >"$R.debootstrap.log" 2>&1; then
      tail -20 "$R.debootstrap.log" >&2
      return 1
    fi
    rm -f "$R"/var/cache/apt/archives/*.deb
    if [ -n "$CACHE" ] && mkdir -p "$(dirname "$CACHE")" 2>/dev/null; then
      if tar -C "$R" --numeric-owner --exclude='./var/lib/apt/lists/*' -cpf - . |
        zstd -q -T0 -3 -o "$CACHE.tmp" -f; then
        mv "$CACHE.tmp" "$CACHE"
      else
        rm -f "$CACHE.tmp"
      fi
    fi
  fi
  if [ -n "${lock:-}" ]; then exec {lock}>&-; fi   # not inherited by the host's processes
  rm -f "$R"/etc/ssh/ssh_host_*
  chroot "$R" ssh-keygen -q -A                     # unique host keys per host
}

# The packages every step installs on this rootfs's OS, from the scripts' own list (lemp_step_packages, platform.sh).
step_packages() {   # $1 = rootfs dir
  local steps='base firewall php nginx database lb certbot monitoring backup' list
  rm -rf "$1/tmp/lemp-scripts"
  install -d "$1/tmp/lemp-scripts/lib"
  install -m 644 "$SCRIPTS/platform.sh" "$SCRIPTS/lib.sh" "$1/tmp/lemp-scripts/"
  install -m 644 "$SCRIPTS"/lib/*.sh "$1/tmp/lemp-scripts/lib/"
  # shellcheck disable=SC2016  # expanded by the chroot's bash
  list=$(chroot "$1" /bin/bash -c '. /tmp/lemp-scripts/lib.sh; lemp_os; for s in $0; do lemp_step_packages "$s"; done' "$steps")
  rm -rf "$1/tmp/lemp-scripts"
  [ -n "$list" ] || die "no package list from $SCRIPTS/platform.sh"
  # shellcheck disable=SC2086  # a list of words
  printf '%s\n' $list | sort -u | tr '\n' ' '
}

# A warm rootfs (WARM=1): the cold one plus every step's packages, services disabled and not started. Built once,
# under a lock (hosts boot in parallel), and cached next to the cold one.
warm_rootfs() {   # $1 = dir
  local R=$1 packages unit
  mkdir -p "$(dirname "$WARM_CACHE")"
  (
    flock 9
    if [ ! -f "$WARM_CACHE" ]; then
      WARM=0 make_rootfs "$R"
      packages=$(step_packages "$R")
      log "warm rootfs: installing $packages"
      cp /etc/resolv.conf "$R/etc/resolv.conf"                 # the runner reaches the mirror itself
      configure_sources "$R"
      printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d"    # no service starts in the chroot
      chmod 755 "$R/usr/sbin/policy-rc.d"
      chroot "$R" systemctl list-unit-files --state=enabled --no-legend | awk '{print $1}' | sort >"$R.units.before"
      mount -t proc proc "$R/proc"
      mount --bind /dev "$R/dev"
      # shellcheck disable=SC2086  # a list of package names
      if ! chroot "$R" /usr/bin/env DEBIAN_FRONTEND=noninteractive /bin/bash -c \
        "apt-get -q update && apt-get -q -y --no-install-recommends install $packages" >"$R.warm.log" 2>&1; then
        umount "$R/dev" "$R/proc"
        tail -20 "$R.warm.log" >&2
        exit 1
      fi
      umount "$R/dev" "$R/proc"
      # every unit the install enabled: disabled, as on a host where the step was never run or was undone
      chroot "$R" systemctl list-unit-files --state=enabled --no-legend | awk '{print $1}' | sort >"$R.units.after"
      for unit in $(comm -13 "$R.units.before" "$R.units.after"); do chroot "$R" systemctl disable --quiet "$unit"; done
      rm -f "$R.units.before" "$R.units.after"
      rm -f "$R/usr/sbin/policy-rc.d" "$R"/var/cache/apt/archives/*.deb
      : >"$R/etc/resolv.conf"
      if tar -C "$R" --numeric-owner --exclude='./var/lib/apt/lists/*' -cpf - . |
        zstd -q -T0 -3 -o "$WARM_CACHE.tmp" -f; then
        mv "$WARM_CACHE.tmp" "$WARM_CACHE"
      else
        rm -f "$WARM_CACHE.tmp"
        die "could not write $WARM_CACHE"
      fi
    else
      mkdir -p "$R"
      log "extracting cached warm rootfs $WARM_CACHE"
      tar -C "$R" --numeric-owner --zstd -xpf "$WARM_CACHE"
    fi
  ) 9>"$WARM_CACHE.lock"
  rm -f "$R"/etc/ssh/ssh_host_*
  chroot "$R" ssh-keygen -q -A
}

configure_rootfs() {   # $1 = dir, $2 = name, $3 = ip  (every boot: the address may differ from the last one)
  local R=$1 NAME=$2 IP=$3 host
  host=$(mirror_host)
  install -d -m 700 "$R/root/.ssh"
  install -m 600 "$KEY.pub" "$R/root/.ssh/authorized_keys"
  echo "$NAME" >"$R/etc/hostname"
  cat >"$R/etc/hosts" <<EOF
127.0.0.1 localhost
::1 localhost ip6-localhost ip6-loopback
$IP $NAME
# the runner's Debian mirror, through the relay on the bridge address
$BR_IP $host
EOF
  configure_sources "$R"
  : >"$R/etc/resolv.conf"                          # no DNS: lookups fail at once instead of timing out
  echo 'LANG=C.UTF-8' >"$R/etc/default/locale"
  printf 'PermitRootLogin prohibit-password\nPasswordAuthentication no\nUseDNS no\n' \
    >"$R/etc/ssh/sshd_config.d/ci.conf"
}

# the runner's own apt sources (same mirror host, same suites); another suite: the same mirror, that suite
configure_sources() {   # $1 = dir
  local R=$1 host
  host=$(mirror_host)
  rm -f "$R/etc/apt/sources.list"
  mkdir -p "$R/etc/apt/sources.list.d"
  if [ "$SUITE" != bookworm ]; then
    suite_sources >"$R/etc/apt/sources.list.d/debian.sources"
  elif [ "${SOURCES##*.}" = sources ]; then
    cp "$SOURCES" "$R/etc/apt/sources.list.d/debian.sources"
  else
    grep -F "$host" "$SOURCES" >"$R/etc/apt/sources.list"
  fi
}

suite_sources() {   # deb822 sources of $SUITE on the runner's mirror (sid has no -updates nor -security suite)
  local security
  if [ "$SUITE" = sid ]; then
    # sid's Release file is valid for a week only; the mirror may serve a dated copy of the archive
    printf 'Types: deb\nURIs: %s\nSuites: sid\nComponents: main\nCheck-Valid-Until: no\n' "$(mirror)"
  else
    printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\n' "$(mirror)" "$SUITE" "$SUITE"
    security=$(mirror_urls | grep -- '-security' | head -n 1 || true)
    if [ -n "$security" ]; then
      printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\n' "$security" "$SUITE"
    fi
  fi
}

# PID 1 programs, run by the boot shell below with $R set (single quotes on purpose: expanded there, not here).
# shellcheck disable=SC2016
PID1_SYSTEMD='exec chroot "$R" /lib/systemd/systemd --log-target=console'
# shellcheck disable=SC2016
PID1_SIMPLE='exec chroot "$R" /usr/local/sbin/seed-web-entrypoint'

# The boot shell: runs inside the new namespaces, mounts what the host needs, then execs PID 1.
# shellcheck disable=SC2016
BOOT='
  hostname "$NAME"
  mount --bind "$R" "$R"
  mount -t proc proc "$R/proc"
  mount --bind "$R/proc/sys" "$R/proc/sys"; mount -o remount,bind,ro "$R/proc/sys"              # runner-wide: ro
  mount --bind "$R/proc/sys/net" "$R/proc/sys/net"; mount -o remount,bind,rw "$R/proc/sys/net"  # per-netns: rw
  mount -t sysfs -o ro sysfs "$R/sys"
  mount -t cgroup2 cgroup2 "$R/sys/fs/cgroup"
  mount -t tmpfs -o mode=755,size=256m tmpfs "$R/run"
  mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"
  mount -t tmpfs -o mode=755,size=1m tmpfs "$R/dev"
  for d in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
    IFS=: read -r n ma mi <<<"$d"; mknod -m 666 "$R/dev/$n" c "$ma" "$mi"; done
  mkdir -m 755 "$R/dev/pts"; mkdir -m 1777 "$R/dev/shm"
  mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts "$R/dev/pts"
  mount -t tmpfs -o mode=1777 tmpfs "$R/dev/shm"
  ln -s pts/ptmx "$R/dev/ptmx"; ln -s /proc/self/fd "$R/dev/fd"
  ln -s /proc/self/fd/0 "$R/dev/stdin"; ln -s /proc/self/fd/1 "$R/dev/stdout"; ln -s /proc/self/fd/2 "$R/dev/stderr"
  mkdir -p "$R/run/sshd" "$R/run/lock"
'

# --- CPU quota (CPU_QUOTA) ---------------------------------------------------------------------------------------
cpu_cgroup() {   # $1 = name: the host's cpu cgroup directory (v1's cpu controller, or the v2 unified tree)
  if [ -d /sys/fs/cgroup/cpu ] && [ -f /sys/fs/cgroup/cpu/cpu.cfs_period_us ]; then echo "/sys/fs/cgroup/cpu/lemp-$1"
  elif [ -f /sys/fs/cgroup/cgroup.controllers ]; then echo "/sys/fs/cgroup/lemp-$1"
  else die "CPU_QUOTA: no cgroup cpu controller on this runner (neither v1's /sys/fs/cgroup/cpu nor cgroup v2)"; fi
}

cpu_quota_make() {   # $1 = name, $2 = percent of one CPU: creates the cgroup with its limit, prints its directory
  local cg period=100000 quota
  { [[ $2 =~ ^[1-9][0-9]{0,2}$ ]] && [ "$2" -le 800 ]; } || die "CPU_QUOTA must be a percent of one CPU from 1 to 800, not '$2'"
  quota=$((period * $2 / 100))
  cg=$(cpu_cgroup "$1")
  mkdir -p "$cg"
  if [ -f "$cg/cpu.cfs_quota_us" ]; then
    echo "$period" >"$cg/cpu.cfs_period_us"
    echo "$quota" >"$cg/cpu.cfs_quota_us"
  else
    grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control || echo +cpu >/sys/fs/cgroup/cgroup.subtree_control
    echo "$quota $period" >"$cg/cpu.max"
  fi
  echo "$cg"
}

cpu_quota_remove() {   # $1 = name: the host's cgroup, once its processes are gone (nothing if it never had one)
  local cg _
  cg=$(cpu_cgroup "$1" 2>/dev/null) || return 0
  [ -d "$cg" ] || return 0
  for _ in $(seq 1 50); do rmdir "$cg" 2>/dev/null && return 0; sleep 0.1; done
  log "warning: $cg still has processes; left in place"
}

up() {   # $1 = name, $2 = ip
  [ $# -eq 2 ] || die "usage: up NAME IP"
  local NAME=$1 IP=$2 init=${INIT:-systemd}
  valid_name "$NAME"
  valid_ip "$IP"
  local R=$STATE/$NAME/rootfs NS=lemp-$NAME VH=vl-$NAME
  case "$init" in systemd | simple) ;; *) die "INIT must be systemd or simple, not '$init'" ;; esac
  if ip netns list | grep -qw "$NS"; then die "$NAME is already up (netns $NS exists); stop it first"; fi
  net_up
  if [ ! -x "$R/usr/sbin/sshd" ]; then make_rootfs "$R"; else log "reusing rootfs $R"; fi
  configure_rootfs "$R" "$NAME" "$IP"
  echo "$IP" >"$STATE/$NAME/ip"
  echo "$init" >"$STATE/$NAME/init"
  echo "$SUITE" >"$STATE/$NAME/suite"
  local cg=""
  if [ -n "${CPU_QUOTA:-}" ]; then cg=$(cpu_quota_make "$NAME" "$CPU_QUOTA"); echo "$CPU_QUOTA" >"$STATE/$NAME/cpu-quota"
  else rm -f "$STATE/$NAME/cpu-quota"; fi
  if [ -n "${NOFILE:-}" ]; then
    local hard; hard=$(ulimit -Hn)
    { [[ $NOFILE =~ ^[1-9][0-9]{3,6}$ ]] && [ "$NOFILE" -ge 1024 ] && { [ "$hard" = unlimited ] || [ "$NOFILE" -le "$hard" ]; }; } ||
      die "NOFILE must be a number of files from 1024 to this shell's hard limit ($hard), not '$NOFILE'"
    echo "$NOFILE" >"$STATE/$NAME/nofile"
  else rm -f "$STATE/$NAME/nofile"; fi
  ip netns add "$NS"
  ip link add "$VH" type veth peer name eth0 netns "$NS"
  ip link set "$VH" master "$BR" up
  ip -n "$NS" link set lo up
  ip -n "$NS" addr add "$IP/$PREFIX" dev eth0
  ip -n "$NS" link set eth0 up
  local pid1=$PID1_SYSTEMD
  if [ "$init" = simple ]; then
    pid1=$PID1_SIMPLE
    install -D -m 0755 "$ENTRYPOINT" "$R/usr/local/sbin/seed-web-entrypoint"
  fi
  # unshare --kill-child: SIGKILL to unshare => SIGKILL to the host's PID 1 => the whole PID namespace dies.
  # The shell in front sets the open-files limit (NOFILE) and enters the host's CPU cgroup (CPU_QUOTA) first, before
  # `ip netns exec` (which mounts a /sys of its own, without the cgroup trees): every process of the host is born in it.
  # shellcheck disable=SC2016  # $$ and $CG are that shell's own
  CG="$cg" NF="${NOFILE:-}" /bin/sh -c '[ -z "$CG" ] || echo $$ >"$CG/cgroup.procs"; [ -z "$NF" ] || ulimit -n "$NF"; exec "$@"' cg ip netns exec "$NS" \
    unshare --pid --fork --mount --uts --ipc --cgroup --propagation private --kill-child \
    env -i R="$R" NAME="$NAME" container=other PATH=/usr/sbin:/usr/bin:/sbin:/bin TERM=dumb \
    /bin/bash -euc "$BOOT$pid1" </dev/null >"$STATE/$NAME.console.log" 2>&1 &
  echo $! >"$STATE/$NAME.pid"
  local _
  for _ in $(seq 1 150); do
    if ssh "${SSH_OPTS[@]}" "root@$IP" true 2>/dev/null; then log "$NAME up at $IP (init=$init)"; return 0; fi
    sleep 0.2
  done
  log "$NAME did not come up"
  cat "$STATE/$NAME.console.log" >&2
  return 1
}

kill_netns() {   # $1 = netns: SIGKILL every process left inside it (by PID, nothing else), then delete it
  local ns=$1 _ left=()
  for _ in $(seq 1 50); do
    mapfile -t left < <(ip netns pids "$ns" 2>/dev/null || true)
    [ ${#left[@]} -eq 0 ] && break
    kill -KILL "${left[@]}" 2>/dev/null || true
    sleep 0.1
  done
  ip netns del "$ns" 2>/dev/null || true          # removes the veth pair too
}

down() {   # $1 = name; keeps $STATE/NAME/rootfs
  [ $# -eq 1 ] || die "usage: down NAME"
  local NAME=$1 NS=lemp-$1 IP init _
  valid_name "$NAME"
  init=$(cat "$STATE/$NAME/init" 2>/dev/null || echo "${INIT:-systemd}")
  IP=$(ip -n "$NS" -4 -o addr show dev eth0 2>/dev/null | awk '{print $4}' | cut -d/ -f1) || true
  if [ -n "${IP:-}" ]; then                        # graceful: let services stop (systemd) / stop them (simple)
    if [ "$init" = systemd ]; then
      # bounded: on a loaded runner the session of a shutting-down host was seen to hang for minutes (the host is
      # killed below anyway)
      timeout 60 ssh "${SSH_OPTS[@]}" "root@$IP" 'systemctl poweroff' 2>/dev/null || true
      for _ in $(seq 1 100); do [ -z "$(ip netns pids "$NS" 2>/dev/null)" ] && break; sleep 0.1; done
    else                                           # the entrypoint stops its services on SIGTERM, then exits
      ssh "${SSH_OPTS[@]}" "root@$IP" 'kill -TERM 1' >/dev/null 2>&1 || true
      for _ in $(seq 1 300); do [ -z "$(ip netns pids "$NS" 2>/dev/null)" ] && break; sleep 0.1; done
    fi
  fi
  if [ -f "$STATE/$NAME.pid" ]; then kill -KILL "$(cat "$STATE/$NAME.pid")" 2>/dev/null || true; fi
  rm -f "$STATE/$NAME.pid"
  kill_netns "$NS"
  cpu_quota_remove "$NAME"
  log "$NAME down"
}

start() {   # $1 = name: boot again with the address and init of the last "up"
  [ $# -eq 1 ] || die "usage: start NAME"
  local ip
  ip=$(cat "$STATE/$1/ip" 2>/dev/null) || die "$1 has never been up (no $STATE/$1/ip)"
  INIT=$(cat "$STATE/$1/init" 2>/dev/null || echo "${INIT:-systemd}") \
    SUITE=$(cat "$STATE/$1/suite" 2>/dev/null || echo bookworm) \
    CPU_QUOTA=$(cat "$STATE/$1/cpu-quota" 2>/dev/null || true) NOFILE=$(cat "$STATE/$1/nofile" 2>/dev/null || true) up "$1" "$ip"
}

destroy() {   # $1 = name
  [ $# -eq 1 ] || die "usage: destroy NAME"
  valid_name "$1"
  down "$1"
  remove_host_dir "$STATE/$1"
}

remove_host_dir() {   # refuse to remove a rootfs that still has something mounted in it
  local d=$1
  [ -d "$d" ] || return 0
  if grep -qF " $d/" /proc/self/mountinfo; then die "$d still has mounts; not removing it"; fi
  rm -rf --one-file-system "$d"
  rm -f "$d.console.log"
}

clean() {
  local ns d
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^lemp-' || true); do
    log "killing what is left in netns $ns"
    kill_netns "$ns"
    cpu_quota_remove "${ns#lemp-}"
  done
  rm -f "$STATE"/*.pid
  net_down
  if [ -d "$STATE" ]; then
    for d in "$STATE"/*/; do
      d=${d%/}
      [ -d "$d/rootfs" ] || continue
      log "removing $d"
      remove_host_dir "$d"
    done
  fi
  log "clean"
}

cache() {   # the rootfs tarball of SUITE (and WARM) without booting a host: e.g. for the Docker test's base image
  local f=$CACHE d
  if [ "${WARM:-0}" = 1 ]; then f=$WARM_CACHE; fi
  if [ -f "$f" ]; then log "cached: $f"; return 0; fi
  mkdir -p "$STATE"
  d=$(mktemp -d "$STATE/.cache-build.XXXXXX")
  make_rootfs "$d/rootfs"
  remove_host_dir "$d"
  log "cached: $f"
}

ssh_to() {   # $1 = name or ip, rest = command
  [ $# -ge 1 ] || die "usage: ssh NAME|IP [CMD...]"
  local target=$1 ip
  shift
  if [[ $target =~ ^[0-9.]+$ ]]; then ip=$target; else ip=$(cat "$STATE/$target/ip" 2>/dev/null) || die "unknown host $target"; fi
  valid_ip "$ip"
  exec ssh "${SSH_OPTS[@]}" "root@$ip" "$@"
}

cmd=${1:-}
shift || true
case "$cmd" in
  deps) deps ;;
  net-up) net_up ;;
  net-down) net_down ;;
  up) up "$@" ;;
  cache) cache ;;
  down | stop) down "$@" ;;
  start) start "$@" ;;
  destroy) destroy "$@" ;;
  clean) clean ;;
  ssh) ssh_to "$@" ;;
  *)
    echo "usage: $0 deps|net-up|net-down|up NAME IP|cache|stop NAME|start NAME|down NAME|destroy NAME|ssh NAME|IP [CMD]|clean" >&2
    exit 2
    ;;
esac

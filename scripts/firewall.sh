#!/usr/bin/env bash
# Step "firewall": ufw with incoming traffic denied except the listed rules, outgoing allowed.
# Settings: LEMP_FW_RULES (space-separated PORT/tcp:FROM, FROM = "any" or an IPv4 address or CIDR), e.g.
#           "22/tcp:any 80/tcp:any 443/tcp:any 3306/tcp:10.200.0.103". These rules are allowed; the rules ufw held
#           before the stack's first apply are kept (reported as kept=rule ...; LEMP_REMOVE_PREEXISTING=1 deletes
#           them), any other rule not listed is deleted. The program lists the SSH port it connects to; the port(s) sshd really listens
#           on (`sshd -T`, sshd's listening sockets, and ssh.socket's when systemd starts sshd by socket activation,
#           as Ubuntu 24.04 and later do) are allowed too, whatever the list says: behind NAT or a forwarded port the
#           two differ. Before any change, the step refuses (exit 4) when the SSH connection it
#           runs over ($SSH_CONNECTION, read from the login shell above `sudo` when sudo dropped it) reaches sshd on
#           a port the rules would not allow: the next step could not connect any more. Enabling ufw keeps the
#           running session (established connections stay allowed).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
declare -F lemp_init >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lemp_init firewall
lemp_os

octet='(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])'
ipv4="$octet(\\.$octet){3}"
rule_re="^([1-9][0-9]{0,4})/(tcp|udp):(any|$ipv4(/([0-9]|[12][0-9]|3[0-2]))?)\$"
lemp_require LEMP_FW_RULES "^[^ ]+( [^ ]+)*\$" 'space-separated rules PORT/tcp:FROM'
read -r -a rules <<<"$LEMP_FW_RULES"

# an IPv4 CIDR (already matched by rule_re) as ufw shows it, the network address without /32, into $canonical: no
# subshell and no here-string, as it runs once per rule before the settings checks end (a hundred rules took 1.4 s)
canonical_source() {
  local addr=${1%/*} bits=32 n mask
  [[ $1 != */* ]] || bits=${1#*/}
  [[ $addr =~ ^([0-9]+)\.([0-9]+)\.([0-9]+)\.([0-9]+)$ ]] || lemp_die "not an IPv4 address: '$addr'"
  n=$(((BASH_REMATCH[1] << 24) | (BASH_REMATCH[2] << 16) | (BASH_REMATCH[3] << 8) | BASH_REMATCH[4]))
  mask=$(((0xFFFFFFFF << (32 - bits)) & 0xFFFFFFFF))
  n=$((n & mask))
  canonical="$((n >> 24 & 255)).$((n >> 16 & 255)).$((n >> 8 & 255)).$((n & 255))"
  [ "$bits" = 32 ] || canonical+="/$bits"
}

# the wanted rules, spelled as `ufw show added` prints them (without the leading "ufw ")
wanted=()
has_ssh=0
for r in "${rules[@]}"; do
  [[ $r =~ $rule_re ]] || lemp_die "LEMP_FW_RULES: bad rule '$r' (expected PORT/tcp:any or PORT/tcp:IPv4[/bits])"
  port=${BASH_REMATCH[1]} proto=${BASH_REMATCH[2]} from=${BASH_REMATCH[3]}
  [ "$port" -le 65535 ] || lemp_die "LEMP_FW_RULES: bad port in '$r'"
  if [ "$from" = any ]; then
    line="allow $port/$proto"
    [ "$port/$proto" != 22/tcp ] || has_ssh=1
  else
    canonical_source "$from"
    line="allow from $canonical to any port $port proto $proto"
  fi
  dup=0
  for w in "${wanted[@]}"; do [ "$w" != "$line" ] || dup=1; done
  [ "$dup" = 1 ] || wanted+=("$line")
done

# --- the SSH path: sshd's own ports stay open, and the connection this step runs over must survive ---
sshd_ports=()
if [ -x /usr/sbin/sshd ]; then
  mapfile -t sshd_ports < <(/usr/sbin/sshd -T 2>/dev/null | awk '$1 == "port" { print $2 }')
fi
if command -v ss >/dev/null; then
  # sshd among the socket's processes, wherever it is listed (systemd may come first: socket activation)
  mapfile -t -O "${#sshd_ports[@]}" sshd_ports < <(ss -Htlnp 2>/dev/null |
    awk '/users:\(.*\("sshd",/ { n = split($4, a, ":"); print a[n] }')
fi
# Socket activation (Ubuntu 24.04+: ssh.socket, sshd_config's Port turned into its ListenStream at boot): systemd holds
# the listening socket, ss names systemd until a first connection starts sshd, and the socket unit's ports are the ones
# that answer, whatever `sshd -T` says
if command -v systemctl >/dev/null && [ "$(systemctl is-active ssh.socket 2>/dev/null || true)" = active ]; then
  mapfile -t -O "${#sshd_ports[@]}" sshd_ports < <(systemctl show -p Listen ssh.socket 2>/dev/null |
    grep -oE ':[0-9]+ \(Stream\)' | grep -oE '[0-9]+' || true)
  lemp_log "sshd is started by ssh.socket (socket activation), listening on: $(systemctl show -p Listen --value ssh.socket 2>/dev/null | tr '\n' ' ')"
fi
for p in "${sshd_ports[@]}"; do
  [[ $p =~ ^[1-9][0-9]{0,4}$ ]] || continue
  line="allow $p/tcp"
  dup=0
  for w in "${wanted[@]}"; do [ "$w" != "$line" ] || dup=1; done
  [ "$dup" = 1 ] && continue
  wanted+=("$line")
  lemp_log "allowing $p/tcp: sshd listens on it"
  [ "$p" != 22 ] || has_ssh=1
done
[ "$has_ssh" = 1 ] || lemp_log "warning: 22/tcp from any is not allowed: new SSH connections to port 22 will be refused"

ssh_connection() {   # SSH_CONNECTION of this session; `sudo -n env …` drops it, the shell sshd started has it
  # bash builtins only (no tr/sed per ancestor): this runs before the settings checks (lemp_inputs_checked)
  local pid=$$ stat entry
  if [ -n "${SSH_CONNECTION:-}" ]; then echo "$SSH_CONNECTION"; return 0; fi
  while [ "$pid" -gt 1 ] && [ -r "/proc/$pid/stat" ]; do
    if [ -r "/proc/$pid/environ" ]; then
      while IFS= read -r -d '' entry; do
        if [[ $entry == SSH_CONNECTION=* ]]; then echo "${entry#SSH_CONNECTION=}"; return 0; fi
      done 2>/dev/null <"/proc/$pid/environ" || true
    fi
    read -r stat 2>/dev/null <"/proc/$pid/stat" || break
    stat=${stat##*) }
    read -r _ pid _ <<<"$stat"
  done
  return 0
}
allows() {   # CLIENT PORT: would a new connection from CLIENT to PORT/tcp be accepted?
  local client=$1 port=$2 w net
  for w in "${wanted[@]}"; do
    [ "$w" != "allow $port/tcp" ] || return 0
    if [[ $w =~ ^allow\ from\ ([^ ]+)\ to\ any\ port\ $port\ proto\ tcp$ ]]; then
      net=${BASH_REMATCH[1]}   # before the next match overwrites BASH_REMATCH
      [[ $client =~ ^$ipv4$ ]] || continue
      if [[ $net == */* ]]; then
        canonical_source "$client/${net#*/}"
        [ "$canonical" != "$net" ] || return 0
      else
        [ "$client" != "$net" ] || return 0
      fi
    fi
  done
  return 1
}
read -r ssh_client _ ssh_server ssh_port _ <<<"$(ssh_connection)" || true
if [ -z "${ssh_port:-}" ]; then
  lemp_log "warning: not run over SSH (no SSH_CONNECTION): the SSH path could not be checked"
elif ! allows "$ssh_client" "$ssh_port"; then
  lemp_die 4 "this SSH connection (from $ssh_client to $ssh_server port $ssh_port) would not survive the firewall:" \
    "port $ssh_port/tcp is not allowed (sshd listens on: ${sshd_ports[*]:-unknown}); nothing was changed." \
    "Allow it (firewallAllowPorts) or connect to a port sshd listens on"
fi

lemp_inputs_checked   # LEMP_CHECK_ONLY=1 stops here: settings checked, nothing read from stdin, nothing changed

# --- what ufw was before the stack's first apply (lemp_before_* in lib/preexisting.sh): its state and its rules, kept ---
policy() { sed -n "s/^$1=\"\\{0,1\\}\\([A-Z]*\\)\"\\{0,1\\}\$/\\1/p" /etc/default/ufw; }
if lemp_before_first; then
  lemp_before_save < <(
    if ! command -v ufw >/dev/null; then
      echo "state absent"
    else
      if ufw status | grep -qx 'Status: active'; then echo "state active"; else echo "state inactive"; fi
      if [ -f /etc/default/ufw ]; then
        printf 'policy DEFAULT_INPUT_POLICY=%s\npolicy DEFAULT_OUTPUT_POLICY=%s\n' \
          "$(policy DEFAULT_INPUT_POLICY)" "$(policy DEFAULT_OUTPUT_POLICY)"
      fi
      ufw show added | sed -n 's/^ufw /rule /p'
    fi
  )
else
  lemp_before_load || lemp_before_save </dev/null   # applied by an earlier version: nothing known from before
fi
lemp_install_step_packages firewall

# --- rules: add the missing ones first, then delete the others (SSH stays allowed throughout) ---
mapfile -t current < <(ufw show added | sed -n 's/^ufw //p')
for w in "${wanted[@]}"; do
  found=0
  for c in "${current[@]}"; do [ "$c" != "$w" ] || found=1; done
  [ "$found" = 1 ] && continue
  read -r -a args <<<"$w"
  ufw "${args[@]}" >/dev/null
  lemp_changed "ufw $w"
done
for c in "${current[@]}"; do
  found=0
  for w in "${wanted[@]}"; do [ "$c" != "$w" ] || found=1; done
  [ "$found" = 1 ] && continue
  if lemp_before_has rule "$c"; then lemp_before_kept rule "$c"; continue; fi
  read -r -a args <<<"$c"
  ufw delete "${args[@]}" >/dev/null
  lemp_changed "ufw delete $c (no longer listed)"
done

# --- default policies ---
if [ "$(policy DEFAULT_INPUT_POLICY)" != DROP ]; then
  ufw default deny incoming >/dev/null
  lemp_changed "ufw default deny incoming"
fi
if [ "$(policy DEFAULT_OUTPUT_POLICY)" != ACCEPT ]; then
  ufw default allow outgoing >/dev/null
  lemp_changed "ufw default allow outgoing"
fi

# --- enabled (at boot: ufw.service with systemd, /etc/init.d/ufw without) and loaded in the kernel now ---
# "loaded" is checked in the kernel too: on a host without systemd that restarted, ufw.conf may say ENABLED=yes
# while no rule is loaded.
enabled=0
if grep -qx 'ENABLED=yes' /etc/ufw/ufw.conf && iptables -n -L ufw-user-input >/dev/null 2>&1; then enabled=1; fi
if [ "$enabled" = 0 ]; then
  ufw --force enable >/dev/null
  lemp_changed "ufw enabled"
fi
if lemp_has_systemd && ! systemctl is-enabled --quiet ufw 2>/dev/null; then
  systemctl enable --quiet ufw
  lemp_changed "enabled ufw"
fi
ufw status | grep -qx 'Status: active' || lemp_die "ufw is not active after enabling it"

lemp_fact firewall active
lemp_fact firewall_rules "${#wanted[@]}"
lemp_finish

#!/usr/bin/env bash
# Undo of step "firewall" (the delete of its remote command; see lemp_undo_begin in lib/undo.sh for the generation rule).
# ufw goes back to what the step's first apply found (recorded in /var/lib/seed-web/before/firewall, see
# lemp_before_* in lib/preexisting.sh): the stack's rules deleted and the rules it found put back; ufw active before stays active
# (with its default policies as they were), otherwise it is disabled first (nothing filters any more, so the SSH path
# can never be cut) and then the rules are deleted. While ufw stays active, the rules allowing the ports sshd listens
# on stay too (reported) unless the rules found allow them: the undo must not cut its own session.
# With LEMP_REMOVE_PREEXISTING=1 (removePreexisting) the stack owns ufw: disabled and every rule deleted, as the
# apply deleted those it found. purgePackages: ufw purged, unless it was there before.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
declare -F lemp_init >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lemp_undo_begin firewall
lemp_os
lemp_inputs_checked   # LEMP_CHECK_ONLY=1 stops here
lemp_undo_live || lemp_undo_skip
lemp_before_load || true
found_rule() { lemp_before_has rule "$1"; }
if command -v ufw >/dev/null; then
  stays_active=0
  if lemp_before_has state active; then stays_active=1; fi
  if [ "$stays_active" = 0 ] && ufw status | grep -qx 'Status: active'; then
    ufw --force disable >/dev/null
    lemp_changed "ufw disabled"
  fi
  ssh_rules=()
  if [ "$stays_active" = 1 ] && command -v ss >/dev/null; then
    mapfile -t ssh_rules < <(ss -Htlnp 2>/dev/null | awk '/users:\(\("sshd"/ { n = split($4, a, ":"); print "allow " a[n] "/tcp" }')
  fi
  mapfile -t current < <(ufw show added | sed -n 's/^ufw //p')
  found_rules=()
  [ "${LEMP_REMOVE_PREEXISTING:-0}" = 1 ] || mapfile -t found_rules < <(printf '%s\n' "$LEMP_BEFORE" | sed -n 's/^rule //p')
  for r in "${found_rules[@]}"; do
    found=0
    for c in "${current[@]}"; do [ "$c" != "$r" ] || found=1; done
    [ "$found" = 0 ] || continue
    read -r -a args <<<"$r"
    ufw "${args[@]}" >/dev/null
    lemp_changed "ufw $r (there before the stack)"
  done
  for c in "${current[@]}"; do
    ! found_rule "$c" || continue
    keep=0
    for r in "${ssh_rules[@]}"; do [ "$c" != "$r" ] || keep=1; done
    if [ "$keep" = 1 ]; then lemp_log "left: ufw $c (sshd listens there, ufw stays active)"; lemp_fact left "ufw $c"; continue; fi
    read -r -a args <<<"$c"
    ufw delete "${args[@]}" >/dev/null
    lemp_changed "ufw delete $c"
  done
  if [ "$stays_active" = 1 ]; then
    for p in DEFAULT_INPUT_POLICY DEFAULT_OUTPUT_POLICY; do
      want=$(printf '%s\n' "$LEMP_BEFORE" | sed -n "s/^policy $p=//p")
      have=$(sed -n "s/^$p=\"\\{0,1\\}\\([A-Z]*\\)\"\\{0,1\\}\$/\\1/p" /etc/default/ufw)
      if [ -z "$want" ] || [ "$want" = "$have" ]; then continue; fi
      case $p:$want in
        DEFAULT_INPUT_POLICY:ACCEPT) ufw default allow incoming >/dev/null ;;
        DEFAULT_INPUT_POLICY:REJECT) ufw default reject incoming >/dev/null ;;
        DEFAULT_OUTPUT_POLICY:DROP) ufw default deny outgoing >/dev/null ;;
        DEFAULT_OUTPUT_POLICY:REJECT) ufw default reject outgoing >/dev/null ;;
        *) continue ;;
      esac
      lemp_changed "ufw $p back to $want"
    done
    ufw status | grep -qx 'Status: active' || { ufw --force enable >/dev/null; lemp_changed "ufw enabled (it was before the stack)"; }
  fi
fi
if ! lemp_before_has state active && ! lemp_before_has state inactive; then
  lemp_purge_packages "$(lemp_step_packages firewall)"
fi
lemp_undo_end

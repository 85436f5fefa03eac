#!/usr/bin/env bash
# Undo of step "firewall" (the delete of its remote command; see lemp_undo_begin in lib.sh for the generation rule).
# ufw disabled first (nothing filters any more, so the SSH path can never be cut), then every user rule deleted.
# purgePackages: ufw purged.
set -euo pipefail
if ! declare -F lemp_init >/dev/null; then
  # shellcheck source-path=SCRIPTDIR source=../lib.sh
  . "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
fi
lemp_undo_begin firewall
lemp_os
lemp_inputs_checked   # LEMP_CHECK_ONLY=1 stops here
lemp_undo_live || lemp_undo_skip
if command -v ufw >/dev/null; then
  if ufw status | grep -qx 'Status: active'; then
    ufw --force disable >/dev/null
    lemp_changed "ufw disabled"
  fi
  mapfile -t current < <(ufw show added | sed -n 's/^ufw //p')
  for c in "${current[@]}"; do
    read -r -a args <<<"$c"
    ufw delete "${args[@]}" >/dev/null
    lemp_changed "ufw delete $c"
  done
fi
lemp_purge_packages "$(lemp_step_packages firewall)"
lemp_undo_end

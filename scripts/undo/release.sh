#!/usr/bin/env bash
# Undo of step "release" (the delete of its remote command; see lemp_undo_begin in lib/undo.sh for the generation rule).
# Live generation (the application switched off, or destroy): the releases, the `current` link and the balancer's
# agent (seed-web-lb-agent) removed; the
# shared paths (the application's uploads and storage: the owner's data) only with LEMP_DESTROY_DATA=1, else kept
# and reported. Replaced generation (every deploy replaces the step): nothing, the live one owns the releases.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
declare -F lemp_init >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lemp_undo_begin release
lemp_os
lemp_require LEMP_APP_BASE '^/[A-Za-z0-9._/-]+$' 'an absolute path (letters, digits, . _ - /)'
lemp_inputs_checked   # LEMP_CHECK_ONLY=1 stops here
lemp_undo_live || lemp_undo_skip
lemp_app_remove "$LEMP_APP_BASE"
# the balancer's agent (behind one)
if [ -e /etc/systemd/system/seed-web-lb-agent.service ]; then
  lemp_service_disable_stop seed-web-lb-agent
  lemp_remove /etc/systemd/system/seed-web-lb-agent.service
  if lemp_has_systemd; then systemctl daemon-reload; fi
fi
lemp_remove /usr/local/lib/seed-web/lb-agent
lemp_remove /var/lib/seed-web/lb-agent
lemp_rmdir_empty /usr/local/lib/seed-web
lemp_remove /usr/share/seed-web/opcache-reset.php
lemp_rmdir_empty /usr/share/seed-web
lemp_undo_end

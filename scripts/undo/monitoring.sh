#!/usr/bin/env bash
# Undo of step "monitoring" (the delete of its remote command; see lemp_undo_begin in lib/undo.sh for the generation rule).
# The node exporter stopped and disabled, its ARGS back to the package's (empty). purgePackages: purged.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
declare -F lemp_init >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lemp_undo_begin monitoring
lemp_os
lemp_inputs_checked   # LEMP_CHECK_ONLY=1 stops here
lemp_undo_live || lemp_undo_skip
service=prometheus-node-exporter
defaults=/etc/default/$service
lemp_service_disable_stop "$service"
if [ -f "$defaults" ] && grep -q '^ARGS=".*--web.listen-address=' "$defaults"; then
  sed 's/^ARGS=".*"$/ARGS=""/' "$defaults" >"$defaults.lemp-new"
  lemp_write_file "$defaults" 0644 root:root <"$defaults.lemp-new"
  rm -f "$defaults.lemp-new"
fi
lemp_purge_packages "$(lemp_step_packages monitoring)"
lemp_undo_end

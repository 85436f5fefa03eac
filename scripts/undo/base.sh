#!/usr/bin/env bash
# Undo of step "base" (the delete of its remote command; see lemp_undo_begin in lib/undo.sh for the generation rule).
# Removes the apt stamp. Packages stay (curl, ca-certificates: the system uses them, even with purgePackages).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
declare -F lemp_init >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lemp_undo_begin base
lemp_os
lemp_inputs_checked   # LEMP_CHECK_ONLY=1 stops here
lemp_undo_live || lemp_undo_skip
lemp_remove "$LEMP_STATE_DIR/apt-update.stamp"
lemp_undo_end
# the last undo on a host: the state directory goes when nothing is left in it (database data keeps it)
rmdir "$LEMP_STATE_DIR" 2>/dev/null || true

#!/usr/bin/env bash
# Undo of step "smoke" (the delete of its remote command; see lemp_undo_begin in lib/undo.sh for the generation rule).
# Nothing to undo: the check changes nothing on the host.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
declare -F lemp_init >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lemp_undo_begin smoke
lemp_os
lemp_inputs_checked   # LEMP_CHECK_ONLY=1 stops here
lemp_undo_live || lemp_undo_skip
lemp_undo_end

#!/usr/bin/env bash
# Undo of step "stage" (the delete of its remote command; see lemp_undo_begin in lib/undo.sh for the generation rule).
# Live generation (the application switched off, or destroy): when no release is live here (the release step, whose
# undo runs first, removed it, or never ran: a deploy stopped at a later host's stage), the staged releases are
# removed, and the shared paths (the application's uploads and storage: the owner's data) only with
# LEMP_DESTROY_DATA=1, else kept and reported. A live release is the release step's: left alone.
# Replaced generation (every deploy replaces the step): nothing.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
declare -F lemp_init >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lemp_undo_begin stage
lemp_os
lemp_require LEMP_APP_BASE '^/[A-Za-z0-9._/-]+$' 'an absolute path (letters, digits, . _ - /)'
lemp_inputs_checked   # LEMP_CHECK_ONLY=1 stops here
lemp_undo_live || lemp_undo_skip
if [ -e "$LEMP_APP_BASE/current" ] || [ -L "$LEMP_APP_BASE/current" ]; then
  lemp_log "kept: $LEMP_APP_BASE (a release is live: the release step's undo removes it)"
else
  lemp_app_remove "$LEMP_APP_BASE"
fi
# uploads never staged (a deploy stopped before this host staged its copy)
for u in /tmp/seed-web-upload-*; do
  [ -e "$u" ] || continue
  if [[ ! $u =~ ^/tmp/seed-web-upload-[0-9a-f]{20}$ ]] || [ -L "$u" ]; then continue; fi
  rm -rf -- "$u"
  lemp_changed "upload $u removed"
done
lemp_undo_end

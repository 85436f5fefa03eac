#!/usr/bin/env bash
# Undo of step "app" (the delete of its remote command; see lemp_undo_begin in lib/undo.sh for the generation rule).
# Live generation: the database settings (/etc/seed-web/app-db.ini, app-db.php, db-ca.pem) and the pages
# (index.php, health.php) removed; the database and its data are database.sh's. Replaced generation: its pages
# only, when the live one has another document root.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
declare -F lemp_init >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lemp_undo_begin app
lemp_os
lemp_require LEMP_DOC_ROOT '^/[A-Za-z0-9._/-]+$' 'an absolute path (letters, digits, . _ - /)'
lemp_inputs_checked   # LEMP_CHECK_ONLY=1 stops here
if ! lemp_undo_live; then
  lemp_undo_has_live || lemp_undo_skip
  if [ "$(lemp_live_setting LEMP_DOC_ROOT)" != "$LEMP_DOC_ROOT" ]; then
    lemp_remove "$LEMP_DOC_ROOT/index.php"
    lemp_remove "$LEMP_DOC_ROOT/health.php"
    lemp_rmdir_empty "$LEMP_DOC_ROOT"
  fi
  lemp_undo_skip
fi
lemp_remove "$LEMP_DOC_ROOT/index.php"
lemp_remove "$LEMP_DOC_ROOT/health.php"
lemp_rmdir_empty "$LEMP_DOC_ROOT"
lemp_remove /etc/seed-web/app-db.ini
lemp_remove /etc/seed-web/app-db.php
lemp_remove /etc/seed-web/db-ca.pem
lemp_rmdir_empty /etc/seed-web
lemp_undo_end

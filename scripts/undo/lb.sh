#!/usr/bin/env bash
# Undo of step "lb" (the delete of its remote command; see lemp_undo_begin in lib/undo.sh for the generation rule).
# Live generation: HAProxy stopped and disabled, the site's haproxy.pem, the stack's CA certificate for the backends
# (backend.invalid/ca.pem) and the waiting TLS configuration removed
# (haproxy.cfg, the package's file that lb.sh rewrote, stays for the stopped service; purgePackages purges it with
# haproxy). Replaced generation: its haproxy.pem only, when the live one has another site name.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
declare -F lemp_init >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lemp_undo_begin lb
lemp_os
lemp_require LEMP_SERVER_NAMES '^[A-Za-z0-9.*-]+( [A-Za-z0-9.*-]+)*$' 'space-separated server names'
site=${LEMP_SERVER_NAMES%% *}
lemp_inputs_checked   # LEMP_CHECK_ONLY=1 stops here
if ! lemp_undo_live; then
  lemp_undo_has_live || lemp_undo_skip
  live_site=$(lemp_live_setting LEMP_SERVER_NAMES)
  if [ "${live_site%% *}" != "$site" ]; then lemp_remove "$LEMP_TLS_ROOT/$site/haproxy.pem"; fi
  lemp_undo_skip
fi
lemp_service_disable_stop haproxy
lemp_remove "$LEMP_TLS_ROOT/$site/haproxy.pem"
lemp_remove "$LEMP_PENDING_DIR/haproxy/haproxy.cfg"
lemp_remove /etc/haproxy/errors/seed-web-503.http
lemp_remove /var/lib/haproxy/server-state
lemp_remove "$LEMP_TLS_ROOT/backend.invalid/ca.pem"
if [ "$LEMP_DESTROY_DATA" = 1 ]; then lemp_remove_tree "$LEMP_TLS_ROOT/$site"; fi
lemp_rmdir_empty "$LEMP_TLS_ROOT/$site" "$LEMP_TLS_ROOT/backend.invalid" "$LEMP_PENDING_DIR/haproxy" "$LEMP_PENDING_DIR" "$LEMP_TLS_ROOT" /etc/seed-web
lemp_purge_packages "$(lemp_step_packages lb)"
lemp_undo_end

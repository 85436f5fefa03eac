#!/usr/bin/env bash
# Undo of step "certbot" (the delete of its remote command; see lemp_undo_begin in lib/undo.sh for the generation rule).
# Live generation: renewal stopped (certbot.timer disabled, unless it was enabled before the stack's first apply: it
# renews the host's other certificates; without systemd the package's /etc/cron.d/certbot stays),
# the deploy hook and the links in /etc/seed-web/tls/<site>/ removed. The certificate stays in /etc/letsencrypt
# unless LEMP_DESTROY_DATA=1 (certbot delete). purgePackages: certbot purged. Replaced generation: its links only,
# when the live one has another site name.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
declare -F lemp_init >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lemp_undo_begin certbot
lemp_os
lemp_require LEMP_SERVER_NAMES '^[A-Za-z0-9.-]+( [A-Za-z0-9.-]+)*$' 'space-separated server names (no wildcards)'
site=${LEMP_SERVER_NAMES%% *}
lemp_inputs_checked   # LEMP_CHECK_ONLY=1 stops here
remove_links() {
  local f
  for f in fullchain.pem privkey.pem; do
    if [ -L "$LEMP_TLS_ROOT/$site/$f" ]; then lemp_remove "$LEMP_TLS_ROOT/$site/$f"; fi
  done
}
if ! lemp_undo_live; then
  lemp_undo_has_live || lemp_undo_skip
  live_site=$(lemp_live_setting LEMP_SERVER_NAMES)
  if [ "${live_site%% *}" != "$site" ]; then remove_links; fi
  lemp_undo_skip
fi
lemp_before_load || true
if lemp_before_had timer enabled; then
  lemp_log "left: certbot.timer enabled (it was before the stack: it renews the host's other certificates)"
  lemp_fact left "certbot.timer"
elif lemp_has_systemd; then
  lemp_service_disable_stop certbot.timer
fi
lemp_remove /etc/letsencrypt/renewal-hooks/deploy/seed-web
remove_links
if [ "$LEMP_DESTROY_DATA" = 1 ] && [ -d "/etc/letsencrypt/live/$site" ] && command -v certbot >/dev/null; then
  certbot delete --non-interactive --cert-name "$site" >&2
  lemp_changed "deleted the certificate $site"
fi
lemp_rmdir_empty "$LEMP_TLS_ROOT/$site" "$LEMP_TLS_ROOT" /etc/seed-web
lemp_purge_packages "$(lemp_step_packages certbot)"
lemp_undo_end

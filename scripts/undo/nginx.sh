#!/usr/bin/env bash
# Undo of step "nginx" (the delete of its remote command; see lemp_undo_begin in lib/undo.sh for the generation rule).
# Live generation: the site (sites-available + link), conf.d/seed-web.conf, the static page, the waiting TLS
# configuration, the dummy default certificate and the balancer → web certificate (backend.invalid) removed, the
# package's default site enabled again, nginx stopped and disabled. The site's certificates (/etc/seed-web/tls/<site>/) stay unless LEMP_DESTROY_DATA=1. purgePackages:
# nginx purged. Replaced generation (e.g. another domain): only its own site and static page, when the live one
# differs (then nginx reloads).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
declare -F lemp_init >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lemp_undo_begin nginx
lemp_os
lemp_require LEMP_SERVER_NAMES '^[A-Za-z0-9.*-]+( [A-Za-z0-9.*-]+)*$' 'space-separated server names'
lemp_require LEMP_DOC_ROOT '^/[A-Za-z0-9._/-]+$' 'an absolute path (letters, digits, . _ - /)'
site=${LEMP_SERVER_NAMES%% *}
lemp_inputs_checked   # LEMP_CHECK_ONLY=1 stops here

remove_site() {   # the site's own files, the static page, and the document root when nothing else is in it
  lemp_remove "/etc/nginx/sites-enabled/$site"
  lemp_remove "/etc/nginx/sites-available/$site"
  lemp_remove "$LEMP_PENDING_DIR/nginx/$site"
  lemp_remove "$LEMP_DOC_ROOT/index.html"
  lemp_rmdir_empty "$LEMP_DOC_ROOT"
}

if ! lemp_undo_live; then
  lemp_undo_has_live || lemp_undo_skip
  live_site=$(lemp_live_setting LEMP_SERVER_NAMES)
  live_root=$(lemp_live_setting LEMP_DOC_ROOT)
  before=$LEMP_CHANGED
  if [ "${live_site%% *}" != "$site" ]; then
    lemp_remove "/etc/nginx/sites-enabled/$site"
    lemp_remove "/etc/nginx/sites-available/$site"
    lemp_remove "$LEMP_PENDING_DIR/nginx/$site"
  fi
  if [ "$live_root" != "$LEMP_DOC_ROOT" ]; then
    lemp_remove "$LEMP_DOC_ROOT/index.html"
    lemp_rmdir_empty "$LEMP_DOC_ROOT"
  fi
  if [ "$LEMP_CHANGED" != "$before" ] && lemp_service_running nginx && nginx -t -q 2>/dev/null; then lemp_service_reload nginx; fi
  lemp_undo_skip
fi

remove_site
lemp_remove /etc/nginx/conf.d/seed-web.conf
# the package's worker_connections (768) and kernel backlog back, the stack's worker_rlimit_nofile line gone
if [ -f /etc/nginx/nginx.conf ]; then
  lemp_write_file /etc/nginx/nginx.conf 0644 root:root < <(sed -E \
    -e "s/^([[:space:]]*)worker_connections[[:space:]]+[0-9]+;/\1worker_connections 768;/" \
    -e "/^[[:space:]]*worker_rlimit_nofile[[:space:]].*# seed-web/d" /etc/nginx/nginx.conf)
fi
lemp_remove /etc/sysctl.d/60-seed-web.conf
lemp_remove_tree "$LEMP_TLS_ROOT/default.invalid"
lemp_remove_tree "$LEMP_TLS_ROOT/backend.invalid"   # the stack's key and certificate for the balancer → web hop
if [ -f /etc/nginx/sites-available/default ]; then lemp_symlink /etc/nginx/sites-available/default /etc/nginx/sites-enabled/default; fi
lemp_service_disable_stop nginx
if [ "$LEMP_DESTROY_DATA" = 1 ]; then lemp_remove_tree "$LEMP_TLS_ROOT/$site"; fi
lemp_rmdir_empty "$LEMP_ACME_WEBROOT" "$LEMP_PENDING_DIR/nginx" "$LEMP_PENDING_DIR" "$LEMP_TLS_ROOT" /etc/seed-web
lemp_purge_packages "$(lemp_step_packages nginx)"
lemp_undo_end

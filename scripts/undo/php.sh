#!/usr/bin/env bash
# Undo of step "php" (the delete of its remote command; see lemp_undo_begin in lib/undo.sh for the generation rule).
# The seed-web ini removed, the www pool back to the package's sizes without the status path, PHP-FPM stopped and
# disabled. purgePackages: php-fpm and php-mysql purged.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
declare -F lemp_init >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lemp_undo_begin php
lemp_os
lemp_inputs_checked   # LEMP_CHECK_ONLY=1 stops here
lemp_undo_live || lemp_undo_skip
V=$LEMP_PHP_VERSION
lemp_remove "/etc/php/$V/fpm/conf.d/99-seed-web.ini"
pool=/etc/php/$V/fpm/pool.d/www.conf
if [ -f "$pool" ]; then
  # the package's values (Debian and Ubuntu ship these), the status path commented out again
  awk '
    /^pm\.status_path = \/fpm-status$/ { print ";pm.status_path = /status"; next }
    /^pm\.max_children = / { print "pm.max_children = 5"; next }
    /^pm\.start_servers = / { print "pm.start_servers = 2"; next }
    /^pm\.min_spare_servers = / { print "pm.min_spare_servers = 1"; next }
    /^pm\.max_spare_servers = / { print "pm.max_spare_servers = 3"; next }
    /^pm\.max_requests = |^listen\.backlog = |^request_terminate_timeout = / { next }
    { print }
  ' "$pool" >"$pool.lemp-new"
  lemp_write_file "$pool" 0644 root:root <"$pool.lemp-new"
  rm -f "$pool.lemp-new"
fi
fpm_conf=/etc/php/$V/fpm/php-fpm.conf
if [ -f "$fpm_conf" ] && grep -q '^process_control_timeout = ' "$fpm_conf"; then
  lemp_write_file "$fpm_conf" 0644 root:root < <(sed -E 's/^process_control_timeout = .*/;process_control_timeout = 0/' "$fpm_conf")
fi
lemp_remove /etc/sysctl.d/60-seed-web.conf
lemp_service_disable_stop "$LEMP_PHP_FPM_SERVICE"
read -r -a packages <<<"$(lemp_step_packages php)"
lemp_purge_packages "${packages[@]}"
lemp_undo_end

#!/usr/bin/env bash
# Step "base": check the OS, wait for cloud-init, refresh apt lists when stale, install curl + ca-certificates.
# Settings: LEMP_APT_MAX_AGE (seconds, default 3600); LEMP_PREINSTALL (space-separated steps whose packages to
#           install now, in one apt transaction); LEMP_DB_ENGINE (auto | mysql | mariadb: the database server's
#           package); LEMP_OS_RELEASE (default /etc/os-release, for tests).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
declare -F lemp_init >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lemp_init base

lemp_os   # first: a release platform.sh does not know stops here with exit code 3
lemp_fact os "$LEMP_OS_ID-$LEMP_OS_VERSION"
lemp_fact init "$(lemp_has_systemd && echo systemd || echo none)"

lemp_inputs_checked   # LEMP_CHECK_ONLY=1 stops here: settings checked, nothing read from stdin, nothing changed
if command -v cloud-init >/dev/null 2>&1; then
  lemp_log "waiting for cloud-init to finish"
  # exit 2 = finished with recoverable errors: not ours to judge, the apt steps below will tell
  cloud-init status --wait >/dev/null 2>&1 || lemp_log "warning: cloud-init status exited $?"
fi

lemp_apt_update_if_stale
# LEMP_PREINSTALL: the other steps this host runs; their packages go in with base's, in one transaction.
read -r -a preinstall <<<"${LEMP_PREINSTALL:-}"
lemp_install_step_packages base "${preinstall[@]}"
lemp_fact mem_mb "$(lemp_mem_mb)"
lemp_finish

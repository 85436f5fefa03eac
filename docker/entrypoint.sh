#!/usr/bin/env bash
# Entrypoint of the docker "server": root's key from SSH_AUTHORIZED_KEY, host keys, the services a previous
# provisioning installed (so a container restart brings the site back), then sshd in the foreground.
# On `docker stop` (SIGTERM) the services are stopped cleanly first: were sshd PID 1, its exit would SIGKILL them.
set -euo pipefail
shopt -s nullglob

log() { printf '[entrypoint] %s\n' "$*" >&2; }

if [ -n "${SSH_AUTHORIZED_KEY:-}" ]; then
  install -d -m 0700 /root/.ssh
  printf '%s\n' "$SSH_AUTHORIZED_KEY" >/root/.ssh/authorized_keys
  chmod 0600 /root/.ssh/authorized_keys
else
  log "warning: SSH_AUTHORIZED_KEY is empty: nobody can log in"
fi
ssh-keygen -A >/dev/null                     # only the host keys that are missing
install -d -m 0755 /run/sshd

# installed services, database first (the start order); names from their init scripts
services=()
for s in /etc/init.d/mysql /etc/init.d/mariadb /etc/init.d/php*-fpm /etc/init.d/nginx; do
  [ -x "$s" ] && services+=("${s##*/}")
done
for s in "${services[@]}"; do
  service "$s" start >&2 || log "warning: $s did not start"
done

stop_all() {
  local i
  for ((i = ${#services[@]} - 1; i >= 0; i--)); do service "${services[i]}" stop >&2 || true; done
  kill -TERM "$sshd_pid" 2>/dev/null || true
}
/usr/sbin/sshd -D -e &
sshd_pid=$!
trap stop_all TERM INT
wait "$sshd_pid" || true
wait "$sshd_pid" 2>/dev/null || true          # the first wait returns early when a signal arrives

#!/usr/bin/env bash
# Entrypoint of the docker "server" (and PID 1 of the test hosts booted with INIT=simple): root's key from
# SSH_AUTHORIZED_KEY, the SSH host key, what the provisioning steps enabled (so a restart brings the site, the
# firewall and the scheduled jobs back), then sshd in the foreground.
# On `docker stop` (SIGTERM) the services are stopped cleanly first: were sshd PID 1, its exit would SIGKILL them.
set -euo pipefail
shopt -s nullglob

log() { printf '[entrypoint] %s\n' "$*" >&2; }

STATE_DIR=/var/lib/seed-web
BOOT_SERVICES=$STATE_DIR/boot-services          # written by lemp_service_enable_start (scripts/lib/services.sh)
HOST_KEY=/etc/ssh/seed-web/ssh_host_ed25519_key # uploaded by the program (components/host.ts), pinned by it

if [ -n "${SSH_AUTHORIZED_KEY:-}" ]; then
  install -d -m 0700 /root/.ssh
  printf '%s\n' "$SSH_AUTHORIZED_KEY" >/root/.ssh/authorized_keys
  chmod 0600 /root/.ssh/authorized_keys
elif [ ! -s /root/.ssh/authorized_keys ]; then
  log "warning: SSH_AUTHORIZED_KEY is empty: nobody can log in"
fi
# The program's host key is sshd's only one (the connection pins it); without it, the usual generated keys.
if [ -f "$HOST_KEY" ]; then
  chmod 0600 "$HOST_KEY"
  printf 'HostKey %s\n' "$HOST_KEY" >/etc/ssh/sshd_config.d/00-seed-web-host-key.conf
else
  rm -f /etc/ssh/sshd_config.d/00-seed-web-host-key.conf
  ssh-keygen -A >/dev/null                   # only the host keys that are missing
fi
install -d -m 0755 /run/sshd

# The system log before anything else, stopped last: without systemd's journal, what the services send to syslog
# (the database server's own log, cron's) would go nowhere. rsyslogd itself (Debian ships no init script for it).
syslog_pid=""
if [ -x /usr/sbin/rsyslogd ]; then
  rm -f /run/rsyslogd.pid                    # a container's /run outlives a restart
  if /usr/sbin/rsyslogd >&2; then syslog_pid=$(cat /run/rsyslogd.pid 2>/dev/null || true); else log "warning: rsyslogd did not start"; fi
fi

# The firewall first, before any service listens: ufw's rules are not loaded at boot without systemd.
if [ -x /usr/sbin/ufw ] && grep -qx 'ENABLED=yes' /etc/ufw/ufw.conf 2>/dev/null; then
  ufw --force enable >/dev/null || log "warning: ufw did not start"
fi

# The services the steps enabled, in the order they were enabled; hosts provisioned before that record existed
# get the database, PHP-FPM and Nginx, as before.
services=()
add_service() {
  local s
  for s in "${services[@]}"; do [ "$s" != "$1" ] || return 0; done
  services+=("$1")
}
if [ -f "$BOOT_SERVICES" ]; then
  while IFS= read -r s; do
    [[ $s =~ ^[A-Za-z0-9@._-]+$ ]] || continue
    case "$s" in ufw | ssh | sshd) continue ;; esac
    add_service "$s"
  done <"$BOOT_SERVICES"
else
  for s in /etc/init.d/mysql /etc/init.d/mariadb /etc/init.d/php*-fpm /etc/init.d/nginx; do
    [ -x "$s" ] && add_service "${s##*/}"
  done
fi
for s in "${services[@]}"; do
  service "$s" start >&2 || log "warning: $s did not start"
done

stop_all() {
  local i
  for ((i = ${#services[@]} - 1; i >= 0; i--)); do service "${services[i]}" stop >&2 || true; done
  kill -TERM "$sshd_pid" 2>/dev/null || true
  if [ -n "$syslog_pid" ] && kill -TERM "$syslog_pid" 2>/dev/null; then   # it writes what it holds, then exits
    for i in $(seq 1 20); do kill -0 "$syslog_pid" 2>/dev/null || break; sleep 0.1; done
  fi
}
/usr/sbin/sshd -D -e &
sshd_pid=$!
trap stop_all TERM INT
wait "$sshd_pid" || true
wait "$sshd_pid" 2>/dev/null || true          # the first wait returns early when a signal arrives

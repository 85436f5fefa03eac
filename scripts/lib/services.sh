# --- services --------------------------------------------------------------------------------------------------
# systemd when it runs as init (servers, test hosts), else the `service` command (containers, INIT=simple hosts).
lemp_has_systemd() { [ -d /run/systemd/system ]; }

lemp_service_running() {
  if lemp_has_systemd; then systemctl is-active --quiet "$1"; else service "$1" status >/dev/null 2>&1; fi
}

# Without systemd nothing starts a service at boot: each one enabled here is recorded, in the order of first
# enabling, in $LEMP_BOOT_SERVICES, which the boot (docker/entrypoint.sh) starts in that order (ufw first).
LEMP_BOOT_SERVICES=$LEMP_STATE_DIR/boot-services

lemp_service_enable_start() {   # NAME: enable (systemd; recorded for the entrypoint without) and start when not running
  local name=$1 key value active="" file=""
  LEMP_STARTED=0
  if lemp_has_systemd; then
    # the usual case, enabled and running, in one call (this runs on every apply); any other goes the long way
    while IFS='=' read -r key value; do
      case $key in ActiveState) active=$value ;; UnitFileState) file=$value ;; esac
    done < <(systemctl show -p ActiveState -p UnitFileState -- "$name" 2>/dev/null || true)
    if [ "$active" = active ] && [ "$file" = enabled ]; then return 0; fi
    if ! systemctl is-enabled --quiet "$name" 2>/dev/null; then
      systemctl enable --quiet "$name"
      lemp_changed "enabled $name"
    fi
  elif ! grep -qxF -- "$name" "$LEMP_BOOT_SERVICES" 2>/dev/null; then
    [ -d "$LEMP_STATE_DIR" ] || install -d -m 0700 "$LEMP_STATE_DIR"   # never change its mode (database.sh owns it)
    printf '%s\n' "$name" >>"$LEMP_BOOT_SERVICES"
    lemp_changed "enabled $name (started at boot by the entrypoint)"
  fi
  if ! lemp_service_running "$name"; then
    if lemp_has_systemd; then systemctl start "$name"; else service "$name" start >&2; fi
    LEMP_STARTED=1
    lemp_changed "started $name"
  fi
}

lemp_service_reload() {   # NAME: reload a running service, start a stopped one
  if ! lemp_service_running "$1"; then lemp_service_enable_start "$1"; return 0; fi
  if lemp_has_systemd; then systemctl reload "$1"; else service "$1" reload >&2; fi
  lemp_changed "reloaded $1"
}

lemp_service_restart() {   # NAME: restart a running service, start a stopped one
  if ! lemp_service_running "$1"; then lemp_service_enable_start "$1"; return 0; fi
  if lemp_has_systemd; then
    # a restart that fails is tried once more after its journal is shown (CI saw MariaDB's restart fail once on a
    # loaded host and pass on a re-run); a second failure stops the step with the journal's last lines
    if ! systemctl restart "$1"; then
      lemp_log "warning: restarting $1 failed; its journal:"
      journalctl -u "$1" -n 15 --no-pager >&2 || true
      sleep 3
      systemctl restart "$1" || { journalctl -u "$1" -n 15 --no-pager >&2 || true; lemp_die "$1 did not restart (twice; its journal above)"; }
    fi
  else
    service "$1" restart >&2
  fi
  lemp_changed "restarted $1"
}


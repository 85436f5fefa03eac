# --- what a host held before the stack came (kept) ---------------------------------------------------------------
# A step's first apply records, in $LEMP_BEFORE_DIR/<step>, what it found on the host that it would otherwise change
# or remove (ufw's state and rules, remote root accounts, a `test` database holding tables, certbot.timer enabled):
# one "KIND VALUE" line each. Later applies keep those and report each as a fact "kept=KIND VALUE" (verify reads the
# record too); what appears after the first apply is secured as usual. The undo restores what was recorded. With
# LEMP_REMOVE_PREEXISTING=1 (the stack's `removePreexisting`) the steps remove them as well, on purpose.
# A host applied by an earlier version of the steps (a generation, no record) gets an empty record: what it held
# before is not known any more.
LEMP_BEFORE_DIR=$LEMP_STATE_DIR/before
LEMP_BEFORE=""   # the record's lines (lemp_before_load)
lemp_before_load() {   # reads the step's record into $LEMP_BEFORE; exit status 1 when there is none yet
  local file=$LEMP_BEFORE_DIR/$LEMP_STEP
  LEMP_BEFORE=""
  [ -f "$file" ] || return 1
  LEMP_BEFORE=$(<"$file")
}
lemp_before_first() {   # true on the step's first apply on this host (no record, no generation)
  [ ! -f "$LEMP_BEFORE_DIR/$LEMP_STEP" ] && [ ! -s "$LEMP_GENERATION_DIR/$LEMP_STEP" ]
}
lemp_before_save() {   # stdin: the record's lines ("KIND VALUE"), given as `< <(...)` (a pipe would run it in a
  # subshell, and $LEMP_BEFORE would stay empty); bookkeeping, not counted as a change
  [ -d "$LEMP_STATE_DIR" ] || install -d -m 0700 "$LEMP_STATE_DIR"   # never change its mode (database.sh owns it)
  [ -d "$LEMP_BEFORE_DIR" ] || install -d -m 0700 "$LEMP_BEFORE_DIR"
  cat >"$LEMP_BEFORE_DIR/$LEMP_STEP.new"
  mv -f "$LEMP_BEFORE_DIR/$LEMP_STEP.new" "$LEMP_BEFORE_DIR/$LEMP_STEP"
  LEMP_BEFORE=$(<"$LEMP_BEFORE_DIR/$LEMP_STEP")
}
lemp_before_had() { [[ $'\n'"$LEMP_BEFORE"$'\n' == *$'\n'"$1 $2"$'\n'* ]]; }   # KIND VALUE: recorded?
lemp_before_has() {   # KIND VALUE: recorded before the first apply, and not to be removed?
  [ "${LEMP_REMOVE_PREEXISTING:-0}" != 1 ] && lemp_before_had "$1" "$2"
}
lemp_before_kept() {   # KIND VALUE: reported as kept (a fact, and a line on stderr)
  lemp_fact kept "$1 $2"
  lemp_log "kept: $1 $2 (here before the stack; removePreexisting removes it)"
}
lemp_before_forget() { rm -f "$LEMP_BEFORE_DIR/$LEMP_STEP"; rmdir "$LEMP_BEFORE_DIR" 2>/dev/null || true; }

lemp_service_disable_stop() {   # NAME: disabled (systemd; dropped from the boot list without) and stopped
  local name=$1
  if lemp_has_systemd; then
    if systemctl is-enabled --quiet "$name" 2>/dev/null; then
      systemctl disable --quiet "$name"
      lemp_changed "disabled $name"
    fi
    if systemctl is-active --quiet "$name"; then
      systemctl stop "$name"
      lemp_changed "stopped $name"
    fi
  else
    if grep -qxF -- "$name" "$LEMP_BOOT_SERVICES" 2>/dev/null; then
      grep -vxF -- "$name" "$LEMP_BOOT_SERVICES" >"$LEMP_BOOT_SERVICES.new" || true
      mv -f "$LEMP_BOOT_SERVICES.new" "$LEMP_BOOT_SERVICES"
      lemp_changed "disabled $name (no longer started at boot)"
    fi
    if command -v service >/dev/null && service "$name" status >/dev/null 2>&1; then
      service "$name" stop >&2
      lemp_changed "stopped $name"
    fi
  fi
}

lemp_remove_tree() {   # PATH: a directory and all it holds
  if [ -e "$1" ] || [ -L "$1" ]; then
    rm -rf -- "$1"
    lemp_changed "removed $1"
  fi
}

lemp_rmdir_empty() {   # DIR...: each removed when empty
  local d
  for d in "$@"; do
    if [ -d "$d" ] && [ -z "$(ls -A "$d")" ]; then
      rmdir "$d"
      lemp_changed "removed empty directory $d"
    fi
  done
}

lemp_purge_packages() {   # PACKAGE...: purged (with what only they needed) when LEMP_PURGE_PACKAGES=1
  local p installed=()
  [ "$LEMP_PURGE_PACKAGES" = 1 ] || return 0
  for p in "$@"; do
    if lemp_pkg_installed "$p"; then installed+=("$p"); fi
  done
  [ ${#installed[@]} -gt 0 ] || return 0
  lemp_apt_get purge --auto-remove "${installed[@]}"
  lemp_changed "purged ${installed[*]}"
}

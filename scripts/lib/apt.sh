# --- apt -------------------------------------------------------------------------------------------------------
LEMP_APT=(apt-get -q -y -o DPkg::Lock::Timeout=300)

# lemp_apt_get ARGS...: apt-get, output on stderr. Waits while another apt or dpkg run holds its locks (DPkg::Lock::Timeout
# covers dpkg's lock, not the package lists' lock of "update"), and finishes a dpkg run that was cut short (an SSH
# session dropped in the middle of an install) before trying again: a re-run converges instead of failing.
lemp_apt_get() {
  local out rc _ reconfigured=0
  for _ in $(seq 1 150); do
    out=$(DEBIAN_FRONTEND=noninteractive "${LEMP_APT[@]}" "$@" 2>&1) && { printf '%s\n' "$out" >&2; return 0; }
    rc=$?
    printf '%s\n' "$out" >&2
    case "$out" in
      *"dpkg was interrupted"*)
        lemp_log "finishing an interrupted dpkg run (dpkg --configure -a)"
        DEBIAN_FRONTEND=noninteractive dpkg --configure -a >&2 ;;
      *"Errors were encountered while processing"*)
        # a package's configuration script failed (e.g. a database server that did not start in time on a loaded
        # host): configured once more, then the command again; a second failure is the step's error
        [ "$reconfigured" = 0 ] || return "$rc"
        reconfigured=1
        lemp_log "a package failed to configure: dpkg --configure -a, then once more"
        DEBIAN_FRONTEND=noninteractive dpkg --configure -a >&2 || true ;;
      *"Could not get lock"* | *"Unable to lock"* | *"Could not open lock file"*)
        lemp_log "apt is busy in another process; waiting"
        sleep 2 ;;
      *) return "$rc" ;;
    esac
  done
  lemp_die "apt stayed locked by another process for 5 minutes"
}

lemp_apt_lists_age() {   # seconds since our last successful apt-get update; huge when unknown or lists are absent
  local stamp=$LEMP_STATE_DIR/apt-update.stamp now
  now=$(date +%s)
  if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null || [ ! -f "$stamp" ]; then echo 999999999; return; fi
  echo $((now - $(stat -c %Y "$stamp")))
}

lemp_apt_update_if_stale() {
  local max=${LEMP_APT_MAX_AGE:-3600} age
  [[ $max =~ ^[0-9]+$ ]] || lemp_die "LEMP_APT_MAX_AGE must be a number of seconds, not '$max'"
  age=$(lemp_apt_lists_age)
  if [ "$age" -lt "$max" ]; then return 0; fi
  lemp_log "apt-get update (package lists older than ${max}s or absent)"
  lemp_apt_get update
  install -d -m 0700 "$LEMP_STATE_DIR"
  touch "$LEMP_STATE_DIR/apt-update.stamp"
  lemp_changed "apt package lists updated"
}

lemp_install_step_packages() {   # STEP...
  local step more packages=()
  for step in "$@"; do
    read -r -a more <<<"$(lemp_step_packages "$step")"
    packages+=("${more[@]}")
  done
  lemp_apt_install "${packages[@]}"
}

lemp_pkg_installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]; }

lemp_apt_install() {   # packages...: installs those not installed yet
  local p name status missing=() installed=" "
  [ $# -gt 0 ] || return 0
  # one dpkg-query for them all (it names only the packages it knows, and fails when one is unknown)
  while IFS=$'\t' read -r name status; do
    [ "$status" != installed ] || installed+="$name "
  done < <(dpkg-query -W -f='${Package}\t${db:Status-Status}\n' "$@" 2>/dev/null || true)
  for p in "$@"; do [[ $installed == *" $p "* ]] || missing+=("$p"); done
  [ ${#missing[@]} -gt 0 ] || return 0
  lemp_apt_update_if_stale
  lemp_log "installing ${missing[*]}"
  lemp_apt_get --no-install-recommends install "${missing[@]}"
  lemp_changed "installed ${missing[*]}"
}


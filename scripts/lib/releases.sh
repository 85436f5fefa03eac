# --- the user's application's releases (stage.sh, release.sh, their undos) -----------------------------------------
LEMP_APP_PREVIEW_PORT=8079   # nginx.sh's loopback server for staged releases (the release named by a header)
lemp_app_live() {   # BASE: the id of the release BASE/current names (nothing when none)
  local t
  t=$(readlink "$1/current" 2>/dev/null) || return 0
  if [[ $t =~ ^releases/([0-9a-f]{20})$ ]]; then echo "${BASH_REMATCH[1]}"; fi
}
lemp_app_answer() {   # URL [HEADER]: the HTTP status of a GET (000: none), retried for up to 10 s while it is not 200
  local code deadline=$((SECONDS + 10)) extra=()
  [ -z "${2:-}" ] || extra=(-H "$2")
  # the site itself over TLS when this host serves it (the certificate is not what is checked here)
  if [[ $1 == https://* ]]; then extra+=(-k --resolve "$LEMP_SERVER_NAME:$LEMP_HTTPS_PORT:127.0.0.1"); fi
  while :; do
    code=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' -H "Host: $LEMP_SERVER_NAME" "${extra[@]}" "$1" || true)
    if [ "$code" = 200 ] || [ "$SECONDS" -ge "$deadline" ]; then echo "${code:-000}"; return 0; fi
    sleep 0.5
  done
}
lemp_app_precheck() {   # ID LIVE: the health path answers 200 through release ID (staged, not live yet), or the error
  local code
  code=$(lemp_app_answer "http://127.0.0.1:$LEMP_APP_PREVIEW_PORT$LEMP_APP_HEALTH_PATH" "X-Seed-Web-Release: $1")
  [ "$code" = 200 ] || lemp_die "release $1: $LEMP_APP_HEALTH_PATH answered HTTP $code through the new release, expected 200: it did not go live (${2:+release $2 still serves}${2:-no release was live})"
}
lemp_app_remove() {   # BASE: the releases and the `current` link removed; BASE/shared (the owner's data) only with
  # LEMP_DESTROY_DATA=1, else kept and reported
  local base=$1
  lemp_remove "$base/current"
  lemp_remove "$base/.current.new"
  rm -f -- "$base/.previous"
  if [ -d "$base/releases" ]; then
    rm -rf -- "${base:?}/releases"
    lemp_changed "releases removed from $base/releases"
  fi
  if [ -d "$base/shared" ]; then
    if [ "${LEMP_DESTROY_DATA:-0}" = 1 ]; then
      rm -rf -- "${base:?}/shared"
      lemp_changed "shared paths removed (destroyData)"
    else
      lemp_log "kept: $base/shared (the application's shared paths; set destroyData to remove them)"
    fi
  fi
  lemp_rmdir_empty "$base"
}


#!/usr/bin/env bash
# Step "smoke": the site answers on this host. Changes nothing.
# Settings: LEMP_SERVER_NAME (Host header), LEMP_HTTP_PORT (default 80), LEMP_SMOKE_TIMEOUT (s, default 15).
# Checks: http://127.0.0.1:PORT/ -> 200 with "seed-web:static"; /index.php -> 200 with "seed-web:php" and the row.
set -euo pipefail
if ! declare -F lemp_init >/dev/null; then
  # shellcheck source-path=SCRIPTDIR source=lib.sh
  . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
fi
lemp_init smoke

LEMP_HTTP_PORT=${LEMP_HTTP_PORT:-80}
LEMP_SMOKE_TIMEOUT=${LEMP_SMOKE_TIMEOUT:-15}
lemp_require LEMP_SERVER_NAME '^[A-Za-z0-9.-]+$' 'a server name'
lemp_require LEMP_HTTP_PORT '^[1-9][0-9]{0,4}$' 'a TCP port'
lemp_require LEMP_SMOKE_TIMEOUT '^[1-9][0-9]*$' 'a number of seconds'
command -v curl >/dev/null || lemp_die "curl is not installed: run base.sh first"

body=$(mktemp)
trap 'rm -f "$body"' EXIT

# check PATH MARKER...: poll until PATH answers 200 with every marker (after a reload an old worker may answer first)
check() {
  local url="http://127.0.0.1:$LEMP_HTTP_PORT$1" code="" absent="" m deadline
  shift
  deadline=$((SECONDS + LEMP_SMOKE_TIMEOUT))
  while :; do
    code=$(curl -s -o "$body" -w '%{http_code}' --max-time 5 -H "Host: $LEMP_SERVER_NAME" "$url" || true)
    absent=""
    for m in "$@"; do grep -qF -- "$m" "$body" || absent+="${absent:+, }'$m'"; done
    if [ "$code" = 200 ] && [ -z "$absent" ]; then
      lemp_log "ok: $url (Host: $LEMP_SERVER_NAME)"
      return 0
    fi
    [ "$SECONDS" -lt "$deadline" ] || break
    sleep 0.5
  done
  if [ "$code" = 000 ] || [ -z "$code" ]; then
    lemp_die "no answer from $url (Host: $LEMP_SERVER_NAME) within ${LEMP_SMOKE_TIMEOUT}s: is nginx running on port $LEMP_HTTP_PORT?"
  elif [ "$code" != 200 ]; then
    lemp_die "$url (Host: $LEMP_SERVER_NAME) answered HTTP $code, expected 200"
  fi
  lemp_die "$url (Host: $LEMP_SERVER_NAME) answered 200 but without $absent"
}

check / 'seed-web:static'
lemp_fact smoke_static ok
check /index.php 'seed-web:php' 'Hello from MySQL'
lemp_fact smoke_php ok
lemp_finish

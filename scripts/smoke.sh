#!/usr/bin/env bash
# Step "smoke": the site answers on this host. Changes nothing.
# Settings: LEMP_SERVER_NAME (Host header), LEMP_HTTP_PORT (default 80), LEMP_SMOKE_TIMEOUT (s, default 15),
#           LEMP_TLS (none = the default | self-signed | letsencrypt), LEMP_HTTPS_PORT (443), LEMP_REDIRECT_HTTP (0/1),
#           LEMP_SMOKE_INSECURE (1 = do not verify a letsencrypt certificate; for tests against a test ACME server),
#           LEMP_SMOKE_APP_PATH (the user's application is served: its health path must answer 200, and the stack's
#           /health.php "ok", instead of the demo pages).
# Checks: / -> 200 with "seed-web:static"; /index.php -> 200 with "seed-web:php" and the row; over
# http://127.0.0.1:PORT with the Host header, or with TLS over https://NAME:HTTPS_PORT resolved to 127.0.0.1 (the
# certificate verified, except self-signed), then http answering 301 to https://NAME when LEMP_REDIRECT_HTTP=1.
# The same on a web host (Nginx) and on the load balancer (HAProxy in front of the web hosts).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
declare -F lemp_init >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lemp_init smoke

LEMP_HTTP_PORT=${LEMP_HTTP_PORT:-80}
LEMP_SMOKE_TIMEOUT=${LEMP_SMOKE_TIMEOUT:-15}
lemp_require LEMP_SERVER_NAME '^[A-Za-z0-9.-]+$' 'a server name'
lemp_require LEMP_HTTP_PORT '^[1-9][0-9]{0,4}$' 'a TCP port'
lemp_require LEMP_SMOKE_TIMEOUT '^[1-9][0-9]*$' 'a number of seconds'
lemp_tls_settings
LEMP_SMOKE_INSECURE=${LEMP_SMOKE_INSECURE:-0}
lemp_require LEMP_SMOKE_INSECURE '^[01]$' '1 or 0'
LEMP_SMOKE_APP_PATH=${LEMP_SMOKE_APP_PATH:-}
[ -z "$LEMP_SMOKE_APP_PATH" ] || lemp_require LEMP_SMOKE_APP_PATH '^/[A-Za-z0-9._~/?=&%-]*$' 'a path starting with /'
lemp_inputs_checked   # LEMP_CHECK_ONLY=1 stops here: settings checked, nothing read from stdin, nothing changed
command -v curl >/dev/null || lemp_die "curl is not installed: run base.sh first"

body=$(mktemp)
trap 'rm -f "$body"' EXIT

# check SCHEME PATH MARKER...: poll until PATH answers 200 with every marker (after a reload an old worker may answer
# first)
check() {
  local scheme=$1 url code="" absent="" m deadline what curl_args=(-s --max-time 5)
  shift
  if [ "$scheme" = https ]; then
    url="https://$LEMP_SERVER_NAME:$LEMP_HTTPS_PORT$1"
    curl_args+=(--resolve "$LEMP_SERVER_NAME:$LEMP_HTTPS_PORT:127.0.0.1")
    if [ "$LEMP_TLS" = self-signed ] || [ "$LEMP_SMOKE_INSECURE" = 1 ]; then curl_args+=(-k); fi
    what="$url (on 127.0.0.1)"
  else
    url="http://127.0.0.1:$LEMP_HTTP_PORT$1"
    curl_args+=(-H "Host: $LEMP_SERVER_NAME")
    what="$url (Host: $LEMP_SERVER_NAME)"
  fi
  shift
  deadline=$((SECONDS + LEMP_SMOKE_TIMEOUT))
  while :; do
    code=$(curl "${curl_args[@]}" -o "$body" -w '%{http_code}' "$url" || true)
    absent=""
    for m in "$@"; do grep -qF -- "$m" "$body" || absent+="${absent:+, }'$m'"; done
    if [ "$code" = 200 ] && [ -z "$absent" ]; then
      lemp_log "ok: $what"
      return 0
    fi
    [ "$SECONDS" -lt "$deadline" ] || break
    sleep 0.5
  done
  if [ "$code" = 000 ] || [ -z "$code" ]; then
    local rc=0
    curl "${curl_args[@]}" -S -o /dev/null "$url" >&2 || rc=$?   # curl's own reason (refused, TLS, certificate...)
    case $rc in
      60) lemp_die "$what presents a certificate this host does not trust (curl exit 60): check the issuer and the names" ;;
      35 | 58 | 59) lemp_die "TLS handshake with $what failed (curl exit $rc): check the certificate and key files" ;;
      *) lemp_die "no answer from $what within ${LEMP_SMOKE_TIMEOUT}s (curl exit $rc): is the web server running on that port?" ;;
    esac
  elif [ "$code" != 200 ]; then
    lemp_die "$what answered HTTP $code, expected 200"
  fi
  lemp_die "$what answered 200 but without $absent"
}

# check_redirect PATH: plain HTTP answers 301 to https://NAME[:PORT]PATH
check_redirect() {
  local url="http://127.0.0.1:$LEMP_HTTP_PORT$1" want="https://$LEMP_SERVER_NAME" got="" deadline
  [ "$LEMP_HTTPS_PORT" = 443 ] || want+=":$LEMP_HTTPS_PORT"
  want+=$1
  deadline=$((SECONDS + LEMP_SMOKE_TIMEOUT))
  while :; do
    got=$(curl -s --max-time 5 -o /dev/null -w '%{http_code} %{redirect_url}' -H "Host: $LEMP_SERVER_NAME" "$url" || true)
    if [ "$got" = "301 $want" ]; then
      lemp_log "ok: $url (Host: $LEMP_SERVER_NAME) -> 301 $want"
      return 0
    fi
    [ "$SECONDS" -lt "$deadline" ] || break
    sleep 0.5
  done
  lemp_die "$url (Host: $LEMP_SERVER_NAME) answered '${got:-nothing}', expected '301 $want'"
}

pages() {   # SCHEME: the demo's static and PHP pages, or the application's health path and the stack's check
  if [ -n "$LEMP_SMOKE_APP_PATH" ]; then
    check "$1" /health.php 'ok'
    check "$1" "$LEMP_SMOKE_APP_PATH"
  else
    check "$1" / 'seed-web:static'
    check "$1" /index.php 'seed-web:php' 'Hello from MySQL'
  fi
}
scheme=http
[ "$LEMP_TLS" = none ] || scheme=https
pages "$scheme"
lemp_fact smoke_static ok
lemp_fact smoke_php ok
if [ "$LEMP_TLS" != none ]; then
  lemp_fact smoke_https ok
  if [ "$LEMP_REDIRECT_HTTP" = 1 ]; then
    check_redirect /index.php
    lemp_fact smoke_redirect ok
  else
    pages http
    lemp_fact smoke_http ok
  fi
fi
lemp_finish

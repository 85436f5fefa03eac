#!/usr/bin/env bash
# Step "release": the user's application goes live on this web host, the release switched atomically.
#   <base>/releases/<id>   one directory per release (stage.sh stages it, on every web host before any switch)
#   <base>/current         the live release (a symbolic link, replaced in one rename)
# Settings: LEMP_APP_BASE, LEMP_APP_RELEASE (the id to serve: staged here already),
#           LEMP_APP_KEEP (releases kept, the live one included; default 5), LEMP_APP_HEALTH_PATH (default /),
#           LEMP_SERVER_NAME (the Host header of the checks), the TLS settings (lemp_tls_settings: the live check goes
#           over HTTPS when this host serves it),
#           LEMP_APP_AGENT_PORT, LEMP_APP_AGENT_BIND, LEMP_APP_BALANCER (behind HAProxy: the agent its agent-check asks
#           every second, on BIND:PORT, answers "ready", or "drain" while this host switches: the balancer sends it no
#           new request, the ones in flight from BALANCER finish (at most LEMP_APP_DRAIN_TIMEOUT s, default 60), then
#           the switch, then "ready" again once the site answers from the new release).
# The staged release is checked through itself once more (nginx.sh's server on 127.0.0.1:8079, the release named by a
# header), goes live, and stays live only if the site then answers 200 from it; else the previous release is put back
# and the step fails naming the check. Then opcache is reset (a deploy never fills it: PHP runs releases by their real
# paths), and the releases past LEMP_APP_KEEP are removed (never the live one, nor the one before it: the rollback).
# Idempotent: the live release again changes nothing and checks nothing.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
declare -F lemp_init >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lemp_init release
lemp_os

LEMP_APP_KEEP=${LEMP_APP_KEEP:-5}
LEMP_APP_HEALTH_PATH=${LEMP_APP_HEALTH_PATH:-/}
lemp_require LEMP_APP_BASE '^/[A-Za-z0-9._/-]+$' 'an absolute path (letters, digits, . _ - /)'
lemp_require LEMP_APP_RELEASE '^[0-9a-f]{20}$' 'a release id (20 hex digits)'
lemp_require LEMP_APP_KEEP '^([2-9]|[1-4][0-9]|50)$' 'a number from 2 to 50'
lemp_require LEMP_APP_HEALTH_PATH '^/[A-Za-z0-9._~/?=&%-]*$' 'a path starting with /'
lemp_require LEMP_SERVER_NAME '^[A-Za-z0-9.-]+$' 'a server name'
LEMP_APP_AGENT_PORT=${LEMP_APP_AGENT_PORT:-}
LEMP_APP_DRAIN_TIMEOUT=${LEMP_APP_DRAIN_TIMEOUT:-60}
if [ -n "$LEMP_APP_AGENT_PORT" ]; then
  lemp_require LEMP_APP_AGENT_PORT '^[1-9][0-9]{0,4}$' 'a TCP port'
  lemp_require LEMP_APP_AGENT_BIND '^[0-9.]+$' 'this host'"'"'s private IPv4 address'
  lemp_require LEMP_APP_BALANCER '^[0-9.]+$' 'the balancer'"'"'s IPv4 address'
fi
lemp_require LEMP_APP_DRAIN_TIMEOUT '^[1-9][0-9]{0,3}$' 'a number of seconds'
lemp_tls_settings   # LEMP_TLS: the live check goes over HTTPS when this host serves it
lemp_inputs_checked   # LEMP_CHECK_ONLY=1 stops here: settings checked, nothing read from stdin, nothing changed
command -v curl >/dev/null || lemp_die "curl is not installed: run base.sh first"

base=$LEMP_APP_BASE
id=$LEMP_APP_RELEASE
dir=$base/releases/$id
[ "$(cat "$dir/.seed-web-release" 2>/dev/null || true)" = "$id" ] || lemp_die "release $id is not staged on this host ($dir): the stage step stages it first"

point_current() {   # ID: `current` names releases/ID, replaced in one rename (never absent, never half-written)
  ln -sfn "releases/$1" "$base/.current.new"
  mv -T "$base/.current.new" "$base/current"
}
opcache_reset() {   # the scripts of the releases no longer live leave opcache (in-flight requests finish first)
  local r
  r=$(curl -s --max-time 10 "http://127.0.0.1:$LEMP_APP_PREVIEW_PORT/.seed-web/opcache-reset" || true)
  [ "$r" = reset ] || lemp_log "warning: opcache was not reset (${r:-no answer}): it keeps the previous release's scripts until PHP-FPM restarts"
}

# --- the agent HAProxy's agent-check reads (behind a balancer): "ready", or "drain" during this host's switch ---
agent_state=/var/lib/seed-web/lb-agent
agent_seen=/run/seed-web-agent/seen
drained=0
agent_set() {   # STATE: what the agent answers from now on
  printf '%s\n' "$1" >"$agent_state.new"
  mv -f "$agent_state.new" "$agent_state"
}
agent_read_since() {   # STATE NS: true once the balancer has read STATE at or after NS (date +%s%N)
  local s t
  read -r s t <"$agent_seen" 2>/dev/null || return 1
  [ "$s" = "$1" ] && [ "$t" -ge "$2" ]
}
balancer_polls() {   # the balancer asked within the last 5 s
  local t
  read -r _ t <"$agent_seen" 2>/dev/null || return 1
  [ $(( $(date +%s%N) - t )) -lt 5000000000 ]
}
# the balancer's requests in flight here: its connections to the site (plain HTTP, or TLS for the balancer: nginx.sh)
in_flight() { ss -Htn state established "( sport = :80 or sport = :443 )" dst "$LEMP_APP_BALANCER" | wc -l; }
drain() {   # out of the rotation, and the balancer's requests in flight done
  local t0 deadline n quiet=0 started=$SECONDS first=""
  if ! balancer_polls; then
    lemp_log "no balancer asks this host's agent yet: nothing to drain"
    return 0
  fi
  t0=$(date +%s%N)
  drained=1
  agent_set drain
  deadline=$((SECONDS + 10))
  until agent_read_since drain "$t0"; do
    [ "$SECONDS" -lt "$deadline" ] || lemp_die "the balancer ($LEMP_APP_BALANCER) did not read the drain within 10 s: release $id did not go live"
    sleep 0.2
  done
  deadline=$((SECONDS + LEMP_APP_DRAIN_TIMEOUT))
  while :; do
    n=$(in_flight)
    [ -n "$first" ] || first=$n
    if [ "$n" = 0 ]; then quiet=$((quiet + 1)); else quiet=0; fi
    [ "$quiet" -lt 2 ] || break
    if [ "$SECONDS" -ge "$deadline" ]; then
      lemp_log "drained, $n request(s) from the balancer still in flight after ${LEMP_APP_DRAIN_TIMEOUT}s: they finish in the release they started in"
      break
    fi
    sleep 0.2
  done
  lemp_log "drained from the balancer in $((SECONDS - started)) s ($first request(s) from it in flight when the drain began, $n left)"
}
undrain() {   # back in the rotation, once the balancer has read it
  local t0 deadline
  [ "$drained" = 1 ] || return 0
  t0=$(date +%s%N)
  agent_set ready
  drained=0
  deadline=$((SECONDS + 10))
  until agent_read_since ready "$t0"; do
    [ "$SECONDS" -lt "$deadline" ] || { lemp_log "warning: the balancer did not read ready within 10 s"; return 0; }
    sleep 0.2
  done
}
# whatever stops this script, a drained host goes back into the rotation (the live release serves)
trap 'if [ "$drained" = 1 ]; then agent_set ready; fi' EXIT
if [ -n "$LEMP_APP_AGENT_PORT" ]; then
  lemp_install_step_packages release
  lemp_mkdir /var/lib/seed-web 0755 root:root
  lemp_mkdir /usr/local/lib/seed-web 0755 root:root
  [ -f "$agent_state" ] || agent_set ready
  agent_changed=0
  lemp_write_file /usr/local/lib/seed-web/lb-agent 0755 root:root <<'SH'
#!/bin/sh
# Managed by seed-web (scripts/release.sh): this web host's answer to HAProxy's agent-check, one line: "ready", or
# "drain" while release.sh switches its release. Records what it answered, and when, for release.sh.
s=$(cat /var/lib/seed-web/lb-agent 2>/dev/null) || s=ready
case $s in drain) ;; *) s=ready ;; esac
printf '%s\n' "$s"
printf '%s %s\n' "$s" "$(date +%s%N)" >/run/seed-web-agent/seen.new && mv -f /run/seed-web-agent/seen.new /run/seed-web-agent/seen
SH
  [ "$LEMP_WROTE" = 0 ] || agent_changed=1
  lemp_write_file /etc/systemd/system/seed-web-lb-agent.service 0644 root:root <<UNIT
# Managed by seed-web (scripts/release.sh)
[Unit]
Description=seed-web: this web host's state for HAProxy's agent-check (ready, or drain during a release switch)
After=network-online.target

[Service]
ExecStart=/usr/bin/socat -T 2 TCP-LISTEN:$LEMP_APP_AGENT_PORT,bind=$LEMP_APP_AGENT_BIND,reuseaddr,fork EXEC:/usr/local/lib/seed-web/lb-agent
DynamicUser=yes
RuntimeDirectory=seed-web-agent
Restart=always
RestartSec=1

[Install]
WantedBy=multi-user.target
UNIT
  if [ "$LEMP_WROTE" = 1 ]; then agent_changed=1; lemp_has_systemd && systemctl daemon-reload; fi
  lemp_service_enable_start seed-web-lb-agent
  if [ "$agent_changed" = 1 ] && [ "$LEMP_STARTED" = 0 ]; then lemp_service_restart seed-web-lb-agent; fi
fi

lemp_mkdir /usr/share/seed-web 0755 root:root
lemp_write_file /usr/share/seed-web/opcache-reset.php 0644 root:root <<'PHP'
<?php
// Managed by seed-web (scripts/release.sh): served on 127.0.0.1 only (nginx.sh), after a release switch.
header('Content-Type: text/plain');
echo function_exists('opcache_reset') && opcache_reset() ? "reset\n" : "not reset\n";
PHP

live=$(lemp_app_live "$base")
if [ "$live" != "$id" ]; then
  # --- the staged release checked once more right before it goes live (the host may have changed since) ---
  lemp_app_precheck "$id" "$live"
  # --- out of the balancer's rotation (behind one), then the switch: one rename; requests in flight finish in the
  # release they started in ($realpath_root) ---
  [ -z "$LEMP_APP_AGENT_PORT" ] || drain
  point_current "$id"
  lemp_changed "release $id is live (was ${live:-none})"
  opcache_reset
  if [ "$LEMP_TLS" = none ] || { [ "$LEMP_TLS" = letsencrypt ] && ! lemp_tls_cert_present "$LEMP_SERVER_NAME"; }; then site_url=http://127.0.0.1:80; else site_url=https://$LEMP_SERVER_NAME:$LEMP_HTTPS_PORT; fi
  code=$(lemp_app_answer "$site_url$LEMP_APP_HEALTH_PATH")
  if [ "$code" != 200 ]; then
    if [ -n "$live" ]; then
      point_current "$live"
      opcache_reset
    fi
    lemp_die "release $id: $LEMP_APP_HEALTH_PATH answered HTTP $code once live, expected 200: ${live:+release $live is live again}${live:-no release was live before}"
  fi
  undrain
  printf '%s\n' "$live" >"$base/.previous"
  # --- prune: the newest LEMP_APP_KEEP releases stay, always the live one and the previous one ---
  previous=$live
  n=0
  while read -r _ r; do
    n=$((n + 1))
    if [ "$n" -gt "$LEMP_APP_KEEP" ] && [ "$r" != "$id" ] && [ "$r" != "$previous" ]; then
      rm -rf -- "${base:?}/releases/$r"
      lemp_changed "release $r removed (more than $LEMP_APP_KEEP kept)"
    fi
  done < <(find "$base/releases" -mindepth 2 -maxdepth 2 -name .seed-web-release -printf '%T@ %h\n' | sed -E 's#^([^ ]+) .*/([0-9a-f]{20})$#\1 \2#' | grep -E ' [0-9a-f]{20}$' | sort -rn)
fi

lemp_fact release "$id"
lemp_fact releases "$(find "$base/releases" -mindepth 1 -maxdepth 1 -type d -regextype posix-extended -regex '.*/[0-9a-f]{20}' | wc -l)"
lemp_finish

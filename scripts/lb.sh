#!/usr/bin/env bash
# Step "lb": HAProxy in front of the web hosts: round robin with HTTP health checks, X-Forwarded-For/-Proto, TLS
# terminated here when asked.
# Settings: LEMP_LB_BACKENDS (space-separated NAME=ADDRESS:PORT, e.g. "web-01=10.200.0.103:80"),
#           LEMP_SERVER_NAMES (space-separated, first = site name: the health check's Host header, the certificate),
#           LEMP_HTTP_PORT (80), LEMP_TLS (none = the default | self-signed | letsencrypt), LEMP_HTTPS_PORT (443),
#           LEMP_REDIRECT_HTTP (1 = plain HTTP answers 301 to https, except ACME challenges; default 0),
#           LEMP_HSTS_MAX_AGE (s, 0 = no header, the default), LEMP_HEALTH_PATH (default /),
#           LEMP_LB_SERVER_MAXCONN (requests at once per web host, default 64; the rest wait in HAProxy's queue),
#           LEMP_LB_QUEUE_TIMEOUT (s a request waits there, default 10; then 503 with Retry-After),
#           LEMP_LB_AGENT_PORT (the web hosts' agent: HAProxy asks it every second whether the host is ready or
#           draining; release.sh drains a host that way for its switch. Unset: no agent-check).
# The servers' state (a drained one stays drained) is saved through the runtime API before a reload and loaded by the
# new process (server-state-file).
#           LEMP_LB_BACKEND_TLS (1 = the backends over TLS, health checks included: each one's certificate verified
#           against the stack's CA for the host dialled, that name sent as SNI (an address: NAME.seed-web.invalid,
#           which its certificate names besides the address); 0 = plain HTTP, the default).
# Stdin (LEMP_LB_BACKEND_TLS=1 only): the stack's CA certificate (PEM in base64 on one line), kept in
# /etc/seed-web/tls/backend.invalid/ca.pem.
# Certificate: /etc/seed-web/tls/<site>/haproxy.pem (full chain + key), made from fullchain.pem + privkey.pem.
# letsencrypt: certbot.sh --standalone on 127.0.0.1:8888 answers /.well-known/acme-challenge/ (routed there from
# port 80); until the certificate exists HAProxy serves plain HTTP and the TLS configuration waits in
# /etc/seed-web/pending/haproxy/haproxy.cfg for certbot.sh's deploy hook.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
declare -F lemp_init >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lemp_init lb
lemp_os

LEMP_HTTP_PORT=${LEMP_HTTP_PORT:-80}
LEMP_HEALTH_PATH=${LEMP_HEALTH_PATH:-/}
lemp_require LEMP_SERVER_NAMES '^[A-Za-z0-9.*-]+( [A-Za-z0-9.*-]+)*$' 'space-separated server names'
lemp_require LEMP_LB_BACKENDS '^[A-Za-z0-9_.-]+=[A-Za-z0-9.-]+:[1-9][0-9]{0,4}( [A-Za-z0-9_.-]+=[A-Za-z0-9.-]+:[1-9][0-9]{0,4})*$' \
  'space-separated NAME=ADDRESS:PORT'
lemp_require LEMP_HTTP_PORT '^[1-9][0-9]{0,4}$' 'a TCP port'
lemp_require LEMP_HEALTH_PATH '^/[A-Za-z0-9._~/?=&%-]*$' 'a path starting with /'
LEMP_LB_SERVER_MAXCONN=${LEMP_LB_SERVER_MAXCONN:-64}
LEMP_LB_QUEUE_TIMEOUT=${LEMP_LB_QUEUE_TIMEOUT:-10}
lemp_require LEMP_LB_SERVER_MAXCONN '^[1-9][0-9]{0,4}$' 'a number of connections (1-99999)'
lemp_require LEMP_LB_QUEUE_TIMEOUT '^[1-9][0-9]{0,2}$' 'a number of seconds (1-999)'
LEMP_LB_AGENT_PORT=${LEMP_LB_AGENT_PORT:-}
[ -z "$LEMP_LB_AGENT_PORT" ] || lemp_require LEMP_LB_AGENT_PORT '^[1-9][0-9]{0,4}$' 'a TCP port'
LEMP_LB_BACKEND_TLS=${LEMP_LB_BACKEND_TLS:-0}
lemp_require LEMP_LB_BACKEND_TLS '^[01]$' '1 or 0'
lemp_tls_settings
[ "$LEMP_HTTPS_PORT" != "$LEMP_HTTP_PORT" ] || [ "$LEMP_TLS" = none ] || lemp_die "LEMP_HTTPS_PORT and LEMP_HTTP_PORT must differ"
read -r -a names <<<"$LEMP_SERVER_NAMES"
read -r -a backends <<<"$LEMP_LB_BACKENDS"
site=${names[0]}
[[ $site != *'*'* ]] || lemp_die "the first server name is the site name and cannot hold a wildcard: $site"
lemp_inputs_checked   # LEMP_CHECK_ONLY=1 stops here: settings checked, nothing read from stdin, nothing changed
backend_ca=$LEMP_TLS_ROOT/backend.invalid/ca.pem   # .invalid: never a site's name (RFC 2606)
ca_pem=""
if [ "$LEMP_LB_BACKEND_TLS" = 1 ]; then
  lemp_read_secret ca_pem
  ca_pem=$(printf '%s' "$ca_pem" | base64 -d 2>/dev/null) || true
  [[ $ca_pem == -----BEGIN* ]] || lemp_die "LEMP_LB_BACKEND_TLS=1: standard input holds no CA certificate (PEM in base64 on one line)"
fi
pem=$LEMP_TLS_ROOT/$site/haproxy.pem
cfg=/etc/haproxy/haproxy.cfg
errfile=/etc/haproxy/errors/seed-web-503.http
state_file=/var/lib/haproxy/server-state

lemp_install_step_packages lb

bind_addr() {   # PORT: all IPv4 (and IPv6 when the kernel has it) addresses
  if [ -e /proc/net/if_inet6 ]; then echo ":::$1 v4v6"; else echo "*:$1"; fi
}

# known_hosts PORT: the frontend's acl of the site's names (the Host header whole: a name, or a name with this port)
# and the rule that closes the connection of any other request (an unknown Host, an address, none at all)
known_hosts() {
  local n exact=() ends=()
  for n in "${names[@]}"; do
    n=${n,,}
    if [[ $n == '*.'* ]]; then ends+=("${n#\*}" "${n#\*}:$1"); else exact+=("$n" "$n:$1"); fi
  done
  [ ${#exact[@]} -eq 0 ] || echo "    acl known_host req.hdr(host),lower -m str ${exact[*]}"
  [ ${#ends[@]} -eq 0 ] || echo "    acl known_host req.hdr(host),lower -m end ${ends[*]}"
  echo "    http-request reject unless known_host"
}

lb_conf() {   # TLS (1: the TLS configuration; 0: plain HTTP only)
  local b name addr host n port_suffix=""
  [ "$LEMP_HTTPS_PORT" = 443 ] || port_suffix=":$LEMP_HTTPS_PORT"
  cat <<CONF
# Managed by seed-web (scripts/lb.sh): changes here are overwritten.
global
    log /dev/log local0
    log /dev/log local1 notice
    chroot /var/lib/haproxy
    stats socket /run/haproxy/admin.sock mode 660 level admin
    stats timeout 30s
    # the servers' state (drained, in maintenance) across a reload: saved from the runtime API right before it
    server-state-file $state_file
    user haproxy
    group haproxy
    daemon
    # the serving profile: what the web hosts take at once plus their queue, with room for the health checks
    maxconn $(( ${#backends[@]} * LEMP_LB_SERVER_MAXCONN * 4 + 1000 ))
    # TLS 1.2 and 1.3 only, modern ciphers
    ssl-default-bind-ciphers $LEMP_TLS_CIPHERS
    ssl-default-bind-ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256
    ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets

defaults
    log global
    mode http
    option httplog
    option dontlognull
    option forwardfor
    option http-server-close
    # a request to a web host that just went down is sent to another one instead of failing
    option redispatch
    retries 2
    timeout connect 3s
    timeout client 30s
    timeout server 30s
    timeout http-request 10s
    # past the web hosts' maxconn a request waits in the queue this long, then gets a clean 503 with Retry-After
    timeout queue ${LEMP_LB_QUEUE_TIMEOUT}s
    errorfile 503 $errfile
    load-server-state-from-file global

frontend http
    bind $(bind_addr "$LEMP_HTTP_PORT")
    acl acme path_beg /.well-known/acme-challenge/
CONF
  known_hosts "$LEMP_HTTP_PORT"
  if [ "$LEMP_TLS" = letsencrypt ]; then echo "    use_backend acme if acme"; fi
  if [ "$1" = 1 ] && [ "$LEMP_REDIRECT_HTTP" = 1 ]; then
    # to the configured name that was asked for, never the request's Host header
    for n in "${names[@]}"; do
      [[ $n != *'*'* ]] || continue
      echo "    http-request redirect prefix https://$n$port_suffix code 301 if { req.hdr(host),lower,field(1,:) -m str ${n,,} } !acme"
    done
    echo "    http-request redirect prefix https://$site$port_suffix code 301 unless acme"
  fi
  cat <<CONF
    http-request set-header X-Forwarded-Proto http
    default_backend web
CONF
  if [ "$1" = 1 ]; then
    cat <<CONF

frontend https
    bind $(bind_addr "$LEMP_HTTPS_PORT") ssl crt $pem alpn h2,http/1.1
CONF
    known_hosts "$LEMP_HTTPS_PORT"
    echo "    http-request set-header X-Forwarded-Proto https"
    if [ "$LEMP_HSTS_MAX_AGE" -gt 0 ]; then
      echo "    http-response set-header Strict-Transport-Security \"max-age=$LEMP_HSTS_MAX_AGE\""
    fi
    echo "    default_backend web"
  fi
  cat <<CONF

backend web
    balance roundrobin
    option httpchk
    http-check send meth GET uri $LEMP_HEALTH_PATH ver HTTP/1.1 hdr Host $site
    http-check expect status 200
    default-server inter 2s fall 2 rise 2 maxconn $LEMP_LB_SERVER_MAXCONN
CONF
  for b in "${backends[@]}"; do
    name=${b%%=*}
    addr=${b#*=}
    if [ "$LEMP_LB_BACKEND_TLS" = 1 ]; then
      # TLS to the web host, its health checks too; its certificate from the stack's CA and for the host dialled.
      # HAProxy checks the certificate's DNS names against the SNI it sends (verifyhost only when it sends none), never
      # an IP address: for an address, the name its certificate carries besides it, NAME.seed-web.invalid (as
      # lib/topology.ts backendTlsName), which the web host's TLS server for the balancer answers to as well.
      host=${addr%:*}
      if [[ $host =~ ^[0-9.]+$ ]]; then host=$name.seed-web.invalid; fi
      echo "    server $name $addr check ssl verify required ca-file $backend_ca verifyhost $host sni str($host) check-sni $host${LEMP_LB_AGENT_PORT:+ agent-check agent-port $LEMP_LB_AGENT_PORT agent-inter 1s}"
    else
      echo "    server $name $addr check${LEMP_LB_AGENT_PORT:+ agent-check agent-port $LEMP_LB_AGENT_PORT agent-inter 1s}"
    fi
  done
  if [ "$LEMP_TLS" = letsencrypt ]; then
    cat <<CONF

# certbot.sh --standalone answers the ACME http-01 challenges
backend acme
    server certbot 127.0.0.1:$LEMP_ACME_STANDALONE_PORT
CONF
  fi
}

# --- certificate and HAProxy's combined pem ---
lb_changed=0
tls_on=0
case "$LEMP_TLS" in
  self-signed)
    lemp_self_signed_cert "${names[@]}"
    tls_on=1
    ;;
  letsencrypt)
    if lemp_tls_cert_present "$site"; then tls_on=1; fi
    ;;
esac
if [ "$tls_on" = 1 ]; then
  lemp_write_file "$pem" 0600 root:root < <(cat "$LEMP_TLS_ROOT/$site/fullchain.pem" "$LEMP_TLS_ROOT/$site/privkey.pem")
  [ "$LEMP_WROTE" = 0 ] || lb_changed=1
fi

# --- the CA the backends' certificates are verified against ---
if [ "$LEMP_LB_BACKEND_TLS" = 1 ]; then
  lemp_mkdir "$LEMP_TLS_ROOT" 0755 root:root
  lemp_mkdir "${backend_ca%/*}" 0755 root:root
  lemp_write_file "$backend_ca" 0644 root:root <<<"$ca_pem"
  [ "$LEMP_WROTE" = 0 ] || lb_changed=1
fi

# --- the answer when full (no web host free within the queue timeout, or none up) ---
lemp_mkdir /etc/haproxy/errors 0755 root:root
lemp_write_file "$errfile" 0644 root:root < <(printf 'HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nCache-Control: no-store\r\nRetry-After: 5\r\nConnection: close\r\nContent-Length: 37\r\n\r\nBusy: please retry in a few seconds.\n')
[ "$LEMP_WROTE" = 0 ] || lb_changed=1

# --- configuration: checked before it is put in place ---
check_cfg() {   # FILE
  haproxy -c -q -f "$1" >/dev/null 2>&1 || { haproxy -c -f "$1" >&2 || true; lemp_die "haproxy configuration test failed"; }
}
new=$(umask 077 && mktemp /tmp/.lemp-haproxy.XXXXXX)
trap 'rm -f "$new"' EXIT
if [ "$LEMP_TLS" = letsencrypt ] && [ "$tls_on" = 0 ]; then
  lemp_log "no certificate for $site yet: plain HTTP until certbot.sh obtains one"
  lemp_pending_write haproxy haproxy.cfg < <(lb_conf 1)
else
  lemp_pending_clear haproxy haproxy.cfg
fi
lb_conf "$tls_on" >"$new"
check_cfg "$new"
lemp_write_file "$cfg" 0644 root:root <"$new"
[ "$LEMP_WROTE" = 0 ] || lb_changed=1

lemp_service_enable_start haproxy
if [ "$lb_changed" = 1 ] && [ "$LEMP_STARTED" = 0 ]; then
  # the runtime API's view of the servers, for the new process (a host draining for its switch stays drained)
  if [ -S /run/haproxy/admin.sock ]; then
    if echo "show servers state" | socat -t 5 stdio unix-connect:/run/haproxy/admin.sock >"$state_file.new" 2>/dev/null; then
      mv -f "$state_file.new" "$state_file"
    else
      rm -f "$state_file.new"
    fi
  fi
  lemp_service_reload haproxy
fi

lemp_fact site "$site"
lemp_fact http_port "$LEMP_HTTP_PORT"
lemp_fact lb_backends "${#backends[@]}"
lemp_fact lb_backend_tls "$LEMP_LB_BACKEND_TLS"
lemp_fact lb_server_maxconn "$LEMP_LB_SERVER_MAXCONN"
lemp_fact tls "$LEMP_TLS"
lemp_fact tls_active "$tls_on"
[ "$tls_on" = 0 ] || lemp_fact https_port "$LEMP_HTTPS_PORT"
lemp_finish

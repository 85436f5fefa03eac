#!/usr/bin/env bash
# Step "nginx": Nginx serving LEMP_DOC_ROOT for LEMP_SERVER_NAMES on LEMP_HTTP_PORT, PHP through PHP-FPM, and on
# LEMP_HTTPS_PORT with TLS when asked.
# Settings: LEMP_SERVER_NAMES (space-separated, first = site name), LEMP_DOC_ROOT, LEMP_HTTP_PORT (default 80),
#           LEMP_PHP (1 = hand *.php to PHP-FPM, the default; 0 = static only, *.php answered 404),
#           LEMP_TLS (none = the default | self-signed | letsencrypt), LEMP_HTTPS_PORT (443),
#           LEMP_REDIRECT_HTTP (1 = plain HTTP answers 301 to https, except ACME challenges; default 0),
#           LEMP_HSTS_MAX_AGE (s, 0 = no Strict-Transport-Security header, the default),
#           LEMP_TRUSTED_PROXIES (space-separated load balancer addresses: client address from X-Forwarded-For,
#           and an X-Served-By: <hostname> response header), LEMP_STATUS_ALLOW (space-separated addresses/CIDRs:
#           a status server on port 8081 with /nginx_status and /fpm-status for 127.0.0.1 and those),
#           LEMP_BACKEND_TLS_PORT (behind a load balancer, with LEMP_TLS=none: the site over TLS on this port for the
#           balancer, with the certificate for this host's private address from the stack's CA; plain HTTP then
#           listens on the loopback only, for the smoke check; empty = off, the default), LEMP_BACKEND_TLS_NAME (the
#           name the balancer sends as SNI and verifies, which the certificate carries: the TLS server answers to it).
# Stdin (LEMP_BACKEND_TLS_PORT only): that certificate's key, then the certificate (PEM in base64, one line each),
# kept in /etc/seed-web/tls/backend.invalid/{privkey,fullchain}.pem.
#           LEMP_APP_BASE (the user's application, scripts/release.sh: the site is served from its live release,
#           <base>/current[/LEMP_APP_DOC_ROOT], the demo page until a release is live there; unset = the demo page
#           in LEMP_DOC_ROOT), LEMP_APP_DOC_ROOT (relative,
#           default ""), LEMP_APP_FRONT_CONTROLLER (1 = a path that is no file goes to /index.php; default 0).
# The application's releases: PHP gets the release's real path ($realpath_root) as its document root, so a request
# runs in one release from start to end whatever `current` points to meanwhile, and each response says which one
# (X-Release); /health.php stays the stack's own check, from LEMP_DOC_ROOT (outside any release); a server on
# 127.0.0.1:8079 serves any staged release named by an X-Seed-Web-Release header (release.sh's check before a
# release goes live) and resets opcache after a switch.
# Certificates: /etc/seed-web/tls/<site>/{fullchain,privkey}.pem. self-signed: made here. letsencrypt: by
# certbot.sh; until it exists the site is plain HTTP (with /.well-known/acme-challenge/ from /var/www/letsencrypt)
# and the TLS configuration waits in /etc/seed-web/pending/nginx/<site> for certbot.sh's deploy hook.
# Hardening: /etc/nginx/conf.d/seed-web.conf holds the http-level settings (server_tokens off) and the default
# servers, which close the connection (444) for a Host header that is not one of the site's names (HTTPS: the
# handshake is rejected, nginx >= 1.19.4, or a dummy certificate then 444 before); the site sends
# X-Content-Type-Options, X-Frame-Options, CSP frame-ancestors and Referrer-Policy on every response; the HTTP to
# HTTPS redirect names the site's own server name, never the request's Host. A new configuration goes live only
# after `nginx -t` accepts it: on failure the previous files are put back and the step fails saying so.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
declare -F lemp_init >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lemp_init nginx
lemp_os

LEMP_HTTP_PORT=${LEMP_HTTP_PORT:-80}
LEMP_PHP=${LEMP_PHP:-1}
LEMP_TRUSTED_PROXIES=${LEMP_TRUSTED_PROXIES:-}
LEMP_STATUS_ALLOW=${LEMP_STATUS_ALLOW:-}
LEMP_STATUS_PORT=8081
lemp_require LEMP_SERVER_NAMES '^[A-Za-z0-9.*-]+( [A-Za-z0-9.*-]+)*$' 'space-separated server names'
lemp_require LEMP_DOC_ROOT '^/[A-Za-z0-9._/-]+$' 'an absolute path (letters, digits, . _ - /)'
lemp_require LEMP_HTTP_PORT '^[1-9][0-9]{0,4}$' 'a TCP port'
lemp_require LEMP_PHP '^[01]$' '1 or 0'
lemp_tls_settings
addr_list_re='^([0-9A-Fa-f.:]+(/[0-9]{1,3})?( [0-9A-Fa-f.:]+(/[0-9]{1,3})?)*)?$'
lemp_require LEMP_TRUSTED_PROXIES "$addr_list_re" 'space-separated IP addresses or CIDRs'
lemp_require LEMP_STATUS_ALLOW "$addr_list_re" 'space-separated IP addresses or CIDRs'
LEMP_APP_BASE=${LEMP_APP_BASE:-}
LEMP_APP_DOC_ROOT=${LEMP_APP_DOC_ROOT:-}
LEMP_APP_FRONT_CONTROLLER=${LEMP_APP_FRONT_CONTROLLER:-0}
if [ -n "$LEMP_APP_BASE" ]; then
  lemp_require LEMP_APP_BASE '^/[A-Za-z0-9._/-]+$' 'an absolute path (letters, digits, . _ - /)'
  [ "$LEMP_PHP" = 1 ] || lemp_die "LEMP_APP_BASE needs LEMP_PHP=1"
fi
[ -z "$LEMP_APP_DOC_ROOT" ] || lemp_require LEMP_APP_DOC_ROOT '^[A-Za-z0-9._@+-]+(/[A-Za-z0-9._@+-]+)*$' 'a relative path'
[[ /$LEMP_APP_DOC_ROOT/ != */../* && /$LEMP_APP_DOC_ROOT/ != */./* ]] || lemp_die "LEMP_APP_DOC_ROOT: no . or .. segments"
lemp_require LEMP_APP_FRONT_CONTROLLER '^[01]$' '1 or 0'
[ "$LEMP_HTTPS_PORT" != "$LEMP_HTTP_PORT" ] || [ "$LEMP_TLS" = none ] || lemp_die "LEMP_HTTPS_PORT and LEMP_HTTP_PORT must differ"
read -r -a names <<<"$LEMP_SERVER_NAMES"
site=${names[0]}
[[ $site != *'*'* ]] || lemp_die "the first server name is the site name and cannot hold a wildcard: $site"
read -r -a proxies <<<"$LEMP_TRUSTED_PROXIES"
read -r -a status_allow <<<"$LEMP_STATUS_ALLOW"
LEMP_BACKEND_TLS_PORT=${LEMP_BACKEND_TLS_PORT:-}
lemp_require LEMP_BACKEND_TLS_PORT '^([1-9][0-9]{0,4})?$' 'a TCP port, or empty'
if [ -n "$LEMP_BACKEND_TLS_PORT" ]; then
  [ "$LEMP_TLS" = none ] || lemp_die "LEMP_BACKEND_TLS_PORT is for a web host behind a load balancer: LEMP_TLS must be none (TLS to the clients ends at the balancer)"
  [ "$LEMP_BACKEND_TLS_PORT" != "$LEMP_HTTP_PORT" ] || lemp_die "LEMP_BACKEND_TLS_PORT and LEMP_HTTP_PORT must differ"
  lemp_require LEMP_BACKEND_TLS_NAME '^[A-Za-z0-9]([A-Za-z0-9.-]{0,252}[A-Za-z0-9])?$' 'the DNS name of the certificate for the balancer'
fi

lemp_inputs_checked   # LEMP_CHECK_ONLY=1 stops here: settings checked, nothing read from stdin, nothing changed
backend_dir=$LEMP_TLS_ROOT/backend.invalid   # .invalid: never a site's name (RFC 2606)
backend_key="" backend_cert=""
if [ -n "$LEMP_BACKEND_TLS_PORT" ]; then
  for v in backend_key backend_cert; do
    lemp_read_secret "$v"
    printf -v "$v" '%s' "$(printf '%s' "${!v}" | base64 -d 2>/dev/null)" || true
    [[ ${!v} == -----BEGIN* ]] || lemp_die "LEMP_BACKEND_TLS_PORT: standard input holds no PEM (base64 on one line) for the ${v#backend_}"
  done
fi
lemp_install_step_packages nginx
lemp_tune nginx

php_block="    location ~ \\.php\$ { return 404; }"
index="index.html"
if [ "$LEMP_PHP" = 1 ]; then
  [ -d "/etc/php/$LEMP_PHP_VERSION/fpm" ] || lemp_die "PHP-FPM $LEMP_PHP_VERSION is not installed: run php.sh before nginx.sh"
  # index.html first: "/" is the static page, /index.php the dynamic one (both are checked by smoke.sh)
  index="index.html index.php"
  # the serving profile (lib/tune.sh, lemp_tune): at most max_children + the pool's backlog requests at PHP at once, the
  # next ones answered 503 with Retry-After at once (never a 502 from a full socket); no gzip on dynamic pages (BREACH)
  release_params=""
  if [ -n "$LEMP_APP_BASE" ]; then
    index="index.php index.html"
    # the release's real path, not the `current` link, read once per request ($seed_web_root, set at the server
    # level): PHP runs in one release, the one X-Release names, and opcache keys per release
    release_params="
        fastcgi_param SCRIPT_FILENAME \$seed_web_root\$fastcgi_script_name;
        fastcgi_param DOCUMENT_ROOT \$seed_web_root;"
  fi
  php_block="    location ~ \\.php\$ {
        include snippets/fastcgi-php.conf;$release_params
        fastcgi_pass unix:$LEMP_PHP_SOCKET;
        fastcgi_read_timeout $((TUNE_PHP_TERMINATE_S + 15))s;
        limit_conn seedweb_php $TUNE_NGINX_QUEUE;
        gzip off;
    }"
fi
app_root=""
if [ -n "$LEMP_APP_BASE" ]; then app_root=$LEMP_APP_BASE/current${LEMP_APP_DOC_ROOT:+/$LEMP_APP_DOC_ROOT}; fi
# IPv6 only where the kernel has it (like the official nginx image does), else nginx cannot bind [::]
ipv6=0
[ ! -e /proc/net/if_inet6 ] || ipv6=1
# HTTP/2: "listen ... http2" up to nginx 1.25.0 (Ubuntu 22.04: 1.18, Debian 12: 1.22), "http2 on" from 1.25.1
# (the version compared in bash: this runs on every apply, and a pipeline per comparison was a tenth of one)
nginx_v=$(nginx -v 2>&1)
[[ $nginx_v =~ ([0-9]+)\.([0-9]+)\.([0-9]+) ]] || lemp_die "cannot read the nginx version from: $nginx_v"
nginx_version=$((10#${BASH_REMATCH[1]} * 1000000 + 10#${BASH_REMATCH[2]} * 1000 + 10#${BASH_REMATCH[3]}))   # 1.25.1 -> 1025001
http2_directive=0
[ "$nginx_version" -lt 1025001 ] || http2_directive=1
# ssl_reject_handshake (nginx 1.19.4+): the HTTPS default server needs no certificate; before, a dummy one + 444
reject_handshake=0
[ "$nginx_version" -lt 1019004 ] || reject_handshake=1
DEFAULT_CERT_NAME=default.invalid   # the dummy certificate's name (.invalid: never a real site, RFC 2606)

# --- the configuration: written by functions, as the TLS one may have to wait for its certificate ---
listen_lines() {   # PORT [PARAMS]: the listen directives (IPv4, and IPv6 when the kernel has it)
  printf '    listen %s%s;\n' "$1" "${2:+ $2}"
  [ "$ipv6" = 0 ] || printf '    listen [::]:%s%s;\n' "$1" "${2:+ $2}"
}
http_listen() {   # [PARAMS]: the plain HTTP listen directives: the loopback only when the balancer gets TLS
  if [ -z "$LEMP_BACKEND_TLS_PORT" ]; then listen_lines "$LEMP_HTTP_PORT" "$@"; return; fi
  printf '    listen 127.0.0.1:%s%s;\n' "$LEMP_HTTP_PORT" "${1:+ $1}"
  [ "$ipv6" = 0 ] || printf '    listen [::1]:%s%s;\n' "$LEMP_HTTP_PORT" "${1:+ $1}"
}
https_listen() {   # [default_server]: the HTTPS listen directives, with HTTP/2
  if [ "$http2_directive" = 1 ]; then listen_lines "$LEMP_HTTPS_PORT" "ssl${1:+ $1}"; echo "    http2 on;"; else listen_lines "$LEMP_HTTPS_PORT" "ssl http2${1:+ $1}"; fi
}
security_headers() {   # on every response of the site: server level only, "always" (an add_header in a location
  # block would drop these: nginx inherits add_header only when a level has none of its own)
  cat <<'CONF'
    add_header X-Content-Type-Options "nosniff" always;
    add_header X-Frame-Options "DENY" always;
    add_header Content-Security-Policy "frame-ancestors 'none'" always;
    add_header Referrer-Policy "strict-origin-when-cross-origin" always;
    add_header Retry-After $seedweb_retry_after always;
CONF
}
# http-level settings and the default servers: a request for any other name than the site's closes the connection
http_conf() {
  echo "# Managed by seed-web (scripts/nginx.sh): changes here are overwritten."
  # no version in headers and error pages, unless the distribution's nginx.conf says so itself (Debian 13 does): a
  # second server_tokens in the http block is an error ("directive is duplicate")
  grep -Eq '^[[:space:]]*server_tokens[[:space:]]' /etc/nginx/nginx.conf 2>/dev/null || echo 'server_tokens off;'
  cat <<'CONF'

# overload (the serving profile): requests past the PHP queue get 503 with Retry-After, not a 502
limit_conn_zone $server_name zone=seedweb_php:1m;
limit_conn_status 503;
limit_conn_log_level warn;
map $status $seedweb_retry_after { 503 5; default ""; }
keepalive_requests 1000;

# static files: their descriptors, sizes and times kept open per worker (bench:serve's static page: +10-18 %),
# checked again every second, so a file a release switch replaced (the same path through `current`) is served from
# the new release within a second; a file not found is never cached
open_file_cache max=10000 inactive=60s;
open_file_cache_valid 1s;
open_file_cache_min_uses 1;
open_file_cache_errors off;
CONF
  echo
  echo "# default server: a Host header that is none of the site's names gets the connection closed"
  echo "server {"
  # the accept queue of each listening socket: the profile's somaxconn (nginx's own default is 511 whatever the
  # kernel allows; bench:serve's overload overflowed it: resets); set once per address, on the default server
  http_listen "default_server backlog=$TUNE_SOMAXCONN"
  echo "    server_name _;"
  echo "    access_log off;"
  echo "    return 444;"
  echo "}"
  if [ "$LEMP_TLS" != none ]; then
    echo
    echo "server {"
    https_listen "default_server backlog=$TUNE_SOMAXCONN"
    echo "    server_name _;"
    echo "    access_log off;"
    echo "    ssl_protocols TLSv1.2 TLSv1.3;"
    if [ "$reject_handshake" = 1 ]; then
      echo "    ssl_reject_handshake on;"
    else
      echo "    ssl_certificate $LEMP_TLS_ROOT/$DEFAULT_CERT_NAME/fullchain.pem;"
      echo "    ssl_certificate_key $LEMP_TLS_ROOT/$DEFAULT_CERT_NAME/privkey.pem;"
    fi
    echo "    return 444;"
    echo "}"
  fi
}
site_body() {   # KIND (http|https): document root, headers, locations
  if [ -n "$app_root" ]; then
    # until a release is live (the first deploy, on every web host until its release step), the demo page serves:
    # never a 404 from a `current` that is not there yet
    cat <<CONF
    set \$seed_web_docroot $app_root;
    if (!-d $LEMP_APP_BASE/current) {
        set \$seed_web_docroot $LEMP_DOC_ROOT;
    }
    root \$seed_web_docroot;
CONF
  else
    echo "    root $LEMP_DOC_ROOT;"
  fi
  echo "    index $index;"
  security_headers
  if [ -n "$app_root" ]; then
    echo "    set \$seed_web_root \$realpath_root;   # read once: the release this request runs in"
    echo "    add_header X-Release \$seed_web_release always;"
  fi
  if [ ${#proxies[@]} -gt 0 ]; then
    echo
    echo "    # behind the load balancer: the client address from X-Forwarded-For, and which backend answered"
    for p in "${proxies[@]}"; do echo "    set_real_ip_from $p;"; done
    echo "    real_ip_header X-Forwarded-For;"
    echo "    real_ip_recursive on;"
    echo "    add_header X-Served-By \$hostname always;"
  fi
  if [ "$1" = https ] && [ "$LEMP_HSTS_MAX_AGE" -gt 0 ]; then
    echo "    add_header Strict-Transport-Security \"max-age=$LEMP_HSTS_MAX_AGE\" always;"
  fi
  if [ "$1" = http ] && [ "$LEMP_TLS" = letsencrypt ]; then acme_location; fi
  cat <<CONF

    location / {
        try_files \$uri \$uri/ $(front_controller);
    }

    # no dotfiles (.git, .env, .htaccess ...), except ACME challenges
    location ~ /\\.(?!well-known/) {
        deny all;
    }
$(own_health_check)
$php_block
}
CONF
}
# shellcheck disable=SC2016 # nginx's variables, written as they are
front_controller() { if [ -n "$app_root" ] && [ "$LEMP_APP_FRONT_CONTROLLER" = 1 ]; then echo '/index.php$is_args$args'; else echo '=404'; fi; }
own_health_check() {   # the stack's health check (app.sh's /health.php) stays outside the application's releases
  [ -n "$app_root" ] || return 0
  cat <<CONF

    # the stack's own health check (scripts/app.sh), outside the application's releases
    location = /health.php {
        root $LEMP_DOC_ROOT;
        include snippets/fastcgi-php.conf;
        fastcgi_pass unix:$LEMP_PHP_SOCKET;
        gzip off;
    }
CONF
}
app_conf() {   # the release id of each response, and the server that checks a staged release before it goes live
  [ -n "$app_root" ] || return 0
  local staged=$LEMP_APP_BASE/releases/\$seed_web_staged${LEMP_APP_DOC_ROOT:+/$LEMP_APP_DOC_ROOT}
  cat <<CONF
# the release a response came from: the id in the real path PHP ran in (X-Release; \$seed_web_root is set once per
# request from \$realpath_root, which nginx would otherwise resolve again at each use)
map \$seed_web_root \$seed_web_release {
    "~^$LEMP_APP_BASE/releases/(?<seed_web_rid>[0-9a-f]{20})(/|\$)" \$seed_web_rid;
    default "";
}
# a staged release, named by release.sh's check (20 hex digits, nothing else reaches the file system)
map \$http_x_seed_web_release \$seed_web_staged {
    "~^[0-9a-f]{20}\$" \$http_x_seed_web_release;
    default none;
}

# release.sh: a staged release checked before it goes live, and opcache reset after a switch; loopback only
server {
    listen 127.0.0.1:$LEMP_APP_PREVIEW_PORT;
    server_name _;
    access_log off;
    root $staged;
    index $index;
    set \$seed_web_root \$realpath_root;
    add_header X-Release \$seed_web_release always;

    location / {
        try_files \$uri \$uri/ $(front_controller);
    }
    location ~ /\\.(?!well-known/) {
        deny all;
    }
    location = /.seed-web/opcache-reset {
        include fastcgi_params;
        fastcgi_param SCRIPT_FILENAME /usr/share/seed-web/opcache-reset.php;
        fastcgi_pass unix:$LEMP_PHP_SOCKET;
    }
$php_block
}

CONF
}
acme_location() {
  cat <<CONF

    # ACME http-01 challenges (certbot.sh --webroot)
    location ^~ /.well-known/acme-challenge/ {
        root $LEMP_ACME_WEBROOT;
        default_type text/plain;
    }
CONF
}
redirect_server() {   # TARGET NAME...: plain HTTP for NAMEs, 301 to https://TARGET (a configured name, never $host)
  local target=$1 https_url
  shift
  https_url="https://$target"
  [ "$LEMP_HTTPS_PORT" = 443 ] || https_url+=":$LEMP_HTTPS_PORT"
  echo "server {"
  http_listen
  echo "    server_name $*;"
  security_headers
  acme_location
  cat <<CONF

    location / {
        return 301 $https_url\$request_uri;
    }
}
CONF
}
site_conf() {   # TLS (1: the TLS configuration; 0: plain HTTP only)
  local n wildcards=()
  echo "# Managed by seed-web (scripts/nginx.sh): changes here are overwritten."
  app_conf
  if [ "$1" = 1 ] && [ "$LEMP_REDIRECT_HTTP" = 1 ]; then
    # one redirect per exact name (to itself), the wildcard names to the site
    for n in "${names[@]}"; do
      if [[ $n == *'*'* ]]; then wildcards+=("$n"); else redirect_server "$n" "$n"; echo; fi
    done
    if [ ${#wildcards[@]} -gt 0 ]; then redirect_server "$site" "${wildcards[@]}"; echo; fi
  else
    echo "server {"
    http_listen
    echo "    server_name $LEMP_SERVER_NAMES;"
    site_body http
  fi
  if [ "$1" = 1 ]; then
    echo
    echo "server {"
    https_listen
    cat <<CONF
    server_name $LEMP_SERVER_NAMES;
    ssl_certificate $LEMP_TLS_ROOT/$site/fullchain.pem;
    ssl_certificate_key $LEMP_TLS_ROOT/$site/privkey.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers $LEMP_TLS_CIPHERS;
    ssl_prefer_server_ciphers off;
    ssl_session_cache shared:seedweb:10m;
    ssl_session_timeout 1d;
    ssl_session_tickets off;
CONF
    site_body https
  fi
  if [ -n "$LEMP_BACKEND_TLS_PORT" ]; then
    echo
    echo "# the site for the load balancer, over TLS (its certificate from the stack's CA, for this host's private address)"
    echo "server {"
    listen_lines "$LEMP_BACKEND_TLS_PORT" "ssl backlog=$TUNE_SOMAXCONN"   # the only server on this port (LEMP_TLS=none)
    cat <<CONF
    server_name $LEMP_SERVER_NAMES $LEMP_BACKEND_TLS_NAME;
    ssl_certificate $backend_dir/fullchain.pem;
    ssl_certificate_key $backend_dir/privkey.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers $LEMP_TLS_CIPHERS;
    ssl_prefer_server_ciphers off;
CONF
    site_body http
  fi
  if [ ${#status_allow[@]} -gt 0 ]; then
    echo
    echo "# status for monitoring: 127.0.0.1 and LEMP_STATUS_ALLOW only"
    echo "server {"
    echo "    listen $LEMP_STATUS_PORT;"
    [ "$ipv6" = 0 ] || echo "    listen [::]:$LEMP_STATUS_PORT;"
    echo "    server_name _;"
    echo "    access_log off;"
    echo "    allow 127.0.0.1;"
    echo "    allow ::1;"
    for a in "${status_allow[@]}"; do echo "    allow $a;"; done
    echo "    deny all;"
    echo
    echo "    location = /nginx_status {"
    echo "        stub_status;"
    echo "    }"
    if [ "$LEMP_PHP" = 1 ]; then
      cat <<CONF
    # PHP-FPM's pm.status_path (set by php.sh)
    location = /fpm-status {
        include fastcgi_params;
        fastcgi_param SCRIPT_NAME /fpm-status;
        fastcgi_param SCRIPT_FILENAME /fpm-status;
        fastcgi_pass unix:$LEMP_PHP_SOCKET;
    }
CONF
    fi
    echo "    location / {"
    echo "        return 404;"
    echo "    }"
    echo "}"
  fi
}

# --- certificate ---
nginx_changed=0
tls_on=0
case "$LEMP_TLS" in
  self-signed)
    lemp_self_signed_cert "${names[@]}"
    [ "$LEMP_WROTE" = 0 ] || nginx_changed=1
    tls_on=1
    ;;
  letsencrypt)
    lemp_mkdir "$LEMP_ACME_WEBROOT" 0755 root:root
    if lemp_tls_cert_present "$site"; then tls_on=1; fi
    ;;
esac
if [ "$LEMP_TLS" = letsencrypt ] && [ "$tls_on" = 0 ]; then
  lemp_log "no certificate for $site yet: plain HTTP until certbot.sh obtains one"
  lemp_pending_write nginx "$site" < <(site_conf 1)
else
  lemp_pending_clear nginx "$site"
fi

if [ -n "$LEMP_BACKEND_TLS_PORT" ]; then
  lemp_mkdir "$LEMP_TLS_ROOT" 0755 root:root
  lemp_mkdir "$backend_dir" 0755 root:root
  lemp_write_file "$backend_dir/privkey.pem" 0600 root:root <<<"$backend_key"
  [ "$LEMP_WROTE" = 0 ] || nginx_changed=1
  lemp_write_file "$backend_dir/fullchain.pem" 0644 root:root <<<"$backend_cert"
  [ "$LEMP_WROTE" = 0 ] || nginx_changed=1
fi

if [ "$LEMP_TLS" != none ] && [ "$reject_handshake" = 0 ]; then
  # the HTTPS default server of an nginx without ssl_reject_handshake needs a certificate: a dummy one
  lemp_self_signed_cert "$DEFAULT_CERT_NAME"
  [ "$LEMP_WROTE" = 0 ] || nginx_changed=1
fi

# --- the configuration: the candidate goes live only if nginx -t accepts it, else the previous files come back ---
http_file=/etc/nginx/conf.d/seed-web.conf
managed=(/etc/nginx/nginx.conf "$http_file" "/etc/nginx/sites-available/$site" "/etc/nginx/sites-enabled/$site" /etc/nginx/sites-enabled/default)
saved=$(mktemp -d /tmp/.lemp-nginx.XXXXXX)
trap 'rm -rf "$saved"' EXIT
present=()
for f in "${managed[@]}"; do
  if [ -e "$f" ] || [ -L "$f" ]; then present+=("$f"); fi
done
# one process, as this runs on every apply (relative paths from /: cp -a --parents takes the parents' attributes
# from paths relative to the working directory, coreutils 9.1)
[ ${#present[@]} = 0 ] || (cd / && cp -a --parents -- "${present[@]#/}" "$saved")
restore_previous() {
  local f
  for f in "${managed[@]}"; do
    rm -f "$f"
    if [ -e "$saved$f" ] || [ -L "$saved$f" ]; then cp -a "$saved$f" "$f"; fi
  done
}
before=$LEMP_CHANGED
lemp_mkdir /etc/nginx/conf.d 0755 root:root
lemp_write_file "$http_file" 0644 root:root < <(http_conf)
# worker_processes auto (one per CPU) is the package's; the connections per worker from the profile, and the
# descriptors a worker may open for them (worker_rlimit_nofile, after worker_processes: the unit's soft limit is 1024,
# fewer than worker_connections, and a worker out of descriptors answers 500; bench:serve's overload saw 782). A
# worker_rlimit_nofile of the administrator's own (a line without "# seed-web") is theirs: kept, none added.
if [ -f /etc/nginx/nginx.conf ]; then
  nofile_line="worker_rlimit_nofile $TUNE_NGINX_NOFILE;   # seed-web: 2 descriptors per connection + files (scripts/nginx.sh)"
  if grep -E '^[[:space:]]*worker_rlimit_nofile[[:space:]]' /etc/nginx/nginx.conf | grep -qv '# seed-web'; then nofile_line=""; fi
  lemp_write_file /etc/nginx/nginx.conf 0644 root:root < <(awk -v wc="$TUNE_NGINX_WORKER_CONNECTIONS" -v line="$nofile_line" '
    /^[[:space:]]*worker_rlimit_nofile[[:space:]].*# seed-web/ { next }
    /^[[:space:]]*worker_connections[[:space:]]+[0-9]+;/ { sub(/worker_connections[[:space:]]+[0-9]+;/, "worker_connections " wc ";") }
    { print }
    /^[[:space:]]*worker_processes[[:space:]]/ && line != "" && !done { print line; done = 1 }
  ' /etc/nginx/nginx.conf)
fi
lemp_tune_sysctl
lemp_remove /etc/nginx/sites-enabled/default
lemp_write_file "/etc/nginx/sites-available/$site" 0644 root:root < <(site_conf "$tls_on")
lemp_symlink "/etc/nginx/sites-available/$site" "/etc/nginx/sites-enabled/$site"
[ "$LEMP_CHANGED" = "$before" ] || nginx_changed=1
# The test, when a file changed (what a reload would load) or nginx does not run (what a start would load): with
# neither, the running nginx serves these files already, and the test would cost a tenth of an apply's time.
if { [ "$nginx_changed" = 1 ] || ! lemp_service_running nginx; } && ! nginx -t -q 2>/dev/null; then
  nginx -t >&2 || true
  if [ "$nginx_changed" = 1 ]; then
    restore_previous
    lemp_die "nginx rejects the new configuration (above): the previous configuration files are back in place and nginx still serves them"
  fi
  lemp_die "nginx configuration test failed"
fi

# --- the document root and its static page ---
lemp_mkdir "$LEMP_DOC_ROOT" 0755 root:root
lemp_write_file "$LEMP_DOC_ROOT/index.html" 0644 root:root <<HTML
<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="generator" content="seed-web:static">
  <title>$site</title>
  <style>body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; color: #222; }</style>
</head>
<body>
  <h1>$site</h1>
  <p>This static page is served by Nginx from <code>$LEMP_DOC_ROOT</code>.</p>
  <p>The dynamic page: <a href="/index.php">/index.php</a> (Nginx &rarr; PHP-FPM &rarr; MySQL).</p>
  <footer><small>seed-web:static</small></footer>
</body>
</html>
HTML

# --- (re)load, run ---
lemp_service_enable_start nginx
# A reload opens the new listening sockets beside the old ones: from the loopback-only HTTP of a web host behind a
# balancer (LEMP_BACKEND_TLS_PORT) to every address (the balancer gone), or back, the new bind fails while the old one
# is held, and nginx keeps the old configuration. Such a change restarts nginx instead (a topology change, not a deploy).
listen_loopback() { grep -qE "^[[:space:]]*listen (127\\.0\\.0\\.1|\\[::1\\]):${LEMP_HTTP_PORT}[; ]" "$1" 2>/dev/null; }
site_file=/etc/nginx/sites-available/$site
if [ "$nginx_changed" = 1 ] && [ "$LEMP_STARTED" = 0 ]; then
  was=0 now=0
  if listen_loopback "$saved$site_file"; then was=1; fi
  if listen_loopback "$site_file"; then now=1; fi
  if [ -e "$saved$site_file" ] && [ "$was" != "$now" ]; then
    lemp_log "the HTTP listeners move between the loopback and every address: nginx restarted (a reload cannot rebind them)"
    lemp_service_restart nginx
  else
    lemp_service_reload nginx
  fi
fi

lemp_fact site "$site"
lemp_fact http_port "$LEMP_HTTP_PORT"
lemp_fact tls "$LEMP_TLS"
lemp_fact tls_active "$tls_on"   # 0 with letsencrypt: waiting for certbot.sh's certificate
[ "$tls_on" = 0 ] || lemp_fact https_port "$LEMP_HTTPS_PORT"
[ -z "$LEMP_BACKEND_TLS_PORT" ] || lemp_fact backend_tls_port "$LEMP_BACKEND_TLS_PORT"
lemp_finish

#!/usr/bin/env bash
# Step "nginx": Nginx serving LEMP_DOC_ROOT for LEMP_SERVER_NAMES on LEMP_HTTP_PORT, PHP through PHP-FPM.
# Settings: LEMP_SERVER_NAMES (space-separated, first = site name), LEMP_DOC_ROOT, LEMP_HTTP_PORT (default 80),
#           LEMP_PHP (1 = hand *.php to PHP-FPM, the default; 0 = static only, *.php answered 404).
set -euo pipefail
if ! declare -F lemp_init >/dev/null; then
  # shellcheck source-path=SCRIPTDIR source=lib.sh
  . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
fi
lemp_init nginx
lemp_os

LEMP_HTTP_PORT=${LEMP_HTTP_PORT:-80}
LEMP_PHP=${LEMP_PHP:-1}
lemp_require LEMP_SERVER_NAMES '^[A-Za-z0-9.*-]+( [A-Za-z0-9.*-]+)*$' 'space-separated server names'
lemp_require LEMP_DOC_ROOT '^/[A-Za-z0-9._/-]+$' 'an absolute path (letters, digits, . _ - /)'
lemp_require LEMP_HTTP_PORT '^[1-9][0-9]{0,4}$' 'a TCP port'
lemp_require LEMP_PHP '^[01]$' '1 or 0'
read -r -a names <<<"$LEMP_SERVER_NAMES"
site=${names[0]}
[[ $site != *'*'* ]] || lemp_die "the first server name is the site name and cannot hold a wildcard: $site"

lemp_apt_install nginx

php_block="    location ~ \\.php\$ { return 404; }"
index="index.html"
if [ "$LEMP_PHP" = 1 ]; then
  [ -d "/etc/php/$LEMP_PHP_VERSION/fpm" ] || lemp_die "PHP-FPM $LEMP_PHP_VERSION is not installed: run php.sh before nginx.sh"
  # index.html first: "/" is the static page, /index.php the dynamic one (both are checked by smoke.sh)
  index="index.html index.php"
  php_block="    location ~ \\.php\$ {
        include snippets/fastcgi-php.conf;
        fastcgi_pass unix:$LEMP_PHP_SOCKET;
    }"
fi
ipv6_listen=""
# IPv6 only where the kernel has it (like the official nginx image does), else nginx cannot bind [::]
if [ -e /proc/net/if_inet6 ]; then ipv6_listen="
    listen [::]:$LEMP_HTTP_PORT default_server;"; fi

# --- the site ---
lemp_remove /etc/nginx/sites-enabled/default
nginx_changed=$((LEMP_CHANGED > 0 ? 1 : 0))
lemp_write_file "/etc/nginx/sites-available/$site" 0644 root:root <<CONF
# Managed by seed-web (scripts/nginx.sh): changes here are overwritten.
server {
    listen $LEMP_HTTP_PORT default_server;$ipv6_listen
    server_name $LEMP_SERVER_NAMES;
    root $LEMP_DOC_ROOT;
    index $index;
    server_tokens off;

    location / {
        try_files \$uri \$uri/ =404;
    }

    # no dotfiles (.git, .env, .htaccess ...), except ACME challenges
    location ~ /\\.(?!well-known/) {
        deny all;
    }

$php_block
}
CONF
[ "$LEMP_WROTE" = 0 ] || nginx_changed=1
before=$LEMP_CHANGED
lemp_symlink "/etc/nginx/sites-available/$site" "/etc/nginx/sites-enabled/$site"
[ "$LEMP_CHANGED" = "$before" ] || nginx_changed=1

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

# --- check, (re)load, run ---
nginx -t -q 2>/dev/null || { nginx -t >&2 || true; lemp_die "nginx configuration test failed"; }
lemp_service_enable_start nginx
if [ "$nginx_changed" = 1 ] && [ "$LEMP_STARTED" = 0 ]; then lemp_service_reload nginx; fi

lemp_fact site "$site"
lemp_fact http_port "$LEMP_HTTP_PORT"
lemp_finish

#!/usr/bin/env bash
# Step "certbot": a Let's Encrypt (ACME) certificate for the site, kept renewed; runs after nginx.sh or lb.sh.
# Settings: LEMP_SERVER_NAMES (space-separated, first = site and certificate name; no wildcards: http-01),
#           LEMP_ACME_EMAIL (account contact; empty = none), LEMP_ACME_SERVER (the ACME directory URL, default
#           Let's Encrypt production), LEMP_ACME_MODE (webroot = nginx serves /var/www/letsencrypt, the default |
#           haproxy = certbot --standalone on 127.0.0.1:8888, where HAProxy routes the challenges),
#           LEMP_ACME_CA_BUNDLE (optional, for tests: the CA file the ACME server's HTTPS certificate is checked
#           against, e.g. Pebble's).
# Does: installs certbot; obtains the certificate unless a valid one (all names, more than 30 days left) exists;
# links it as /etc/seed-web/tls/<site>/{fullchain,privkey}.pem; installs the deploy hook
# /etc/letsencrypt/renewal-hooks/deploy/seed-web (nginx: reload; haproxy: rebuild haproxy.pem, reload), which also
# moves the web server's waiting TLS configuration (/etc/seed-web/pending/...) in place; renewal by certbot.timer
# (systemd) or the package's /etc/cron.d/certbot (cron, started here, without systemd).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
declare -F lemp_init >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lemp_init certbot
lemp_os

LEMP_ACME_SERVER=${LEMP_ACME_SERVER:-https://acme-v02.api.letsencrypt.org/directory}
LEMP_ACME_MODE=${LEMP_ACME_MODE:-webroot}
LEMP_ACME_EMAIL=${LEMP_ACME_EMAIL:-}
LEMP_ACME_CA_BUNDLE=${LEMP_ACME_CA_BUNDLE:-}
lemp_require LEMP_SERVER_NAMES '^[A-Za-z0-9.-]+( [A-Za-z0-9.-]+)*$' 'space-separated server names (no wildcards)'
lemp_require LEMP_ACME_SERVER '^https?://[A-Za-z0-9.:/_~%-]+$' 'an ACME directory URL'
lemp_require LEMP_ACME_MODE '^(webroot|haproxy)$' 'webroot or haproxy'
lemp_require LEMP_ACME_EMAIL '^([^ @]+@[A-Za-z0-9.-]+)?$' 'an e-mail address (or empty)'
lemp_require LEMP_ACME_CA_BUNDLE '^(/[A-Za-z0-9._/-]+)?$' 'an absolute path (or empty)'
lemp_inputs_checked   # LEMP_CHECK_ONLY=1 stops here: settings checked, nothing read from stdin, nothing changed
read -r -a names <<<"$LEMP_SERVER_NAMES"
site=${names[0]}
live=/etc/letsencrypt/live/$site
hook=/etc/letsencrypt/renewal-hooks/deploy/seed-web
if [ -n "$LEMP_ACME_CA_BUNDLE" ]; then
  [ -r "$LEMP_ACME_CA_BUNDLE" ] || lemp_die "LEMP_ACME_CA_BUNDLE: cannot read $LEMP_ACME_CA_BUNDLE"
  export REQUESTS_CA_BUNDLE=$LEMP_ACME_CA_BUNDLE
fi
case "$LEMP_ACME_MODE" in
  webroot)
    command -v nginx >/dev/null || lemp_die "nginx is not installed: run nginx.sh (LEMP_TLS=letsencrypt) first"
    [ -d "$LEMP_ACME_WEBROOT" ] || lemp_die "$LEMP_ACME_WEBROOT is missing: run nginx.sh with LEMP_TLS=letsencrypt first"
    service_name=nginx
    ;;
  haproxy)
    command -v haproxy >/dev/null || lemp_die "haproxy is not installed: run lb.sh (LEMP_TLS=letsencrypt) first"
    service_name=haproxy
    ;;
esac

# what was there before the stack's first apply (lemp_before_* in lib/preexisting.sh): a certbot.timer already enabled renews
# other certificates of the host, and the undo leaves it so
if lemp_before_first; then
  lemp_before_save < <(if lemp_has_systemd && systemctl is-enabled --quiet certbot.timer 2>/dev/null; then echo "timer enabled"; fi)
else
  lemp_before_load || lemp_before_save </dev/null   # applied by an earlier version: nothing known from before
fi
lemp_install_step_packages certbot

# --- the deploy hook: after every issue or renewal of this site's certificate ---
if [ "$LEMP_ACME_MODE" = webroot ]; then
  apply="# nginx: its TLS site configuration, if it was waiting for the certificate, then a reload
if [ -f \"\$pending/nginx/\$site\" ]; then
  conf=/etc/nginx/sites-available/\$site
  cp -p \"\$conf\" \"\$conf.seed-web-old\" 2>/dev/null || true
  install -m 0644 -o root -g root \"\$pending/nginx/\$site\" \"\$conf\"
  if ! nginx -t -q; then
    mv -f \"\$conf.seed-web-old\" \"\$conf\"
    echo \"seed-web deploy hook: nginx rejects the TLS configuration; kept the previous one\" >&2
    exit 1
  fi
  rm -f \"\$conf.seed-web-old\" \"\$pending/nginx/\$site\"
fi
nginx -t -q
svc nginx"
else
  apply="# haproxy: the combined pem, its TLS configuration if it was waiting for the certificate, then a reload
tls=$LEMP_TLS_ROOT/\$site
tmp=\$(mktemp \"\$tls/.haproxy.pem.XXXXXX\")
cat \"\$tls/fullchain.pem\" \"\$tls/privkey.pem\" >\"\$tmp\"
chmod 0600 \"\$tmp\"
mv -f \"\$tmp\" \"\$tls/haproxy.pem\"
if [ -f \"\$pending/haproxy/haproxy.cfg\" ]; then
  if ! haproxy -c -q -f \"\$pending/haproxy/haproxy.cfg\"; then
    echo \"seed-web deploy hook: haproxy rejects the TLS configuration; kept the previous one\" >&2
    exit 1
  fi
  install -m 0644 -o root -g root \"\$pending/haproxy/haproxy.cfg\" /etc/haproxy/haproxy.cfg.seed-web-new
  mv -f /etc/haproxy/haproxy.cfg.seed-web-new /etc/haproxy/haproxy.cfg
  rm -f \"\$pending/haproxy/haproxy.cfg\"
fi
haproxy -c -q -f /etc/haproxy/haproxy.cfg
svc haproxy"
fi
lemp_mkdir /etc/letsencrypt/renewal-hooks 0755 root:root
lemp_mkdir /etc/letsencrypt/renewal-hooks/deploy 0755 root:root
lemp_write_file "$hook" 0755 root:root <<HOOK
#!/bin/sh
# Managed by seed-web (scripts/certbot.sh): run by certbot after it issued or renewed a certificate
# (RENEWED_LINEAGE = its directory under /etc/letsencrypt/live), and by certbot.sh after the first one.
set -eu
umask 077
site=$site
pending=$LEMP_PENDING_DIR
case "\${RENEWED_LINEAGE:-}" in "" | */"\$site") ;; *) exit 0 ;; esac
svc() {   # reload a running service, start a stopped one (systemd, or the service command without it)
  if [ -d /run/systemd/system ]; then
    if systemctl is-active --quiet "\$1"; then systemctl reload "\$1"; else systemctl start "\$1"; fi
  elif service "\$1" status >/dev/null 2>&1; then service "\$1" reload; else service "\$1" start; fi
}
$apply
HOOK

# --- the certificate ---
# valid = the file exists, holds every name and has more than LEMP_TLS_RENEW_DAYS left: then no ACME request at
# all (the server is not even contacted)
cert_valid() {
  [ -s "$live/fullchain.pem" ] && [ -s "$live/privkey.pem" ] &&
    [ "$(lemp_cert_names "$live/fullchain.pem")" = "$(printf '%s\n' "${names[@]}" | sort -u)" ] &&
    openssl x509 -in "$live/fullchain.pem" -noout -checkend $((LEMP_TLS_RENEW_DAYS * 86400)) >/dev/null 2>&1
}
fingerprint() { openssl x509 -in "$live/fullchain.pem" -noout -fingerprint -sha256 2>/dev/null || true; }
before=$(fingerprint)
if ! cert_valid; then
  args=(certonly --non-interactive --agree-tos --keep-until-expiring --cert-name "$site" --server "$LEMP_ACME_SERVER")
  if [ -n "$LEMP_ACME_EMAIL" ]; then args+=(--email "$LEMP_ACME_EMAIL"); else args+=(--register-unsafely-without-email); fi
  for n in "${names[@]}"; do args+=(-d "$n"); done
  if [ "$LEMP_ACME_MODE" = webroot ]; then
    args+=(--webroot -w "$LEMP_ACME_WEBROOT")
  else
    args+=(--standalone --http-01-address 127.0.0.1 --http-01-port "$LEMP_ACME_STANDALONE_PORT")
  fi
  lemp_log "requesting a certificate for ${names[*]} from $LEMP_ACME_SERVER ($LEMP_ACME_MODE)"
  out=$(mktemp)
  if ! certbot "${args[@]}" >"$out" 2>&1; then
    sed 's/^/  certbot: /' "$out" >&2
    rm -f "$out"
    lemp_die "certbot could not obtain a certificate for ${names[*]} from $LEMP_ACME_SERVER (is it reachable, and do the names resolve to this host with port 80 open?)"
  fi
  rm -f "$out"
fi
[ -s "$live/fullchain.pem" ] || lemp_die "no certificate in $live after certbot"
after=$(fingerprint)
if [ "$after" != "$before" ]; then lemp_changed "certificate for ${names[*]} issued"; fi

# --- where the web server looks for it ---
lemp_mkdir /etc/seed-web 0755 root:root
lemp_mkdir "$LEMP_TLS_ROOT" 0755 root:root
lemp_mkdir "$LEMP_TLS_ROOT/$site" 0750 root:root
links_before=$LEMP_CHANGED
lemp_symlink "$live/fullchain.pem" "$LEMP_TLS_ROOT/$site/fullchain.pem"
lemp_symlink "$live/privkey.pem" "$LEMP_TLS_ROOT/$site/privkey.pem"

# the web server on this certificate: after a new certificate, new links, or a TLS configuration still waiting
pending_file=$LEMP_PENDING_DIR/nginx/$site
[ "$LEMP_ACME_MODE" = webroot ] || pending_file=$LEMP_PENDING_DIR/haproxy/haproxy.cfg
if [ "$after" != "$before" ] || [ "$LEMP_CHANGED" != "$links_before" ] || [ -f "$pending_file" ]; then
  RENEWED_LINEAGE=$live "$hook" >&2 || lemp_die "the deploy hook $hook failed"
  lemp_changed "ran the deploy hook ($service_name on the certificate)"
fi

# --- renewal ---
if lemp_has_systemd; then
  lemp_service_enable_start certbot.timer
else
  [ -f /etc/cron.d/certbot ] || lemp_die "/etc/cron.d/certbot is missing (the certbot package installs it)"
  lemp_apt_install cron
  lemp_service_enable_start cron
fi

lemp_fact certificate "$live/fullchain.pem"
lemp_fact certificate_expires "$(openssl x509 -in "$live/fullchain.pem" -noout -enddate | cut -d= -f2)"
lemp_finish

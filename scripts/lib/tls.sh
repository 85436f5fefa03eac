# --- TLS -------------------------------------------------------------------------------------------------------
# Certificates of a site live in $LEMP_TLS_ROOT/<first server name>/: fullchain.pem + privkey.pem (files for
# self-signed, links into /etc/letsencrypt/live/<name>/ for Let's Encrypt), haproxy.pem (both in one, for HAProxy).
# A web server configured for letsencrypt before its certificate exists serves plain HTTP and keeps its TLS
# configuration in $LEMP_PENDING_DIR/<service>/<file>: certbot.sh's deploy hook moves it in place once the
# certificate is there.
LEMP_TLS_ROOT=/etc/seed-web/tls
LEMP_PENDING_DIR=/etc/seed-web/pending
LEMP_ACME_WEBROOT=/var/www/letsencrypt
LEMP_ACME_STANDALONE_PORT=8888
LEMP_TLS_RENEW_DAYS=30   # a self-signed certificate is made again when it expires within this many days

lemp_tls_settings() {   # validates LEMP_TLS, LEMP_HTTPS_PORT, LEMP_REDIRECT_HTTP, LEMP_HSTS_MAX_AGE (sets defaults)
  LEMP_TLS=${LEMP_TLS:-none}
  LEMP_HTTPS_PORT=${LEMP_HTTPS_PORT:-443}
  LEMP_REDIRECT_HTTP=${LEMP_REDIRECT_HTTP:-0}
  LEMP_HSTS_MAX_AGE=${LEMP_HSTS_MAX_AGE:-0}
  lemp_require LEMP_TLS '^(none|self-signed|letsencrypt)$' 'none, self-signed or letsencrypt'
  lemp_require LEMP_HTTPS_PORT '^[1-9][0-9]{0,4}$' 'a TCP port'
  lemp_require LEMP_REDIRECT_HTTP '^[01]$' '1 or 0'
  lemp_require LEMP_HSTS_MAX_AGE '^[0-9]{1,10}$' 'a number of seconds (0 = no HSTS header)'
  if [ "$LEMP_TLS" = none ] && [ "$LEMP_REDIRECT_HTTP" = 1 ]; then lemp_die "LEMP_REDIRECT_HTTP=1 needs LEMP_TLS"; fi
}

lemp_tls_cert_present() {   # NAME: a readable certificate + key pair for NAME
  [ -s "$LEMP_TLS_ROOT/$1/fullchain.pem" ] && [ -s "$LEMP_TLS_ROOT/$1/privkey.pem" ]
}

lemp_cert_names() {   # CERT: its DNS subject alternative names, sorted, one per line
  openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null | tr ',' '\n' | sed -n 's/^ *DNS://p' | sort -u
}

# lemp_self_signed_cert NAME...: $LEMP_TLS_ROOT/<first name>/{fullchain,privkey}.pem, a self-signed certificate for
# all the names (SANs); made again only when the names differ or it expires within LEMP_TLS_RENEW_DAYS.
# Sets LEMP_WROTE=1 when it made one.
lemp_self_signed_cert() {
  local name=$1 dir=$LEMP_TLS_ROOT/$1 want have san="" n key crt
  LEMP_WROTE=0
  want=$(printf '%s\n' "$@" | sort -u)
  if lemp_tls_cert_present "$name" && [ ! -L "$dir/fullchain.pem" ] && [ ! -L "$dir/privkey.pem" ]; then
    have=$(lemp_cert_names "$dir/fullchain.pem")
    if [ "$have" = "$want" ] && openssl x509 -in "$dir/fullchain.pem" -noout -checkend $((LEMP_TLS_RENEW_DAYS * 86400)) >/dev/null; then
      return 0
    fi
  fi
  lemp_apt_install openssl
  lemp_mkdir /etc/seed-web 0755 root:root
  lemp_mkdir "$LEMP_TLS_ROOT" 0755 root:root
  lemp_mkdir "$dir" 0750 root:root
  for n in "$@"; do san+="${san:+,}DNS:$n"; done
  key=$(umask 077 && mktemp "$dir/.lemp.XXXXXX")
  crt=$(umask 077 && mktemp "$dir/.lemp.XXXXXX")
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 825 -subj "/CN=$name" -addext "subjectAltName=$san" \
    -keyout "$key" -out "$crt" 2>/dev/null || { rm -f "$key" "$crt"; lemp_die "openssl could not make a certificate for $name"; }
  chmod 0600 "$key"
  chmod 0644 "$crt"
  rm -f "$dir/privkey.pem" "$dir/fullchain.pem"   # links of an earlier letsencrypt setup, or the old pair
  mv -f "$key" "$dir/privkey.pem"
  mv -f "$crt" "$dir/fullchain.pem"
  LEMP_WROTE=1
  lemp_changed "made a self-signed certificate for $* (valid 825 days)"
}

# The TLS configuration of SERVICE (nginx: FILE = the site; haproxy: haproxy.cfg), kept until certbot.sh has the
# certificate: lemp_pending_write SERVICE FILE < content; lemp_pending_clear SERVICE FILE once it is in place.
# lemp_cert_expiry_metrics FILE...: the certificates' expiry (notAfter, Unix time) for the node exporter's textfile
# collector, as seed_web_tls_cert_expiry_timestamp_seconds{file="FILE"}; fails naming a file it cannot read
lemp_cert_expiry_metrics() {
  local f end
  printf '# HELP seed_web_tls_cert_expiry_timestamp_seconds When the certificate expires (notAfter, Unix time).\n'
  printf '# TYPE seed_web_tls_cert_expiry_timestamp_seconds gauge\n'
  for f in "$@"; do
    end=$(openssl x509 -enddate -noout -in "$f" 2>/dev/null) || { lemp_log "error: cannot read the certificate $f"; return 1; }
    end=$(date -d "${end#notAfter=}" +%s) || return 1
    printf 'seed_web_tls_cert_expiry_timestamp_seconds{file="%s"} %s\n' "$f" "$end"
  done
}

lemp_pending_write() {
  lemp_mkdir /etc/seed-web 0755 root:root
  lemp_mkdir "$LEMP_PENDING_DIR" 0755 root:root
  lemp_mkdir "$LEMP_PENDING_DIR/$1" 0755 root:root
  lemp_write_file "$LEMP_PENDING_DIR/$1/$2" 0644 root:root
}
lemp_pending_clear() { lemp_remove "$LEMP_PENDING_DIR/$1/$2"; }   # SERVICE FILE
# TLS 1.2 ciphers: Mozilla's "intermediate" list (TLS 1.3 has its own, all fine)
LEMP_TLS_CIPHERS=ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305


#!/usr/bin/env bash
# Step "release": the user's application as releases, switched atomically.
#   <base>/releases/<id>   one directory per release, root's, read-only to PHP; <id> = the hash of its files
#   <base>/current         the live release (a symbolic link, replaced in one rename)
#   <base>/shared/<path>   kept across releases (uploads, storage), www-data's; linked into every release
# Settings: LEMP_APP_BASE, LEMP_APP_RELEASE (the id to serve), LEMP_APP_UPLOAD (where the release was copied, when
#           it is not on the host yet: /tmp/seed-web-upload-<id>, the copy checked against the id before use),
#           LEMP_APP_UPLOAD_NAME (the source directory's name: a copy into an existing directory lands below it),
#           LEMP_APP_DOC_ROOT (relative, default ""), LEMP_APP_SHARED (space-separated relative paths),
#           LEMP_APP_KEEP (releases kept, the live one included; default 5), LEMP_APP_HEALTH_PATH (default /),
#           LEMP_APP_MIGRATE (a command run once per release in it, as www-data, before the switch; default none),
#           LEMP_SERVER_NAME (the Host header of the checks).
# A new release goes live only after its health path answered 200 through it (nginx.sh's server on 127.0.0.1:8079,
# the release named by a header), and stays live only if the site then answers 200 from it; else the previous
# release is put back and the step fails naming the check. Then opcache is reset (a deploy never fills it: PHP runs
# releases by their real paths), and the releases past LEMP_APP_KEEP are removed (never the live one, nor the one
# before it: the rollback).
# Idempotent: the live release again changes nothing and checks nothing.
set -euo pipefail
if ! declare -F lemp_init >/dev/null; then
  # shellcheck source-path=SCRIPTDIR source=lib.sh
  . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
fi
lemp_init release
lemp_os

LEMP_APP_UPLOAD=${LEMP_APP_UPLOAD:-}
LEMP_APP_UPLOAD_NAME=${LEMP_APP_UPLOAD_NAME:-}
LEMP_APP_DOC_ROOT=${LEMP_APP_DOC_ROOT:-}
LEMP_APP_SHARED=${LEMP_APP_SHARED:-}
LEMP_APP_KEEP=${LEMP_APP_KEEP:-5}
LEMP_APP_HEALTH_PATH=${LEMP_APP_HEALTH_PATH:-/}
LEMP_APP_MIGRATE=${LEMP_APP_MIGRATE:-}
LEMP_APP_PREVIEW_PORT=8079   # nginx.sh's loopback server for staged releases
rel_re='[A-Za-z0-9._@+-]+(/[A-Za-z0-9._@+-]+)*'
lemp_require LEMP_APP_BASE '^/[A-Za-z0-9._/-]+$' 'an absolute path (letters, digits, . _ - /)'
lemp_require LEMP_APP_RELEASE '^[0-9a-f]{20}$' 'a release id (20 hex digits)'
[ -z "$LEMP_APP_UPLOAD" ] || lemp_require LEMP_APP_UPLOAD '^/tmp/seed-web-upload-[0-9a-f]{20}$' '/tmp/seed-web-upload-<id>'
[ -z "$LEMP_APP_UPLOAD_NAME" ] || lemp_require LEMP_APP_UPLOAD_NAME '^[A-Za-z0-9._@+-]+$' 'a directory name'
[ -z "$LEMP_APP_DOC_ROOT" ] || lemp_require LEMP_APP_DOC_ROOT "^$rel_re\$" 'a relative path'
[ -z "$LEMP_APP_SHARED" ] || lemp_require LEMP_APP_SHARED "^$rel_re( $rel_re)*\$" 'space-separated relative paths'
lemp_require LEMP_APP_KEEP '^([2-9]|[1-4][0-9]|50)$' 'a number from 2 to 50'
lemp_require LEMP_APP_HEALTH_PATH '^/[A-Za-z0-9._~/?=&%-]*$' 'a path starting with /'
lemp_require LEMP_SERVER_NAME '^[A-Za-z0-9.-]+$' 'a server name'
lemp_tls_settings   # LEMP_TLS: the live check goes over HTTPS when this host serves it
for p in $LEMP_APP_DOC_ROOT $LEMP_APP_SHARED; do
  [[ /$p/ != */../* && /$p/ != */./* ]] || lemp_die "$p: no . or .. segments in a path inside the release"
done
[[ $LEMP_APP_MIGRATE != *$'\n'* ]] || lemp_die "LEMP_APP_MIGRATE: one command line"
lemp_inputs_checked   # LEMP_CHECK_ONLY=1 stops here: settings checked, nothing read from stdin, nothing changed
getent passwd www-data >/dev/null || lemp_die "user www-data missing: run php.sh first"
command -v curl >/dev/null || lemp_die "curl is not installed: run base.sh first"

base=$LEMP_APP_BASE
id=$LEMP_APP_RELEASE
dir=$base/releases/$id
read -r -a shared <<<"$LEMP_APP_SHARED"

tree_id() {   # DIR: the release id of a directory's files (lib/release.ts computes the same on the deploying machine)
  (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum) | sha256sum | cut -c1-20
}
live_release() { local t; t=$(readlink "$base/current" 2>/dev/null) || return 0; if [[ $t =~ ^releases/([0-9a-f]{20})$ ]]; then echo "${BASH_REMATCH[1]}"; fi; }
answer() {   # URL [HEADER]: the HTTP status of a GET (000: none), retried for up to 10 s while it is not 200
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
opcache_reset() {   # the scripts of the releases no longer live leave opcache (in-flight requests finish first)
  local r
  r=$(curl -s --max-time 10 "http://127.0.0.1:$LEMP_APP_PREVIEW_PORT/.seed-web/opcache-reset" || true)
  [ "$r" = reset ] || lemp_log "warning: opcache was not reset (${r:-no answer}): it keeps the previous release's scripts until PHP-FPM restarts"
}

lemp_mkdir "$base" 0755 root:root
lemp_mkdir "$base/releases" 0755 root:root
lemp_mkdir "$base/shared" 0755 root:root
lemp_mkdir /usr/share/seed-web 0755 root:root
lemp_write_file /usr/share/seed-web/opcache-reset.php 0644 root:root <<'PHP'
<?php
// Managed by seed-web (scripts/release.sh): served on 127.0.0.1 only (nginx.sh), after a release switch.
header('Content-Type: text/plain');
echo function_exists('opcache_reset') && opcache_reset() ? "reset\n" : "not reset\n";
PHP

# --- stage: the release's files, checked against its id, with the shared paths linked in ---
if [ "$(cat "$dir/.seed-web-release" 2>/dev/null || true)" != "$id" ]; then
  src=""
  for c in "$LEMP_APP_UPLOAD" "$LEMP_APP_UPLOAD${LEMP_APP_UPLOAD_NAME:+/$LEMP_APP_UPLOAD_NAME}"; do
    if [ -n "$LEMP_APP_UPLOAD" ] && [ -d "$c" ] && [ ! -L "$c" ] && [ "$(tree_id "$c")" = "$id" ]; then src=$c; break; fi
  done
  if [ -z "$src" ]; then
    kept=$(cd "$base/releases" && find . -mindepth 1 -maxdepth 1 -type d -regextype posix-extended -regex '\./[0-9a-f]{20}' -printf '%f ')
    lemp_die "release $id is not on this host${LEMP_APP_UPLOAD:+ and $LEMP_APP_UPLOAD does not hold it (a copy cut short or changed)}: kept releases: ${kept:-none}"
  fi
  tmp=$base/releases/.staging-$id
  rm -rf -- "$tmp"
  # files only, as root's (no owner, mode or link from the upload survives: symbolic links there are refused)
  if find "$src" -mindepth 1 ! -type f ! -type d -print -quit | grep -q .; then lemp_die "$src holds something that is neither a file nor a directory"; fi
  cp -R --no-preserve=mode,ownership,timestamps -- "$src" "$tmp"
  chown -R root:root "$tmp"
  chmod -R u=rwX,go=rX "$tmp"
  [ "$(tree_id "$tmp")" = "$id" ] || { rm -rf -- "$tmp"; lemp_die "release $id: the copy in $tmp does not match its id"; }
  for p in "${shared[@]}"; do
    if [ ! -e "$base/shared/$p" ]; then
      # the first release seeds a shared path with what it ships there; later ones never overwrite it
      mkdir -p -- "$(dirname "$base/shared/$p")"
      if [ -d "$tmp/$p" ]; then cp -R -- "$tmp/$p" "$base/shared/$p"; else mkdir -- "$base/shared/$p"; fi
      chown -R www-data:www-data "$base/shared/$p"
      lemp_changed "shared path $p created"
    fi
    [ ! -e "$tmp/$p" ] || [ -d "$tmp/$p" ] || lemp_die "release $id ships $p as a file: a shared path is a directory"
    rm -rf -- "${tmp:?}/$p"   # the staging copy only: the shared one is linked in its place
    mkdir -p -- "$(dirname "$tmp/$p")"
    ln -s -- "$base/shared/$p" "$tmp/$p"
  done
  [ -z "$LEMP_APP_DOC_ROOT" ] || [ -d "$tmp/$LEMP_APP_DOC_ROOT" ] || { rm -rf -- "$tmp"; lemp_die "release $id has no $LEMP_APP_DOC_ROOT/ (appDocRoot)"; }
  printf '%s\n' "$id" >"$tmp/.seed-web-release"
  rm -rf -- "$dir"   # a staging cut short (no .seed-web-release): never a live release
  mv -T -- "$tmp" "$dir"
  lemp_changed "release $id staged"
fi
# the upload is done with (the login user's copy in /tmp)
if [ -n "$LEMP_APP_UPLOAD" ] && [ -d "$LEMP_APP_UPLOAD" ] && [ ! -L "$LEMP_APP_UPLOAD" ]; then rm -rf -- "$LEMP_APP_UPLOAD"; fi

live=$(live_release)
if [ "$live" != "$id" ]; then
  # --- migrate: once per release, before it goes live ---
  if [ -n "$LEMP_APP_MIGRATE" ] && [ ! -e "$base/shared/.seed-web-migrated-$id" ]; then
    lemp_log "appMigrate in release $id"
    rc=0
    (cd "$dir" && runuser -u www-data -- env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$base/shared" SEED_WEB_RELEASE="$id" bash -c "$LEMP_APP_MIGRATE") >&2 || rc=$?
    [ "$rc" = 0 ] || lemp_die "appMigrate failed in release $id (exit $rc): the live release ${live:-none} still serves"
    touch "$base/shared/.seed-web-migrated-$id"
    lemp_changed "appMigrate ran for release $id"
  fi
  # --- check the release before it goes live ---
  code=$(answer "http://127.0.0.1:$LEMP_APP_PREVIEW_PORT$LEMP_APP_HEALTH_PATH" "X-Seed-Web-Release: $id")
  [ "$code" = 200 ] || lemp_die "release $id: $LEMP_APP_HEALTH_PATH answered HTTP $code through the new release, expected 200: it did not go live; ${live:-no release} still serves"
  # --- switch: one rename; requests in flight finish in the release they started in ($realpath_root) ---
  ln -sfn "releases/$id" "$base/.current.new"
  mv -T "$base/.current.new" "$base/current"
  lemp_changed "release $id is live (was ${live:-none})"
  opcache_reset
  if [ "$LEMP_TLS" = none ] || { [ "$LEMP_TLS" = letsencrypt ] && ! lemp_tls_cert_present "$LEMP_SERVER_NAME"; }; then site_url=http://127.0.0.1:80; else site_url=https://$LEMP_SERVER_NAME:$LEMP_HTTPS_PORT; fi
  code=$(answer "$site_url$LEMP_APP_HEALTH_PATH")
  if [ "$code" != 200 ]; then
    if [ -n "$live" ]; then
      ln -sfn "releases/$live" "$base/.current.new"
      mv -T "$base/.current.new" "$base/current"
      opcache_reset
    fi
    lemp_die "release $id: $LEMP_APP_HEALTH_PATH answered HTTP $code once live, expected 200: ${live:+release $live is live again}${live:-no release was live before}"
  fi
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

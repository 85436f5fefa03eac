#!/usr/bin/env bash
# Step "stage": the user's application's release, staged and checked on this web host before any web host switches
# to it (release.sh switches, one host after the other, once every web host has staged it).
#   <base>/releases/<id>   one directory per release, root's, read-only to PHP; <id> = the hash of its files
#   <base>/shared/<path>   kept across releases (uploads, storage), www-data's; linked into every release
# Settings: LEMP_APP_BASE, LEMP_APP_RELEASE (the id to stage), LEMP_APP_UPLOAD (where the release was copied, when
#           it is not on the host yet: /tmp/seed-web-upload-<id>, the copy checked against the id before use),
#           LEMP_APP_UPLOAD_NAME (the source directory's name: a copy into an existing directory lands below it),
#           LEMP_APP_DOC_ROOT (relative, default ""), LEMP_APP_SHARED (space-separated relative paths),
#           LEMP_APP_HEALTH_PATH (default /), LEMP_SERVER_NAME (the Host header of the check),
#           LEMP_APP_MIGRATE (a command run once per release in it, as www-data, before it goes live; default none),
#           LEMP_APP_COMPOSER (1 = the release has a composer.json: `composer install --no-dev` runs in it as www-data
#           when it is staged, Debian's composer installed for it), LEMP_APP_PHP_EXTENSIONS (space-separated, the ext-*
#           its composer.json requires: each one PHP lacks is installed from the OS's packages, php<V>-<name>, and
#           PHP-FPM reloaded gracefully).
# A release not live here is checked through itself: its health path must answer 200 on nginx.sh's loopback-only
# server (127.0.0.1:8079, the release named by a header), else the step fails naming the check, and no web host has
# switched to it (the release steps run after every host's stage).
# Idempotent: a release staged already is not copied again; the live release again changes nothing and checks nothing.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
declare -F lemp_init >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lemp_init stage
lemp_os

LEMP_APP_UPLOAD=${LEMP_APP_UPLOAD:-}
LEMP_APP_UPLOAD_NAME=${LEMP_APP_UPLOAD_NAME:-}
LEMP_APP_DOC_ROOT=${LEMP_APP_DOC_ROOT:-}
LEMP_APP_SHARED=${LEMP_APP_SHARED:-}
LEMP_APP_HEALTH_PATH=${LEMP_APP_HEALTH_PATH:-/}
LEMP_APP_MIGRATE=${LEMP_APP_MIGRATE:-}
rel_re='[A-Za-z0-9._@+-]+(/[A-Za-z0-9._@+-]+)*'
lemp_require LEMP_APP_BASE '^/[A-Za-z0-9._/-]+$' 'an absolute path (letters, digits, . _ - /)'
lemp_require LEMP_APP_RELEASE '^[0-9a-f]{20}$' 'a release id (20 hex digits)'
[ -z "$LEMP_APP_UPLOAD" ] || lemp_require LEMP_APP_UPLOAD '^/tmp/seed-web-upload-[0-9a-f]{20}$' '/tmp/seed-web-upload-<id>'
[ -z "$LEMP_APP_UPLOAD_NAME" ] || lemp_require LEMP_APP_UPLOAD_NAME '^[A-Za-z0-9._@+-]+$' 'a directory name'
[ -z "$LEMP_APP_DOC_ROOT" ] || lemp_require LEMP_APP_DOC_ROOT "^$rel_re\$" 'a relative path'
[ -z "$LEMP_APP_SHARED" ] || lemp_require LEMP_APP_SHARED "^$rel_re( $rel_re)*\$" 'space-separated relative paths'
lemp_require LEMP_APP_HEALTH_PATH '^/[A-Za-z0-9._~/?=&%-]*$' 'a path starting with /'
lemp_require LEMP_SERVER_NAME '^[A-Za-z0-9.-]+$' 'a server name'
LEMP_APP_COMPOSER=${LEMP_APP_COMPOSER:-0}
LEMP_APP_PHP_EXTENSIONS=${LEMP_APP_PHP_EXTENSIONS:-}
lemp_require LEMP_APP_COMPOSER '^[01]$' '1 or 0'
[ -z "$LEMP_APP_PHP_EXTENSIONS" ] || lemp_require LEMP_APP_PHP_EXTENSIONS '^[a-z0-9][a-z0-9_-]*( [a-z0-9][a-z0-9_-]*)*$' 'space-separated extension names'
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
stage_fail() { rm -rf -- "$tmp"; lemp_die "$@"; }   # MESSAGE: the staging copy removed (never live), then the error

lemp_mkdir "$base" 0755 root:root
lemp_mkdir "$base/releases" 0755 root:root
lemp_mkdir "$base/shared" 0755 root:root

# --- the PHP extensions the application declares (composer.json ext-*), from the OS's packages ---
if [ -n "$LEMP_APP_PHP_EXTENSIONS" ]; then
  loaded=" $(php -m 2>/dev/null | tr '[:upper:]' '[:lower:]' | tr -d '\r' | tr '\n' ' ') "
  missing=()
  for e in $LEMP_APP_PHP_EXTENSIONS; do
    [[ $loaded == *" $e "* ]] && continue
    pkg=php$LEMP_PHP_VERSION-$e
    apt-cache show "$pkg" >/dev/null 2>&1 || { lemp_apt_update_if_stale; apt-cache show "$pkg" >/dev/null 2>&1; } ||
      lemp_die "composer.json requires ext-$e: PHP $LEMP_PHP_VERSION lacks it and this release's archive has no $pkg"
    missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    lemp_apt_install "${missing[@]}"
    # graceful: requests in flight finish first (process_control_timeout)
    lemp_service_reload "$LEMP_PHP_FPM_SERVICE"
  fi
fi

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
  [ "$(tree_id "$tmp")" = "$id" ] || stage_fail "release $id: the copy in $tmp does not match its id"
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
  if [ "$LEMP_APP_COMPOSER" = 1 ]; then
    # its dependencies, as www-data (a package's scripts never run as root), then the release root's again
    lemp_apt_install composer
    home=$(mktemp -d /tmp/.lemp-composer.XXXXXX)
    chown www-data:www-data "$home"
    chown -R www-data:www-data "$tmp"
    rc=0
    runuser -u www-data -- env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$home" COMPOSER_HOME="$home" \
      composer install --no-dev --no-interaction --no-progress --optimize-autoloader --working-dir="$tmp" >&2 || rc=$?
    rm -rf -- "$home"
    chown -R root:root "$tmp"
    chmod -R u=rwX,go=rX "$tmp"
    [ "$rc" = 0 ] || stage_fail "release $id: composer install failed (exit $rc): it did not go live"
    lemp_changed "composer install in release $id"
  fi
  [ -z "$LEMP_APP_DOC_ROOT" ] || [ -d "$tmp/$LEMP_APP_DOC_ROOT" ] || stage_fail "release $id has no $LEMP_APP_DOC_ROOT/ (appDocRoot)"
  printf '%s\n' "$id" >"$tmp/.seed-web-release"
  rm -rf -- "$dir"   # a staging cut short (no .seed-web-release): never a live release
  mv -T -- "$tmp" "$dir"
  lemp_changed "release $id staged"
fi
# the upload is done with (the login user's copy in /tmp)
if [ -n "$LEMP_APP_UPLOAD" ] && [ -d "$LEMP_APP_UPLOAD" ] && [ ! -L "$LEMP_APP_UPLOAD" ]; then rm -rf -- "$LEMP_APP_UPLOAD"; fi

live=$(lemp_app_live "$base")
if [ "$live" != "$id" ]; then
  # --- migrate: once per release, before it goes live ---
  if [ -n "$LEMP_APP_MIGRATE" ] && [ ! -e "$base/shared/.seed-web-migrated-$id" ]; then
    lemp_log "appMigrate in release $id"
    rc=0
    (cd "$dir" && runuser -u www-data -- env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$base/shared" SEED_WEB_RELEASE="$id" bash -c "$LEMP_APP_MIGRATE") >&2 || rc=$?
    [ "$rc" = 0 ] || lemp_die "appMigrate failed in release $id (exit $rc): it did not go live (${live:+release $live still serves}${live:-no release was live})"
    touch "$base/shared/.seed-web-migrated-$id"
    lemp_changed "appMigrate ran for release $id"
  fi
  # --- check the release through itself, before any web host switches to it ---
  lemp_app_precheck "$id" "$live"
fi

lemp_fact staged "$id"
lemp_finish

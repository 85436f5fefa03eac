# --- files -----------------------------------------------------------------------------------------------------
# lemp_write_file PATH MODE OWNER:GROUP  < content (text: a NUL byte is refused)
# Writes only when content, mode or owner differ (atomically, through a temp file in the same directory).
# Sets LEMP_WROTE=1 when it changed something, else 0. Feed it with a heredoc or a redirect, never from a pipe
# (a pipe runs it in a subshell, and its change count and LEMP_WROTE would be lost).
# The check that finds the file already right runs in this shell with a single `stat` (content compared in memory,
# the size from stat guarding against a NUL in the old file): it runs for every managed file on every apply.
lemp_write_file() {
  local path=$1 mode=$2 owner=$3 dir tmp content old have
  dir=${path%/*}
  dir=${dir:-/}
  [ -d "$dir" ] || lemp_die "directory $dir does not exist (for $path)"
  if IFS= read -r -d '' content; then lemp_die "$path: its new content holds a NUL byte (text files only)"; fi
  LEMP_WROTE=0
  if [ -f "$path" ] && [ ! -L "$path" ] && have=$(stat -c '%s %a %U:%G' "$path" 2>/dev/null) &&
    [ "${have%% *}" = "${#content}" ]; then
    old=""
    IFS= read -r -d '' old <"$path" || true
    if [ "$old" = "$content" ]; then
      if [ "${have#* }" != "${mode#0} $owner" ]; then
        chown "$owner" "$path"
        chmod "$mode" "$path"
        LEMP_WROTE=1
        lemp_changed "$path mode/owner set to $mode $owner"
      fi
      return 0
    fi
  fi
  tmp=$(umask 077 && mktemp "$dir/.lemp.XXXXXX")
  printf '%s' "$content" >"$tmp"
  chown "$owner" "$tmp"
  chmod "$mode" "$tmp"
  mv -f "$tmp" "$path"
  LEMP_WROTE=1
  lemp_changed "wrote $path"
}

lemp_mkdir() {   # PATH MODE OWNER:GROUP
  local path=$1 mode=$2 owner=$3
  if [ ! -d "$path" ]; then
    install -d -m "$mode" -o "${owner%%:*}" -g "${owner##*:}" "$path"
    lemp_changed "created directory $path"
  elif [ "$(stat -c '%a %U:%G' "$path")" != "${mode#0} $owner" ]; then
    chown "$owner" "$path"
    chmod "$mode" "$path"
    lemp_changed "$path mode/owner set to $mode $owner"
  fi
}

lemp_symlink() {   # TARGET LINK
  if [ -L "$2" ] && [ "$(readlink "$2")" = "$1" ]; then return 0; fi
  ln -sfn "$1" "$2"
  lemp_changed "linked $2 -> $1"
}

lemp_remove() {   # PATH (file or symlink)
  if [ -e "$1" ] || [ -L "$1" ]; then
    rm -f "$1"
    lemp_changed "removed $1"
  fi
}


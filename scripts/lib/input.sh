# --- input -----------------------------------------------------------------------------------------------------
# lemp_read_secret VAR: first line of stdin into VAR (never echoed); refuses an empty one.
lemp_read_secret() {
  local _line=""
  IFS= read -r _line || true
  _line=${_line%$'\r'}
  [ -n "$_line" ] || lemp_die "expected a non-empty password on the first line of standard input"
  printf -v "$1" '%s' "$_line"
}

# lemp_inputs_checked: every step calls it right after its settings checks, before it reads a secret from stdin or
# changes anything. With LEMP_CHECK_ONLY=1 the step stops there (exit 0, fact inputs_checked=1): the settings the
# program would send are checked without touching the host (test/unit/drift.test.ts runs every step this way).
lemp_inputs_checked() {
  if [ "${LEMP_CHECK_ONLY:-0}" = 1 ]; then
    lemp_fact inputs_checked 1
    exit 0
  fi
}

# Names the application's database and user may not take (shell patterns, lower case; compared case-insensitively):
# the secure-installation clean-up, the grants and the replication account must never meet them. lib/config.ts reads
# these two lines, so the program refuses exactly what the scripts refuse (one list; keep each on one line).
LEMP_RESERVED_DATABASES='mysql sys information_schema performance_schema test test_* ndbinfo mysql_innodb_cluster_metadata'
LEMP_RESERVED_USERS='root repl mysql mysql.* mariadb.* debian-sys-maint public none mysqlxsys admin'

lemp_reserved() {   # NAME PATTERNS: true when NAME, in lower case, matches one of the space-separated patterns
  local name=${1,,} pattern patterns
  read -r -a patterns <<<"$2"
  for pattern in "${patterns[@]}"; do
    # shellcheck disable=SC2053 # the pattern is a glob on purpose
    [[ $name == $pattern ]] && return 0
  done
  return 1
}

lemp_require() {   # NAME REGEX DESCRIPTION: the variable must be set and match
  local value=${!1:-}
  [[ $value =~ $2 ]] || lemp_die "$1 must be $3 (got '${value}')"
}


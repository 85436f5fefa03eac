# --- SQL quoting -----------------------------------------------------------------------------------------------
lemp_sql_str() {   # a MySQL string literal: ' doubled, \ escaped
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\'/\'\'}
  printf "'%s'" "$s"
}
lemp_sql_ident() {   # a MySQL identifier: ` doubled
  local q='`'
  printf '%s%s%s' "$q" "${1//$q/$q$q}" "$q"
}
# The database name as GRANT ... ON <db>.* and mysql.db hold it: "_" and "%" are wildcards there, escaped with ""
# ("my_app" would also grant "myXapp", "mysq_" the mysql schema). lemp_sql_db_pattern NAME: the pattern (raw);
# lemp_sql_grant_db NAME: it as an identifier for GRANT/REVOKE.
lemp_sql_db_pattern() {
  local p=${1//\\/\\\\}
  p=${p//_/\\_}
  printf '%s' "${p//%/\\%}"
}
lemp_sql_grant_db() { lemp_sql_ident "$(lemp_sql_db_pattern "$1")"; }


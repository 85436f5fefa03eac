# --- database accounts (database.sh, replication.sh) -----------------------------------------------------------
lemp_db_sql() { mysql --protocol=socket -uroot -N -B; }   # SQL on stdin as root over the unix socket; tab-separated rows
lemp_db_q() { printf '%s\n' "$1" | lemp_db_sql; }          # one query as root (no secrets in it)
LEMP_DB_COPY_DB_PRIVS='EVENT,LOCK TABLES,SELECT,SHOW VIEW,TRIGGER'   # on the application database, for the copy

# lemp_db_copy_plan HAS_DB DONE WANT STARTED RESEED: what a replica's database step may do with its local database
# (HAS_DB 1/0: the application's database exists here; DONE: the completion marker's content; WANT: the marker of a
# copy from the configured primary; STARTED 1/0: a "copy started" marker without its "done"; RESEED 1/0: the host
# is named in dbReseed in this change). Prints one word:
#   keep    the copy from this primary is done: nothing to copy
#   copy    no local database: copy
#   redo    a copy cut short (started, never done): its partial database is dropped and the copy redone
#   reseed  named for re-seeding: the local database is dropped and copied again
#   refuse  a database this step did not copy (a former primary, a standalone, a copy from another primary): its
#           rows may exist nowhere else, it is never dropped
lemp_db_copy_plan() {
  if [ "$2" = "$3" ] && [ "$1" = 1 ]; then echo keep
  elif [ "$1" = 0 ]; then echo copy
  elif [ "$4" = 1 ]; then echo redo
  elif [ "$5" = 1 ]; then echo reseed
  else echo refuse
  fi
}


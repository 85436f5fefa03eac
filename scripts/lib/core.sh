#!/usr/bin/env bash
# Shared functions of the provisioning steps, one file per concern in this directory (this one first: messages,
# facts, lemp_init). The program sends platform.sh, these files in ../lib.sh's order and a step's script as one
# `bash -c` command; run by hand, a step sources ../lib.sh from its own directory, which sources them. See README.md.
#
# Conventions: human messages go to stderr as "[lemp:<step>] ...", each change as "[lemp:<step>] changed: <what>";
# facts go to stdout as key=value; lemp_finish prints "changed=N" as the last line of stdout.
# The LEMP_* variables set here are read by the step scripts (shellcheck sees one file at a time):
# shellcheck disable=SC2034
set -euo pipefail

LEMP_STEP=${LEMP_STEP:-lemp}
LEMP_CHANGED=0
LEMP_WROTE=0      # set by lemp_write_file: 1 when it wrote, 0 when the file was already right
LEMP_STARTED=0    # set by lemp_service_enable_start: 1 when it started the service
LEMP_STATE_DIR=/var/lib/seed-web

lemp_log() { printf '[lemp:%s] %s\n' "$LEMP_STEP" "$*" >&2; }
lemp_die() {   # [code] message
  local code=1
  if [[ ${1:-} =~ ^[0-9]+$ ]] && [ $# -gt 1 ]; then code=$1; shift; fi
  lemp_log "error: $*"
  exit "$code"
}
lemp_changed() { LEMP_CHANGED=$((LEMP_CHANGED + 1)); lemp_log "changed: $*"; }
lemp_fact() { printf '%s=%s\n' "$1" "$2"; }
lemp_finish() { lemp_generation_record; printf 'changed=%s\n' "$LEMP_CHANGED"; }

lemp_init() {   # step name
  LEMP_STEP=$1
  umask 022
  export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin${PATH:+:$PATH}"
  export LC_ALL=C
  [ "$EUID" -eq 0 ] || lemp_die "must run as root (use sudo)"
  trap 'lemp_log "error: failed (exit $?) at line $LINENO: $BASH_COMMAND"' ERR
}


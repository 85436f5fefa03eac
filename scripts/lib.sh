#!/usr/bin/env bash
# The provisioning steps' shared library, one file per concern under lib/, in the order below: a step run by hand
# sources this file from its own directory, and this file sources the platform data (platform.sh) and the parts. The
# program sends the same text as one command: platform.sh, the parts concatenated in this order (lib/steps.ts reads
# the order from the lines below), then the step's script. See README.md.
_lemp_lib=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source-path=SCRIPTDIR source=platform.sh
declare -F lemp_os >/dev/null || . "$_lemp_lib/platform.sh"
# shellcheck source-path=SCRIPTDIR source=lib/core.sh
. "$_lemp_lib/lib/core.sh"          # messages, facts, lemp_init, lemp_finish
# shellcheck source-path=SCRIPTDIR source=lib/host.sh
. "$_lemp_lib/lib/host.sh"          # the platform data's reader, the host's memory and CPUs
# shellcheck source-path=SCRIPTDIR source=lib/tune.sh
. "$_lemp_lib/lib/tune.sh"          # the serving profile (lemp_tune)
# shellcheck source-path=SCRIPTDIR source=lib/apt.sh
. "$_lemp_lib/lib/apt.sh"           # packages
# shellcheck source-path=SCRIPTDIR source=lib/files.sh
. "$_lemp_lib/lib/files.sh"         # files written only when they differ, removed, directories
# shellcheck source-path=SCRIPTDIR source=lib/services.sh
. "$_lemp_lib/lib/services.sh"      # services, with or without systemd
# shellcheck source-path=SCRIPTDIR source=lib/input.sh
. "$_lemp_lib/lib/input.sh"         # settings checked, secrets read from stdin
# shellcheck source-path=SCRIPTDIR source=lib/sql.sh
. "$_lemp_lib/lib/sql.sh"           # SQL quoting
# shellcheck source-path=SCRIPTDIR source=lib/tls.sh
. "$_lemp_lib/lib/tls.sh"           # certificates and keys
# shellcheck source-path=SCRIPTDIR source=lib/db-accounts.sh
. "$_lemp_lib/lib/db-accounts.sh"   # database accounts (database.sh, replication.sh)
# shellcheck source-path=SCRIPTDIR source=lib/db-switch.sh
. "$_lemp_lib/lib/db-switch.sh"     # the application's switch of database server (app.sh)
# shellcheck source-path=SCRIPTDIR source=lib/releases.sh
. "$_lemp_lib/lib/releases.sh"      # the user's application's releases (stage.sh, release.sh)
# shellcheck source-path=SCRIPTDIR source=lib/undo.sh
. "$_lemp_lib/lib/undo.sh"          # generations and undo
# shellcheck source-path=SCRIPTDIR source=lib/preexisting.sh
. "$_lemp_lib/lib/preexisting.sh"   # what a host held before the stack came
unset _lemp_lib

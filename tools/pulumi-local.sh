#!/usr/bin/env bash
# The Pulumi CLI on this project, with one state backend for every command (no Pulumi account needed):
#   npm run preview|up|destroy [-- [STACK] [pulumi flags...]]   tools/pulumi-local.sh preview|up|destroy ...
#   npm run pulumi -- ARGS...                                   tools/pulumi-local.sh pulumi ARGS... (any command)
#
# Backend: PULUMI_BACKEND_URL when set, else a local file backend in .pulumi-state/ of the project (ignored by git).
# Secrets in the state are encrypted with PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE), which the CLI
# asks for when unset: nothing here hides the CLI's output, so that prompt is always seen.
#
# preview|up|destroy:
# - the stack is `--stack NAME` (or -s NAME, --stack=NAME) among the flags, or a first argument that is not a flag,
#   else dev; every other argument goes to pulumi as it is (`npm run up -- --stack hardened --diff`);
# - only dev is created on demand; any other stack must have its Pulumi.NAME.yaml and exist in the backend
#   (`npm run pulumi -- stack init NAME`), so a misspelt name never deploys the defaults on a new stack;
# - preview and up run the policy pack (`--policy-pack policy`) on every stack but dev (the seed design, whose
#   violations are the point); give `--policy-pack policy` for dev yourself. A mandatory violation stops the update.
# - relative paths given to --policy-pack, --policy-pack-config and --config-file are taken from the directory npm
#   was started in (INIT_CWD), as the CLI would take them there.
set -euo pipefail
project=$(cd "$(dirname "$0")/.." && pwd)
user_dir=${INIT_CWD:-$PWD}
[ -d "$user_dir" ] || user_dir=$PWD

usage="usage: npm run preview|up|destroy [-- [STACK | --stack STACK] [pulumi flags...]]   (STACK: dev when none)
       npm run pulumi -- ARGS...   (any pulumi command, e.g. stack output zoneFile --stack hardened)"
die() {   # CODE MESSAGE
  printf 'error: %s\n' "$2" >&2
  exit "$1"
}

action=${1:-}
case $action in
  preview | up | destroy | pulumi) shift ;;
  *) die 2 "$usage" ;;
esac

if ! command -v pulumi >/dev/null; then
  echo "the Pulumi CLI is not installed: https://www.pulumi.com/docs/install/" >&2
  echo "without it, 'npm run audit -- --stack <stack>' evaluates the policy pack on a stack offline" >&2
  exit 2
fi
if [ -z "${PULUMI_BACKEND_URL:-}" ]; then
  mkdir -p "$project/.pulumi-state"
  export PULUMI_BACKEND_URL="file://$project/.pulumi-state"
fi

# a path argument of a flag, from the user's directory
user_path() {
  case $1 in
    /* | "") printf '%s' "$1" ;;
    *) printf '%s/%s' "$user_dir" "$1" ;;
  esac
}

cd "$project"
if [ "$action" = pulumi ]; then
  [ $# -gt 0 ] || die 2 "$usage"
  exec pulumi "$@"
fi

stack=""
args=()
has_pack=0
while [ $# -gt 0 ]; do
  case $1 in
    --) shift ;;
    -s | --stack)
      [ $# -ge 2 ] || die 2 "$1 needs a stack name"
      [ -z "$stack" ] || die 2 "two stacks given: $stack and $2"
      stack=$2
      shift 2 ;;
    --stack=*)
      [ -z "$stack" ] || die 2 "two stacks given: $stack and ${1#--stack=}"
      stack=${1#--stack=}
      shift ;;
    --policy-pack | --policy-pack-config | --config-file)
      [ $# -ge 2 ] || die 2 "$1 needs a value"
      [ "$1" != --policy-pack ] || has_pack=1
      args+=("$1" "$(user_path "$2")")
      shift 2 ;;
    --policy-pack=* | --policy-pack-config=* | --config-file=*)
      [[ $1 != --policy-pack=* ]] || has_pack=1
      args+=("${1%%=*}=$(user_path "${1#*=}")")
      shift ;;
    -*)
      args+=("$1")
      shift ;;
    *)
      # the first word that is not a flag names the stack (npm run up -- hardened); later ones are flag values
      if [ -z "$stack" ] && [ ${#args[@]} -eq 0 ]; then
        stack=$1
      else
        args+=("$1")
      fi
      shift ;;
  esac
done
stack=${stack:-dev}
[[ $stack =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$ ]] || die 2 "invalid stack name '$stack'"

if [ "$stack" = dev ]; then
  pulumi stack select dev --create
else
  if [ ! -f "Pulumi.$stack.yaml" ]; then
    known=$(cd "$project" && for f in Pulumi.*.yaml; do [ -f "$f" ] && f=${f#Pulumi.} && printf '%s ' "${f%.yaml}"; done)
    die 2 "no stack file Pulumi.$stack.yaml (the stacks here: ${known% }); only dev is created on demand: for a new stack, write Pulumi.$stack.yaml and run 'npm run pulumi -- stack init $stack'"
  fi
  if ! pulumi stack select "$stack"; then
    die 2 "stack '$stack' does not exist in the backend ($PULUMI_BACKEND_URL): create it with 'npm run pulumi -- stack init $stack'"
  fi
  if [ "$action" != destroy ] && [ "$has_pack" = 0 ]; then
    args=(--policy-pack "$project/policy" "${args[@]}")
  fi
fi
exec pulumi "$action" --stack "$stack" ${args[@]+"${args[@]}"}

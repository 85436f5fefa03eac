#!/usr/bin/env bash
# Run the Pulumi CLI on a stack with a local file state backend unless one is chosen already: no account needed.
#   tools/pulumi-local.sh preview|up|destroy [STACK] [-- extra pulumi args]   (STACK defaults to dev)
# The state lives in .pulumi-state/ of the project (ignored by git); secrets in it are encrypted with the
# passphrase in PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE), which the CLI asks for when unset:
# nothing here hides the CLI's output, so that prompt is always seen.
set -euo pipefail
cd "$(dirname "$0")/.."

action=${1:?usage: tools/pulumi-local.sh preview|up|destroy [STACK] [-- pulumi args]}
shift
stack=dev
if [ $# -gt 0 ] && [ "$1" != "--" ]; then stack=$1; shift; fi
[ "${1:-}" = "--" ] && shift

if ! command -v pulumi >/dev/null; then
  echo "the Pulumi CLI is not installed: https://www.pulumi.com/docs/install/" >&2
  echo "without it, 'npm run audit -- --stack $stack' evaluates the policy pack on this stack offline" >&2
  exit 2
fi
if [ -z "${PULUMI_BACKEND_URL:-}" ]; then
  mkdir -p .pulumi-state
  export PULUMI_BACKEND_URL="file://$PWD/.pulumi-state"
fi
pulumi stack select "$stack" --create
exec pulumi "$action" --stack "$stack" "$@"

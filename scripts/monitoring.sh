#!/usr/bin/env bash
# Step "monitoring": the Prometheus node exporter from the distribution, listening on LEMP_MON_LISTEN:LEMP_MON_PORT.
# Settings: LEMP_MON_LISTEN (an IPv4 address of this host or a name resolving to one; default 127.0.0.1; the program
#           sends the host's private address when some address may scrape it, else 127.0.0.1: never all addresses),
#           LEMP_MON_PORT (default 9100).
# Who may reach it is the firewall's business (firewall.sh: 9100 from the allowed addresses only). The textfile
# collector reads /var/lib/prometheus/node-exporter/*.prom (backup.sh's seed_web_backup_* metrics).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
declare -F lemp_init >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lemp_init monitoring
lemp_os

LEMP_MON_LISTEN=${LEMP_MON_LISTEN:-127.0.0.1}
LEMP_MON_PORT=${LEMP_MON_PORT:-9100}
lemp_require LEMP_MON_LISTEN '^([0-9]{1,3}(\.[0-9]{1,3}){3}|[A-Za-z0-9]([A-Za-z0-9.-]{0,252}[A-Za-z0-9])?)$' 'an IPv4 address or a DNS name'
lemp_require LEMP_MON_PORT '^[1-9][0-9]{0,4}$' 'a TCP port'
lemp_inputs_checked   # LEMP_CHECK_ONLY=1 stops here: settings checked, nothing read from stdin, nothing changed
service=prometheus-node-exporter
defaults=/etc/default/$service
textfile_dir=/var/lib/prometheus/node-exporter
listen=$LEMP_MON_LISTEN
if ! [[ $listen =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]]; then   # a name (a DNS privateAddress): its IPv4 address
  listen=$(getent ahostsv4 "$LEMP_MON_LISTEN" | awk 'NR == 1 { print $1 }' || true)
  [ -n "$listen" ] || lemp_die "LEMP_MON_LISTEN: $LEMP_MON_LISTEN does not resolve to an IPv4 address on this host"
fi
case "$listen" in
  0.0.0.0 | 127.*) ;;
  *)
    if command -v hostname >/dev/null && ! hostname -I | tr ' ' '\n' | grep -qxF "$listen"; then
      lemp_die "LEMP_MON_LISTEN=$LEMP_MON_LISTEN ($listen) is not an address of this host ($(hostname -I)): set the host's connection.privateAddress to one"
    fi
    ;;
esac

lemp_install_step_packages monitoring

# ARGS in the package's defaults file (its comments kept): the listen address
[ -f "$defaults" ] || lemp_die "$defaults not found after installing $service"
args="--web.listen-address=$listen:$LEMP_MON_PORT --collector.textfile.directory=$textfile_dir"
awk -v args="$args" '
  /^ARGS=/ { if (!done) print "ARGS=\"" args "\""; done = 1; next }
  { print }
  END { if (!done) print "ARGS=\"" args "\"" }
' "$defaults" >"$defaults.lemp-new"
lemp_write_file "$defaults" 0644 root:root <"$defaults.lemp-new"
rm -f "$defaults.lemp-new"
conf_changed=$LEMP_WROTE

lemp_service_enable_start "$service"
if [ "$conf_changed" = 1 ] && [ "$LEMP_STARTED" = 0 ]; then lemp_service_restart "$service"; fi

# it answers (from this host: 127.0.0.1 when it listens on all addresses)
probe=$listen
[ "$probe" != 0.0.0.0 ] || probe=127.0.0.1
ok=0
for _ in $(seq 1 30); do
  metrics=$(curl -s --max-time 2 "http://$probe:$LEMP_MON_PORT/metrics" || true)
  if [[ $metrics == *$'\nnode_exporter_build_info'* ]]; then ok=1; break; fi
  sleep 0.5
done
[ "$ok" = 1 ] || lemp_die "the node exporter does not answer on http://$probe:$LEMP_MON_PORT/metrics"

lemp_fact node_exporter "$listen:$LEMP_MON_PORT"
lemp_finish

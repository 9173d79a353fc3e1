#!/bin/sh
# Waits until the Temporal frontend answers, creates the namespace the workers use when it is missing, then stays
# up as the operator's shell (`docker compose exec temporal-admin-tools temporal workflow list`).
# `temporal-namespace.sh check` is the healthcheck that holds the workers back until Temporal serves their
# namespace: it lists the namespace's workflows, a call that resolves the namespace the way the workers' polls do.
set -eu
namespace=${TEMPORAL_NAMESPACE:-default}
host=${TEMPORAL_ADDRESS%:*}
port=${TEMPORAL_ADDRESS##*:}
# The CLI is given an IP address, not the service name: its gRPC resolver also asks DNS for a load-balancer
# record, which some Docker hosts take longer to refuse than the CLI waits.
ip=$(getent hosts "$host" | awk '{ print $1; exit }')
if [ -z "$ip" ]; then
  echo "cannot resolve $host (TEMPORAL_ADDRESS=$TEMPORAL_ADDRESS); is the temporal service running?" >&2
  exit 1
fi
address="$ip:$port"

if [ "${1:-}" = check ]; then
  exec temporal workflow list --namespace "$namespace" --limit 1 --address "$address" > /dev/null
fi

attempts=0
until temporal operator cluster health --address "$address"; do
  attempts=$((attempts + 1))
  if [ "$attempts" -ge 60 ]; then
    echo "Temporal at $TEMPORAL_ADDRESS did not answer within 2 minutes; see \`docker compose logs temporal\`" >&2
    exit 1
  fi
  sleep 2
done
if ! temporal operator namespace describe --namespace "$namespace" --address "$address" > /dev/null 2>&1; then
  temporal operator namespace create --namespace "$namespace" --retention "${NAMESPACE_RETENTION:-7d}" --address "$address"
fi
# lms-export's search attributes (src/workflows/search-attributes.ts; `lms-export setup` does the same), so runs
# can be filtered by spec, source, phase and verdict in the Web UI.
existing=$(temporal operator search-attribute list --namespace "$namespace" --address "$address")
for attribute in LmsSpec:Keyword LmsSource:Keyword LmsPreset:Keyword LmsResources:KeywordList LmsPhase:Keyword LmsPaused:Bool LmsVerdict:Keyword LmsRecords:Int; do
  name=${attribute%%:*}
  if ! printf '%s\n' "$existing" | grep -qw "$name"; then
    temporal operator search-attribute create --namespace "$namespace" --name "$name" --type "${attribute#*:}" --address "$address"
  fi
done
echo "namespace $namespace is ready at $TEMPORAL_ADDRESS"

# Stay up for `docker compose exec`; stop at once on `docker compose down`.
trap 'exit 0' INT TERM
while true; do
  sleep 3600 &
  wait $!
done

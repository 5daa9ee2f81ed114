#!/usr/bin/env bash
# The plain baseline: one `docker compose up -d` for the whole stack (compose starts what it
# can at once and honours depends_on conditions), then the reference ready probes are polled
# every 200 ms until all nine answer, a container dies, or TIMEOUT_S passes.
#   bench/compose-up.sh COMPOSE_FILE PROJECT [TIMEOUT_S, default 180]
# compose up -d itself returns only once the service_healthy dependencies are healthy: a
# service that became ready before it returned reads as ready at that moment.
# Prints one JSON object like bench/ready-chain.sh: ok, failure, first_start_ms, all_ready_ms,
# services[{name, start_ms, ready_ms}] (start_ms is when compose up began for every service).
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

file=$1 project=$2 timeout_s=${3:-180}
began=$(now_ms)
failure=""
docker compose -p "$project" -f "$file" up -d --quiet-pull >/dev/null 2>&1 ||
  failure="docker compose up -d failed"
declare -A ready_at=()
deadline=$((began + timeout_s * 1000))
while [[ -z $failure ]] && ((${#ready_at[@]} < ${#k_randhand_probes[@]})); do
  for line in "${k_randhand_probes[@]}"; do
    # shellcheck disable=SC2086
    set -- $line
    [[ -n ${ready_at[$1]:-} ]] && continue
    if probe_ready "$project" "$file" "$@"; then
      ready_at[$1]=$(($(now_ms) - began))
    fi
  done
  # A container that exited (OOM-killed, or gave up on its broker) and is not restarting.
  dead=$(docker ps -a --filter "label=com.docker.compose.project=$project" \
    --filter status=exited --format '{{.Names}}' | head -n3 | tr '\n' ' ')
  if [[ -n $dead ]]; then
    failure="exited: $dead"
  elif (($(now_ms) > deadline)); then
    failure="not all ready within ${timeout_s}s"
  else
    sleep 0.2
  fi
done

for line in "${k_randhand_probes[@]}"; do
  # shellcheck disable=SC2086
  set -- $line
  jq -cn --arg n "$1" --argjson r "${ready_at[$1]:-null}" '{name: $n, start_ms: 0, ready_ms: $r}'
done | jq -s --arg failure "$failure" '{
  ok: ($failure == ""), failure: $failure, first_start_ms: 0,
  all_ready_ms: (if $failure == "" then (map(.ready_ms) | max) else null end),
  services: .}'

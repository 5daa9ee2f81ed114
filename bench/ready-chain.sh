#!/usr/bin/env bash
# The careful hand-written baseline: start each reference service alone once the previous one
# answers its ready probe (no memory gate, no parallelism), polling every 200 ms like
# stagehand's `poll: 200ms`.
#   bench/ready-chain.sh COMPOSE_FILE PROJECT [TIMEOUT_S per service, default 120]
# Prints one JSON object: ok, failure, first_start_ms, all_ready_ms, services[{name, start_ms,
# ready_ms}] (ms since the script began), as after-install's report does.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

file=$1 project=$2 timeout_s=${3:-120}
began=$(now_ms)
services=()
failure=""
for line in "${k_randhand_probes[@]}"; do
  # shellcheck disable=SC2086
  set -- $line
  name=$1
  start=$(($(now_ms) - began))
  if ! docker compose -p "$project" -f "$file" up -d --no-deps --quiet-pull "$name" \
    >/dev/null 2>&1; then
    failure="docker compose up $name failed"
    break
  fi
  deadline=$(($(now_ms) + timeout_s * 1000))
  until probe_ready "$project" "$file" "$@"; do
    if (($(now_ms) > deadline)); then
      failure="$name not ready within ${timeout_s}s"
      break 2
    fi
    sleep 0.2
  done
  ready=$(($(now_ms) - began))
  services+=("$(jq -cn --arg n "$name" --argjson s "$start" --argjson r "$ready" \
    '{name: $n, start_ms: $s, ready_ms: $r}')")
done

printf '%s\n' "${services[@]}" | jq -s --arg failure "$failure" '{
  ok: ($failure == ""), failure: $failure,
  first_start_ms: (if length > 0 then .[0].start_ms else null end),
  all_ready_ms: (if $failure == "" then .[-1].ready_ms else null end),
  services: .}'

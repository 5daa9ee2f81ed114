#!/usr/bin/env bash
# The seed's way of waiting, for the overhead comparison: start each service, then sleep a
# fixed time, nothing else (the original deploy script did this with 60 s sleeps).
#   bench/seed-way.sh COMPOSE_FILE PROJECT SLEEP_S SERVICE...
set -euo pipefail
file=$1 project=$2 pause=$3
shift 3
for service in "$@"; do
  docker compose -p "$project" -f "$file" up -d --no-deps "$service" >/dev/null 2>&1
  sleep "$pause"
done

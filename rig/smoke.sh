#!/usr/bin/env bash
# Smoke test of the local world (about 20 s; root and Docker needed): brings the world up,
# then proves what the integration tests rely on:
#   - a stand-in container joins a t2micro.sh cgroup through --cgroup-parent, and its usage
#     grows by the memory it holds;
#   - its healthcheck (/standin --probe) makes it healthy; the :1 and :2 tags differ;
#   - in a memory-limited parent cgroup, exceeding the limit OOM-kills exactly one container
#     (exit 137, State.OOMKilled=true), while Docker also sends `oom` events for the others
#     (cgroup v1 notifies every descendant; those get OOMKilled=true if they later exit).
# Usage: rig/smoke.sh [path/to/standin]   (default build/release/tests/standin/standin)
set -euo pipefail
cd "$(dirname "$0")/.."

readonly k_label=org.stagehand.rig-smoke=1
readonly k_image=127.0.0.1:5000/randhand/rabbitmq
# A private 256 MiB cgroup made by t2micro.sh like the real one, so this test never disturbs
# (or OOM-kills) a stack that other tests run in stagehand-t2micro at the same time.
readonly k_small=stagehand-rig-smoke

fail() { printf 'smoke: FAIL: %s\n' "$*" >&2; exit 1; }
pass() { printf 'smoke: ok: %s\n' "$*"; }
cleanup() {
  docker ps -aq --filter "label=$k_label" | xargs -r docker rm -f >/dev/null 2>&1 || true
  STAGEHAND_T2MICRO_NAME=$k_small rig/t2micro.sh destroy >/dev/null 2>&1 || true
  return 0
}
trap cleanup EXIT

# wait_for DEADLINE_S CMD...: polls CMD until it succeeds; false at the deadline.
wait_for() {
  local end=$((SECONDS + $1)); shift
  until "$@"; do ((SECONDS < end)) || return 1; sleep 0.2; done
}
run() { docker run -d --label "$k_label" --network host "$@"; }
logs_say() { docker logs "$1" 2>&1 | grep -q "$2"; }
is_healthy() { [[ $(docker inspect -f '{{.State.Health.Status}}' "$1") == healthy ]]; }
usage_mib() { echo $(($(cat "$1/memory.usage_in_bytes" 2>/dev/null || cat "$1/memory.current") / 1048576)); }

rig/world.sh up
rig/t2micro.sh create
rig/build-images.sh "${1:-build/release/tests/standin/standin}"
cleanup

# 1. cgroup membership and accounting, healthcheck.
export STAGEHAND_T2MICRO_NAME=$k_small STAGEHAND_T2MICRO_MIB=256
rig/t2micro.sh create >/dev/null
mem=$(rig/t2micro.sh path)
before=$(usage_mib "$mem")
port=$((30000 + RANDOM % 20000))
id=$(run --cgroup-parent "/$k_small" --health-cmd "/standin --probe http://127.0.0.1:$port/" \
  --health-interval 1s "$k_image:1" --name smoke --peak-mib 100 --steady-mib 80 --port "$port")
wait_for 20 logs_say "$id" 'smoke ready in' || fail "no ready line: $(docker logs "$id" 2>&1)"
[[ -d $mem/$id ]] || fail "container cgroup $mem/$id missing (cgroup driver not cgroupfs?)"
grown=$(($(usage_mib "$mem") - before))
((grown >= 75 && grown <= 100)) || fail "cgroup usage grew by $grown MiB, want about 80"
pass "container in $mem/${id:0:12}, cgroup usage +$grown MiB (steady 80)"
wait_for 20 is_healthy "$id" || fail "never healthy"
pass "healthcheck /standin --probe: healthy"
l1=$(docker image inspect -f '{{index .Config.Labels "org.stagehand.image-version"}}' "$k_image:1")
l2=$(docker image inspect -f '{{index .Config.Labels "org.stagehand.image-version"}}' "$k_image:2")
[[ $l1 == 1 && $l2 == 2 ]] || fail "image labels :1=$l1 :2=$l2"
pass "tags :1 and :2 are different images"
docker rm -f "$id" >/dev/null

# 2. OOM in a parent cgroup: one victim; oom events for every container of the cgroup.
since=$(date +%s)
a=$(run --cgroup-parent "/$k_small" "$k_image:1" --name a --peak-mib 150)
c=$(run --cgroup-parent "/$k_small" "$k_image:1" --name c --peak-mib 10)
wait_for 20 logs_say "$a" 'a ready in' || fail "a not ready"
wait_for 20 logs_say "$c" 'c ready in' || fail "c not ready"
b=$(run --cgroup-parent "/$k_small" "$k_image:1" --name b --peak-mib 150 --ramp-s 0.5)
dead() { [[ $(docker ps -q --filter "label=$k_label" | wc -l) -lt 3 ]]; }
wait_for 20 dead || fail "no container died over the 256 MiB limit"
killed=$(docker ps -aq --filter "label=$k_label" --filter status=exited)
[[ $(wc -w <<<"$killed") == 1 ]] || fail "want one victim, got: $killed"
state=$(docker inspect -f '{{.State.ExitCode}} {{.State.OOMKilled}}' "$killed")
[[ $state == "137 true" ]] || fail "victim state: exit/OOMKilled = $state"
sleep 1  # the event stream is read after the fact; give the daemon a moment to log them
events=$(docker events --since "$since" --until "$(date +%s)" --filter "label=$k_label" \
  --filter event=oom --format '{{.Actor.ID}}' | sort -u | wc -l)
pass "over the limit: one victim (exit 137, OOMKilled=true); oom events for $events container(s)"

#!/usr/bin/env bash
# The README's "command 1": from a fresh Debian 12, as root, builds stagehand and deploys the
# RandHand reference stack (examples/randhand, nine stand-in services in a simulated 1 GiB /
# 1 CPU t2.micro) through its three hooks, run exactly the way the CodeDeploy agent runs them.
#   rig/demo.sh           install, build, world up, t2.micro, images, fresh deploy
#   rig/demo.sh --keep    deploy over the stack a previous demo left running (a redeploy)
#   rig/demo.sh down      stop the demo stack (the world stays up: rig/world.sh down)
set -euo pipefail
cd "$(dirname "$0")/.."

readonly k_build=${STAGEHAND_BUILD_DIR:-build/release}  # another folder: a test of this script
# The build lays the example out as a bundle (examples/randhand + the hooks) in its own folder.
readonly k_bundle=$k_build/bundles/randhand
readonly k_compose=(docker compose -p randhand -f examples/randhand/docker-compose.yml)
readonly k_root=/var/lib/stagehand-rig/deployments

step() { printf '\n==> %s\n' "$*"; }
die() { printf 'demo: error: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "run as root (apt, dockerd, cgroups)"

if [[ ${1:-} == down ]]; then
  "${k_compose[@]}" down -t 10
  exit 0
fi
keep=false
[[ ${1:-} == --keep ]] && keep=true
[[ $# -le 1 && (${1:-} == "" || $keep == true) ]] || die "usage: rig/demo.sh [--keep | down]"

step "dependencies (apt only when something is missing)"
rig/install-deps.sh

step "build (static Release: the hooks, the stand-in, the agent simulator)"
cmake -S . -B "$k_build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$k_build"
for hook in before-install after-install validate-service; do
  [[ -x $k_bundle/hooks/$hook ]] || die "$k_bundle/hooks/$hook missing after the build"
done
k_sim=$k_build/tests/agent/codedeploy-sim
[[ -x $k_sim ]] || k_sim=$k_build/bin/codedeploy-sim
[[ -x $k_sim ]] || die "codedeploy-sim missing after the build (tests/agent)"

step "world: dockerd and a registry on 127.0.0.1:5000"
rig/world.sh up

step "the simulated t2.micro: cgroup stagehand-t2micro, 1024 MiB, 1 CPU"
rig/t2micro.sh create

step "stand-in images -> 127.0.0.1:5000/randhand/<service>:1"
rig/build-images.sh "$k_build/tests/standin/standin"

if [[ $keep == false ]]; then
  step "removing the stack a previous demo left (rig/demo.sh --keep deploys over it)"
  "${k_compose[@]}" down -t 10 2>&1 | grep -v '^$' || true
fi

cgroup=$(rig/t2micro.sh path)
if [[ -f $cgroup/memory.max_usage_in_bytes ]]; then
  echo 0 >"$cgroup/memory.max_usage_in_bytes"  # v1: restart the peak figure for this deploy
fi

step "deploy $k_bundle like the CodeDeploy agent: BeforeInstall, Install, AfterInstall, ValidateService"
started=$SECONDS
status=0
"$k_sim" deploy --bundle "$k_bundle" --root "$k_root" --application randhand \
  --group randhand-dg --print-output || status=$?
elapsed=$((SECONDS - started))

step "result"
"${k_compose[@]}" ps -a --format 'table {{.Service}}\t{{.State}}\t{{.Status}}' || true
peak=""
if [[ -f $cgroup/memory.max_usage_in_bytes ]]; then
  peak="$(($(<"$cgroup/memory.max_usage_in_bytes") / 1048576)) MiB"
elif [[ -f $cgroup/memory.peak ]]; then
  peak="$(($(<"$cgroup/memory.peak") / 1048576)) MiB"
fi
ooms=0
for id in $("${k_compose[@]}" ps -aq); do
  # Docker marks every container of the cgroup on a parent OOM; only exit 137 was killed.
  [[ $(docker inspect -f '{{.State.OOMKilled}} {{.State.ExitCode}}' "$id") == "true 137" ]] &&
    ooms=$((ooms + 1))
done
echo "deployment: $([[ $status == 0 ]] && echo Succeeded || echo Failed) in ${elapsed}s;" \
  "t2.micro peak memory ${peak:-unknown} of 1024 MiB; OOM kills: $ooms"
echo "logs: $k_root (scripts.log per deployment), /var/log/stagehand; stop: rig/demo.sh down"
exit "$status"

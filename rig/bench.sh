#!/usr/bin/env bash
# The benchmark from a fresh checkout, in one command (as root on Debian 12): installs what is
# missing, builds the static Release, brings up the local world (dockerd, registry, the
# simulated t2.micro, the stand-in images), runs bench/run.sh with the given arguments, and
# stops the parts of the world it started. Results: bench/results/latest.md and .json.
#   rig/bench.sh                      every strategy, 3 rounds, overhead and scaling
#   rig/bench.sh --rounds 5           any bench/run.sh argument (bench/run.sh --help)
#   STAGEHAND_BENCH_QUICK=1 rig/bench.sh --strategies unannotated,learned   one quick round
set -euo pipefail
cd "$(dirname "$0")/.."

readonly k_build=${STAGEHAND_BUILD_DIR:-build/release}

step() { printf '\n==> %s\n' "$*"; }

[[ $(id -u) -eq 0 ]] || { echo "bench: run as root (apt, dockerd, cgroups)" >&2; exit 1; }

step "dependencies (apt only when something is missing)"
rig/install-deps.sh

step "build (static Release)"
cmake -S . -B "$k_build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$k_build"

# A world that already answered is a developer's: leave it running afterwards.
started_world=true
if rig/world.sh status >/dev/null 2>&1; then
  started_world=false
fi
world_down() {
  if [[ $started_world == true ]]; then
    rig/world.sh down || true
  fi
}
trap world_down EXIT

step "world: dockerd, a registry on 127.0.0.1:5000, the t2.micro cgroup, the stand-in images"
rig/world.sh up
rig/t2micro.sh create
rig/build-images.sh "$k_build/tests/standin/standin"

step "bench/run.sh --bin $k_build/bin $*"
bench/run.sh --bin "$k_build/bin" "$@"

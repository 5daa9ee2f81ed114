#!/usr/bin/env bash
# The README's "run all tests" command (and .ci/run's): from a fresh Debian 12 machine, as root.
#   1. dependencies        rig/install-deps.sh (apt only when something is missing)
#      format              clang-format --dry-run -Werror over every C++ file
#   2. release build       build/release: static hooks, Release; ctest without the "docker" label
#                          (unit_tests, agent_sim_tests, hook_tests, standin tests)
#   3. sanitizer build     build/asan: -DSTAGEHAND_SANITIZE=ON, Debug; the same suites under
#                          ASan + UBSan
#   4. fuzz                tests/fuzz/run.sh, $STAGEHAND_FUZZ_SECONDS (30) per target
#   5. world               rig/world.sh up (dockerd + registry), rig/t2micro.sh create,
#                          rig/build-images.sh, rig/smoke.sh
#   6. docker suites       unit tests against the daemon (DockerEngine*), then the integration
#                          suite (ctest -L docker: tests/integration, through codedeploy-sim)
#   7. vm                  (only with STAGEHAND_VM=1: a cold run takes longer than the rest
#                          of test-all together on a 2-vCPU host under TCG, which would push
#                          CI past its 45 minutes; see README "A t2.micro in a local VM")
#                          rig/vm-suite.sh: the t2.micro VM (QEMU, TCG) builds or reuses its
#                          cached image and runs tests/vm through the agent simulator: bridge
#                          network, MemAvailable, the kernel's OOM killer, reboots
# `rig/world.sh down` runs on exit and stops only what `up` started.
# Every step runs even when an earlier independent one failed; the summary at the end lists
# each with its time, and the exit status is non-zero when any failed.
# Env: STAGEHAND_BUILD_PREFIX (default "build/": build/release, build/asan, build/fuzz),
#      STAGEHAND_FUZZ_SECONDS (30), STAGEHAND_SKIP="asan fuzz ..." (step names to skip, for
#      local runs; CI skips nothing).
set -euo pipefail
cd "$(dirname "$0")/.."

readonly k_prefix=${STAGEHAND_BUILD_PREFIX:-build/}
readonly k_release=${k_prefix}release
readonly k_asan=${k_prefix}asan
readonly k_fuzz=${k_prefix}fuzz
readonly k_fuzz_seconds=${STAGEHAND_FUZZ_SECONDS:-30}
readonly k_skip=" ${STAGEHAND_SKIP:-} "
readonly k_jobs=$(nproc)
readonly k_started=$SECONDS

summary=()
failed=0
# Every step gates the run: its failure fails CI. (Session 1 let fuzz and the Docker suites
# report without gating until they had a full quiet run; they have had several since.)
readonly k_gating=" deps format release static unit asan-build asan fuzz world t2micro images smoke docker-unit integration vm "

say() { printf '\n==> %s\n' "$*"; }

# step NAME CMD...: runs CMD, records "NAME ok|FAILED|skipped Ns"; never stops the script.
step() {
  local name=$1 start=$SECONDS status=0
  shift
  if [[ $k_skip == *" $name "* ]]; then
    summary+=("$(printf '%-14s %-8s' "$name" skipped)")
    return 0
  fi
  say "$name: $*"
  "$@" || status=$?
  local took=$((SECONDS - start))
  if ((status == 0)); then
    summary+=("$(printf '%-14s %-8s %5ss' "$name" ok "$took")")
  elif [[ $k_gating == *" $name "* ]]; then
    summary+=("$(printf '%-14s %-8s %5ss  (exit %s)' "$name" FAILED "$took" "$status")")
    failed=1
  else
    summary+=("$(printf '%-14s %-8s %5ss  (exit %s, not gating)' "$name" FAILED "$took" "$status")")
  fi
  return "$status"
}

print_summary() {
  local line
  printf '\n==> summary (%ss in all)\n' "$((SECONDS - k_started))"
  for line in "${summary[@]}"; do
    printf '  %s\n' "$line"
  done
  local soft
  soft=$(printf '%s\n' "${summary[@]}" | awk '/not gating/ {print $1}' | tr '\n' ' ')
  if ((failed)); then
    printf 'test-all: FAILED\n'
  elif [[ -n $soft ]]; then
    printf 'test-all: gating steps passed; failed but not gating yet: %s\n' "$soft"
  else
    printf 'test-all: all passed\n'
  fi
}

# A step that later steps cannot do without: on failure, summary and exit.
must() {
  if ! step "$@"; then
    print_summary
    exit 1
  fi
}

# The fuzzers link clang's libFuzzer runtime, which Debian ships in libclang-rt-<N>-dev, only
# a Recommends of clang (install-deps.sh installs without recommends).
fuzz_runtime() {
  local major
  major=$(clang --version | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -n1)
  if compgen -G "/usr/lib/llvm-$major/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a" >/dev/null; then
    return 0
  fi
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "libclang-rt-$major-dev"
}

build() {
  local dir=$1
  shift
  cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
  cmake --build "$dir" -j "$k_jobs"
}

# House style: every C++ file as clang-format (.clang-format) would write it.
format_check() {
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z '*.cpp' '*.hpp'
  else
    find src hooks tests tools examples -name '*.[ch]pp' -print0
  fi | xargs -0 clang-format --dry-run -Werror
}

static_hooks() {
  local hook
  for hook in before-install after-install validate-service; do
    file -L "$k_release/bin/$hook" | grep -q 'statically linked' ||
      { echo "$k_release/bin/$hook is not statically linked" >&2; return 1; }
  done
}

fuzz() {
  if [[ ! -x tests/fuzz/run.sh ]]; then
    echo "tests/fuzz/run.sh absent: nothing to fuzz"
    return 0
  fi
  fuzz_runtime
  mkdir -p "$(dirname "$k_fuzz")"
  STAGEHAND_FUZZ_BUILD=$PWD/$k_fuzz tests/fuzz/run.sh "$k_fuzz_seconds"
}

# `rig/world.sh down` stops what any `up` recorded. When both the daemon and the registry
# answered before our `up` (a developer's running world), this run started nothing: leave it.
world_was_up=false
world_down() {
  if [[ $world_was_up == false ]]; then
    rig/world.sh down || true
  fi
}

[[ $(id -u) -eq 0 ]] || { echo "test-all: run as root (apt, dockerd, cgroups)" >&2; exit 1; }

must deps rig/install-deps.sh
step format format_check || true
must release build "$k_release" -DCMAKE_BUILD_TYPE=Release
step static static_hooks || true
step unit ctest --test-dir "$k_release" -LE docker -j "$k_jobs" --output-on-failure \
  --timeout 300 || true

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
if step asan-build build "$k_asan" -DSTAGEHAND_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug; then
  step asan ctest --test-dir "$k_asan" -LE docker -j "$k_jobs" --output-on-failure \
    --timeout 600 || true
fi
step fuzz fuzz || true

if rig/world.sh status >/dev/null 2>&1; then
  world_was_up=true
fi
trap world_down EXIT
if step world rig/world.sh up && step t2micro rig/t2micro.sh create &&
  step images rig/build-images.sh "$k_release/tests/standin/standin"; then
  step smoke rig/smoke.sh "$k_release/tests/standin/standin" || true
  export STAGEHAND_DOCKER_TESTS=1
  step docker-unit "$k_release/tests/unit_tests" --gtest_filter='DockerEngine*' || true
  step integration ctest --test-dir "$k_release" -L docker --output-on-failure || true
  if [[ ${STAGEHAND_VM:-0} == 1 ]]; then
    step vm rig/vm-suite.sh "$k_release" || true
  else
    summary+=("$(printf '%-14s %-8s' vm 'skipped (STAGEHAND_VM=1 runs it)')")
  fi
fi

print_summary
exit "$failed"

#!/usr/bin/env bash
# The README's "run all tests" command (and .ci/run's): from a fresh Debian 12 machine, as root.
#   1. dependencies        rig/install-deps.sh (apt only when something is missing)
#      format              clang-format --dry-run -Werror over every C++ file
#   2. release build       build/release: static hooks, Release; ctest without the "docker" label
#                          (unit_tests, agent_sim_tests, hook_tests, standin tests)
#   3. world               rig/world.sh up (dockerd + registry), rig/t2micro.sh create,
#                          rig/build-images.sh, rig/smoke.sh
#   4. docker suites       unit tests against the daemon (DockerEngine*), then the integration
#                          suite (ctest -L docker: tests/integration, through codedeploy-sim)
#   5. sanitizer build     build/asan: -DSTAGEHAND_SANITIZE=ON, Debug; the same suites under
#                          ASan + UBSan
#   6. fuzz                tests/fuzz/run.sh, $STAGEHAND_FUZZ_SECONDS (30) per target
#   7. vm                  rig/vm-suite.sh: the t2.micro VM (QEMU under TCG, 1 vCPU, 1 GiB)
#                          runs tests/vm through the agent simulator: bridge network,
#                          MemAvailable, the kernel's OOM killer, cgroup v2, reboots
# The VM runs in the background, next to the other steps: its image ("vm-image": debootstrap,
# mkfs, a warm snapshot saved when dockerd answers; cached under /var/lib/stagehand-rig/vm by
# its recipe's hash) from the start, during the release build (mostly network and disk); the
# suite from when the stand-in images exist, during the Docker suites, the ASan build and
# tests and the fuzzers. Its one vCPU keeps one core busy for the whole suite (~15 min on a
# calm 2-core host, 23-27 min measured at load 7-11): run one after the other, the VM and
# the rest took longer than CI's 45 minutes with a cold ccache. The ASan
# build runs at nice 19 next to the integration suite and the VM (a build only takes
# longer; they have timing). The summary shows each step's own time and, for the background
# ones, when they started.
# `rig/world.sh down` runs on exit and stops only what `up` started; an early exit also ends
# the background steps and the VM.
# Every step runs even when an earlier independent one failed; the summary at the end lists
# each with its time, and the exit status is non-zero when any failed.
# Env: STAGEHAND_BUILD_PREFIX (default "build/": build/release, build/asan, build/fuzz, and
#      build/test-all-logs for the background steps' output), STAGEHAND_FUZZ_SECONDS (30),
#      STAGEHAND_SKIP="asan fuzz ..." (step names to skip, for local runs; "vm" skips
#      "vm-image" too; CI skips nothing).
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
readonly k_gating=" deps format release static unit asan-build asan fuzz world t2micro images smoke docker-unit integration vm-image vm "
readonly k_logs=${k_prefix}test-all-logs

say() { printf '\n==> %s\n' "$*"; }

# record NAME STATUS SECONDS [NOTE]: the step's line in the summary.
record() {
  local name=$1 status=$2 took=$3 note=${4:-}
  if ((status == 0)); then
    summary+=("$(printf '%-14s %-8s %5ss%s' "$name" ok "$took" "$note")")
  elif [[ $k_gating == *" $name "* ]]; then
    summary+=("$(printf '%-14s %-8s %5ss%s  (exit %s)' "$name" FAILED "$took" "$note" "$status")")
    failed=1
  else
    summary+=("$(printf '%-14s %-8s %5ss%s  (exit %s, not gating)' "$name" FAILED "$took" \
      "$note" "$status")")
  fi
}

skipped() {
  [[ $k_skip == *" $1 "* ]] || return 1
  summary+=("$(printf '%-14s %-8s' "$1" skipped)")
}

# step NAME CMD...: runs CMD, records "NAME ok|FAILED|skipped Ns"; never stops the script.
step() {
  local name=$1 start=$SECONDS status=0
  shift
  skipped "$name" && return 0
  say "$name: $*"
  "$@" || status=$?
  record "$name" "$status" "$((SECONDS - start))"
  return "$status"
}

# bg_start NAME CMD...: step NAME in the background (its own process group, output in
# $k_logs/NAME.log) while the script goes on; bg_join NAME waits for it, prints its output
# and records it. Used for the VM, which keeps one core busy for its whole run and waits on
# the network while its image builds, next to steps that use the other core.
declare -A bg_pids=() bg_started=()
bg_start() {
  local name=$1
  shift
  skipped "$name" && return 0
  mkdir -p "$k_logs"
  rm -f "$k_logs/$name.status"
  say "$name: in the background from here (+$((SECONDS - k_started))s), output in" \
    "$k_logs/$name.log: $*"
  set -m # its own process group, so that bg_stop can end all of it
  (
    trap - EXIT
    start=$SECONDS status=0
    "$@" >"$k_logs/$name.log" 2>&1 </dev/null || status=$?
    printf '%s %s\n' "$status" "$((SECONDS - start))" >"$k_logs/$name.status"
  ) &
  set +m
  bg_pids[$name]=$!
  bg_started[$name]=$((SECONDS - k_started))
}

bg_join() {
  local name=$1 status=1 took=0
  [[ -n ${bg_pids[$name]:-} ]] || return 0
  wait "${bg_pids[$name]}" || true
  unset "bg_pids[$name]"
  read -r status took <"$k_logs/$name.status" || true
  say "$name (ran in the background from +${bg_started[$name]}s): output"
  cat "$k_logs/$name.log"
  record "$name" "$status" "$took" " (background from +${bg_started[$name]}s)"
  return "$status"
}

# On an early exit: the background steps end with the script (and the VM with them).
bg_stop() {
  local name
  for name in "${!bg_pids[@]}"; do
    kill -- "-${bg_pids[$name]}" 2>/dev/null || true
  done
  [[ -z ${bg_pids[vm]:-}${bg_pids[vm-image]:-} ]] || rig/vm.sh down || true
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

# ctest_step NAME BUILD_DIR ARGS...: step NAME running ctest in BUILD_DIR; when it fails, the
# summary also names the failed tests (ctest's LastTestsFailed.log), because CI shows only the
# end of the output and --output-on-failure's details scroll out of it.
ctest_step() {
  local name=$1 dir=$2 status=0
  shift 2
  rm -f "$dir/Testing/Temporary/LastTestsFailed.log"
  step "$name" ctest --test-dir "$dir" "$@" || status=$?
  if ((status)) && [[ -s $dir/Testing/Temporary/LastTestsFailed.log ]]; then
    summary+=("$(printf '%-14s failed tests: %s' '' \
      "$(cut -d: -f2- "$dir/Testing/Temporary/LastTestsFailed.log" | tr '\n' ' ')")")
  fi
  return "$status"
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

# niced CMD...: CMD at the lowest CPU priority, for a build next to the VM and the Docker
# suites (a build only takes longer; they have deadlines and timing).
niced() {
  renice -n 19 -p "$BASHPID" >/dev/null
  "$@"
}

on_exit() {
  bg_stop
  world_down
}

[[ $(id -u) -eq 0 ]] || { echo "test-all: run as root (apt, dockerd, cgroups)" >&2; exit 1; }

trap on_exit EXIT
must deps rig/install-deps.sh
# The guest image: debootstrap waits on the network, the snapshot's boot takes one core for
# about a minute; cached, it is done at once.
[[ $k_skip == *" vm "* ]] || bg_start vm-image rig/vm.sh build
step format format_check || true
must release build "$k_release" -DCMAKE_BUILD_TYPE=Release
step static static_hooks || true
ctest_step unit "$k_release" -LE docker -j "$k_jobs" --output-on-failure \
  --timeout 300 || true

if rig/world.sh status >/dev/null 2>&1; then
  world_was_up=true
fi
world_ok=false
if step world rig/world.sh up && step t2micro rig/t2micro.sh create &&
  step images rig/build-images.sh "$k_release/tests/standin/standin"; then
  world_ok=true
  step smoke rig/smoke.sh "$k_release/tests/standin/standin" || true
fi
# The VM suite needs the static hooks, codedeploy-sim and the stand-in images (docker save).
# It runs next to everything below: its one vCPU keeps one core busy for its whole run.
if bg_join vm-image && [[ $world_ok == true ]]; then
  # No Docker lock for its docker save (STAGEHAND_DOCKER_LOCK): this run owns Docker.
  STAGEHAND_DOCKER_LOCK='' bg_start vm rig/vm-suite.sh "$k_release"
elif ! skipped vm; then
  summary+=("$(printf '%-14s %-8s' vm 'FAILED    (not run: no guest image or no stand-in images)')")
  failed=1
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
bg_start asan-build niced build "$k_asan" -DSTAGEHAND_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
if [[ $world_ok == true ]]; then
  export STAGEHAND_DOCKER_TESTS=1
  step docker-unit "$k_release/tests/unit_tests" --gtest_filter='DockerEngine*' || true
  ctest_step integration "$k_release" -L docker --output-on-failure || true
  unset STAGEHAND_DOCKER_TESTS
fi
if bg_join asan-build; then
  ctest_step asan "$k_asan" -LE docker -j "$k_jobs" --output-on-failure \
    --timeout 600 || true
fi
step fuzz fuzz || true
if ! bg_join vm && [[ -s $k_logs/vm.log ]]; then
  # The case table (rig/vm-suite.sh) scrolls out of what CI shows: its failed cases here.
  while read -r line; do
    summary+=("$(printf '%-14s %s' '' "$line")")
  done < <(awk '$2 == "FAILED" || $2 == "MISSING"' "$k_logs/vm.log" | cut -c1-160)
fi

print_summary
exit "$failed"

#!/usr/bin/env bash
# The benchmark (WORKLOAD.md): the reference stack in the simulated t2.micro, started by
#   none         stagehand gate: none (everything at once, what `compose up` does)
#   sleep        stagehand gate: sleep, sleep: 6s (the seed's fixed 60 s sleeps, scaled)
#   adaptive-c1  stagehand gate: adaptive, concurrency 1
#   adaptive-c2  stagehand gate: adaptive, concurrency 2
#   annotated    stagehand as examples/randhand ships it (probes, needs, concurrency auto)
#   unannotated  what a new user has (bench/variants.py: no probes, no needs, no
#                healthchecks; only memory_source, reserve, default_need), nothing learned
#   learned      unannotated, second run: an untimed first run in the same state_dir first
#   scrambled    learned, with the services listed in a scrambled compose-file order
#   ready-chain  bench/ready-chain.sh (each service once the previous one answers its probe)
#   compose-up   bench/compose-up.sh (one plain `docker compose up -d`: truly all at once,
#                since stagehand's gate none still starts one `up --no-deps` call at a time)
# interleaved over --rounds rounds (the order rotates every round), each run from nothing
# (compose down, cgroup emptied, peak watermark reset, images local: pull.policy missing) with
# a fresh state_dir (no learned profile carries over between runs or strategies); then the
# executables' overhead and how planning and waiting scale. Writes OUT/latest.json and
# OUT/latest.md (bench/summarize.py); raw runs stay in OUT/raw/<stamp>/.
#   bench/run.sh [--rounds N] [--out DIR] [--bin DIR] [--only strategies|overhead|scaling]
#                [--strategies a,b,...] [--no-boost]
# STAGEHAND_BENCH_QUICK=1: one round of the strategies only, no overhead or scaling (figures to
# steer by while developing, not to publish).
# The t2.micro's quota is one CPU, but on a busy host its weight (cpu.shares 1024, like one
# process) loses that CPU to other work; for the benchmark's duration its weight is raised to
# the maximum so it gets its one CPU (the quota still caps it), and restored afterwards.
# --no-boost leaves it alone.
# Needs root, rig/world.sh up, rig/t2micro.sh create, rig/build-images.sh, and a build with
# bin/{after-install,...} (default: build/bench-release/bin, else build/release/bin).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

rounds=3
out=bench/results
bin=""
only=""
boost=1
strategies=(none sleep adaptive-c1 adaptive-c2 annotated unannotated learned scrambled
  ready-chain compose-up)
if [[ ${STAGEHAND_BENCH_QUICK:-0} == 1 ]]; then
  rounds=1
  only=strategies
fi
while (($#)); do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --strategies) IFS=, read -r -a strategies <<<"$2"; shift 2 ;;
    --no-boost) boost=0; shift ;;
    -h | --help) sed -n '2,25p' "$0"; exit 0 ;;
    *) bench_die "unknown argument $1 (see --help)" ;;
  esac
done
[[ $rounds =~ ^[1-9][0-9]*$ ]] || bench_die "--rounds needs a positive number"
if [[ -z $bin ]]; then
  for candidate in build/bench-release/bin build/release/bin build/lead/bin; do
    [[ -x $candidate/after-install ]] && { bin=$candidate; break; }
  done
fi
[[ -x $bin/after-install ]] || bench_die "no after-install in '$bin' (build first, or --bin DIR)"
bin=$(realpath "$bin")
[[ $(id -u) -eq 0 ]] || bench_die "must run as root (docker, cgroup files)"
docker info >/dev/null 2>&1 || bench_die "docker does not answer (rig/world.sh up)"
[[ -d $(cgroup_dir) ]] || bench_die "no t2.micro cgroup at $(cgroup_dir) (rig/t2micro.sh create)"

readonly k_example=examples/randhand
readonly k_project=randhand
stamp=$(date -u +%Y%m%dT%H%M%SZ)
raw=$(realpath -m "$out/raw/$stamp")
mkdir -p "$raw"
bench_log "binaries $bin, raw results in $raw"

# ---- the t2.micro between runs -------------------------------------------------------------

# Containers of other projects in the t2.micro would skew every figure: refuse.
check_cgroup_alone() {
  local id parent project others=""
  for id in $(docker ps -q); do
    read -r parent project < <(docker inspect -f \
      '{{.HostConfig.CgroupParent}} {{index .Config.Labels "com.docker.compose.project"}}' "$id")
    if [[ $parent == "/$k_cgroup_name" && $project != "$k_project" && $project != bench* ]]; then
      others+=" $id($project)"
    fi
  done
  [[ -z $others ]] || bench_die "other containers run in the t2.micro:$others"
}

# compose down the project, wait for the cgroup to empty, drop its page cache, reset the peak.
reset_world() {
  local file=$1 project=${2:-$k_project} end
  docker compose -p "$project" -f "$file" down --remove-orphans -t 3 >/dev/null 2>&1 || true
  end=$((SECONDS + 60))
  while (($(cgroup_tasks) > 0)); do
    ((SECONDS < end)) || bench_die "processes still run in $(cgroup_dir) after compose down"
    sleep 0.2
  done
  # Cache charged by earlier runs would count toward the next run's peak (v1 only).
  cgroup_is_v2 || printf '0\n' >"$(cgroup_dir)/memory.force_empty" 2>/dev/null || true
  cgroup_reset_peak
}

# JSON array of the project's containers: name, OOMKilled, exit code, restarts, status.
containers_json() {
  local project=$1 ids
  ids=$(docker ps -aq --filter "label=com.docker.compose.project=$project")
  if [[ -z $ids ]]; then
    echo '[]'
    return
  fi
  # shellcheck disable=SC2086
  docker inspect $ids | jq '[.[] | {name: .Name, service: .Config.Labels["com.docker.compose.service"],
    oom_killed: .State.OOMKilled, exit_code: .State.ExitCode, restarts: .RestartCount,
    status: .State.Status}]'
}

# ---- one run of one strategy ---------------------------------------------------------------

# make_bundle STRATEGY DIR: the example bundle with this strategy's startup settings and its
# own state_dir and log_dir under DIR.
make_bundle() {
  local strategy=$1 dir=$2 gate=adaptive concurrency=1
  case $strategy in
    none) gate=none ;;
    sleep) gate="sleep" ;;
    adaptive-c2) concurrency=2 ;;
    annotated) concurrency=auto ;;
  esac
  mkdir -p "$dir/bundle" "$dir/state" "$dir/log"
  case $strategy in
    unannotated | learned)
      bench/variants.py "$k_example" "$dir/bundle" "$dir/state" "$dir/log"
      return ;;
    scrambled)
      bench/variants.py "$k_example" "$dir/bundle" "$dir/state" "$dir/log" --scramble
      return ;;
  esac
  cp "$k_example/docker-compose.yml" "$dir/bundle/"
  sed -e "s|^state_dir:.*|state_dir: $dir/state|" -e "s|^log_dir:.*|log_dir: $dir/log|" \
    -e "s|^  policy: always.*|  policy: missing|" \
    -e "s|^  gate: adaptive.*|  gate: $gate\n  sleep: 6s|" \
    -e "s|^  concurrency: .*|  concurrency: $concurrency|" \
    "$k_example/stagehand.yml" >"$dir/bundle/stagehand.yml"
  if ! grep -q "^  gate: $gate\$" "$dir/bundle/stagehand.yml" ||
    ! grep -q "^  concurrency: $concurrency\$" "$dir/bundle/stagehand.yml" ||
    ! grep -q '^  policy: missing$' "$dir/bundle/stagehand.yml"; then
    bench_die "could not derive $strategy's stagehand.yml from $k_example"
  fi
}

# run_strategy STRATEGY DIR: runs it; leaves DIR/result.json (the start report or the
# ready-chain's own), DIR/stdout, DIR/exit_code.
run_strategy() {
  local strategy=$1 dir=$2 code=0
  if [[ $strategy == ready-chain || $strategy == compose-up ]]; then
    "bench/$strategy.sh" "$dir/bundle/docker-compose.yml" "$k_project" >"$dir/result.json" \
      2>"$dir/stdout" || code=$?
  else
    DEPLOYMENT_ID=bench-$(basename "$dir") timeout 900 "$bin/after-install" \
      --bundle "$dir/bundle" --svg "$dir/timeline.svg" >"$dir/stdout" 2>&1 || code=$?
  fi
  echo "$code" >"$dir/exit_code"
}

# The run's last line: after-install's verdict, or the ready-chain's outcome.
verdict_of() {
  local dir=$1
  if [[ -s $dir/result.json ]]; then
    jq -r 'if .ok then "OK: all ready \((.all_ready_ms - .first_start_ms) / 1000)s after the first start"
      else "FAILED: \(.failure)" end' "$dir/result.json"
  else
    tail -n1 "$dir/stdout" | cut -c1-160
  fi
}

run_one() {
  local strategy=$1 round=$2 dir=$raw/$1-r$2
  make_bundle "$strategy" "$dir"
  check_cgroup_alone
  reset_world "$dir/bundle/docker-compose.yml"
  local oom_before started ended cpu_before cpu_used
  if [[ $strategy == learned || $strategy == scrambled ]]; then
    # The first deploy teaches the profiles (state_dir/profiles.json); only the second counts.
    run_strategy "$strategy" "$dir"
    mv "$dir/stdout" "$dir/first-run.stdout"
    [[ $(cat "$dir/exit_code") == 0 ]] || bench_log "$strategy round $round: the learning run failed"
    reset_world "$dir/bundle/docker-compose.yml"
  fi
  oom_before=$(cgroup_oom_kills)
  cpu_before=$(cgroup_cpu_ns)
  started=$(now_ms)
  run_strategy "$strategy" "$dir"
  ended=$(now_ms)
  cpu_used=$(($(cgroup_cpu_ns) - cpu_before))
  # A failed run may leave services still starting: give them a moment, then count who is
  # ready, so kills and hangs right after the verdict are counted too.
  local ready=0 settle_end=$(($(now_ms) + 15000))
  while :; do
    ready=$(count_ready "$k_project" "$dir/bundle/docker-compose.yml")
    ((ready == 9 || $(now_ms) > settle_end)) && break
    sleep 0.5
  done
  jq -n --arg strategy "$strategy" --argjson round "$round" --arg dir "$dir" \
    --argjson exit_code "$(cat "$dir/exit_code")" --argjson wall_ms $((ended - started)) \
    --argjson oom_cgroup $(($(cgroup_oom_kills) - oom_before)) \
    --argjson peak "$(cgroup_peak_bytes)" --argjson ready_after "$ready" \
    --argjson cpu_ns "$cpu_used" \
    --argjson containers "$(containers_json "$k_project")" \
    '{strategy: $strategy, round: $round, dir: $dir, exit_code: $exit_code, wall_ms: $wall_ms,
      oom_kills_cgroup: $oom_cgroup, peak_bytes: $peak, ready_after_settle: $ready_after,
      cgroup_cpu_ns: $cpu_ns,
      containers: $containers}' >"$dir/run.json"
  bench_log "$strategy round $round: exit $(cat "$dir/exit_code"), $(jq -r \
    '"cgroup OOM kills \(.oom_kills_cgroup), peak \(.peak_bytes / 1048576 | floor) MiB, ready after \(.ready_after_settle)/9"' \
    "$dir/run.json"), $(verdict_of "$dir")"
}

run_strategies() {
  local round i n=${#strategies[@]}
  for ((round = 1; round <= rounds; round++)); do
    for ((i = 0; i < n; i++)); do
      run_one "${strategies[$(((i + round - 1) % n))]}" "$round"
    done
  done
  reset_world "$k_example/docker-compose.yml"
}

# ---- overhead and scaling ------------------------------------------------------------------
# shellcheck source=bench/overhead.sh
source bench/overhead.sh

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
weight_file=$(cgroup_weight_file)
weight_before=$(cat "$weight_file")
restore() {
  reset_world "$k_example/docker-compose.yml" || true
  idle_cleanup || true
  printf '%s\n' "$weight_before" >"$weight_file" || true
}
trap restore EXIT
if ((boost)); then
  cgroup_weight_max >"$weight_file"
  bench_log "t2.micro CPU weight $weight_before -> $(cat "$weight_file") for the benchmark"
fi
[[ -z $only || $only == strategies ]] && run_strategies
[[ -z $only || $only == overhead ]] && run_overhead >"$raw/overhead.json"
[[ -z $only || $only == scaling ]] && run_scaling >"$raw/scaling.json"
jq -n --arg stamp "$stamp" --arg bin "$bin" --arg load_before "$load_before" \
  --arg load_after "$(cut -d' ' -f1-3 /proc/loadavg)" --argjson cpus "$(nproc)" \
  --arg kernel "$(uname -r)" --arg cgroup "$(cgroup_dir)" --argjson rounds "$rounds" \
  --arg commit "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(
    [[ -n $(git status --porcelain --untracked-files=no 2>/dev/null) ]] && echo ' + working-tree changes')" \
  --argjson boost "$boost" --arg weight "$(cat "$weight_file")" \
  --arg docker "$(docker version -f '{{.Server.Version}}' 2>/dev/null)" \
  '{stamp: $stamp, bin: $bin, commit: $commit, rounds: $rounds, host_cpus: $cpus,
    kernel: $kernel, docker: $docker, cgroup: $cgroup,
    load_average_before: $load_before, load_average_after: $load_after,
    cpu_weight_boost: ($boost == 1), cpu_weight: $weight}' >"$raw/meta.json"
python3 bench/summarize.py "$raw" "$out"
bench_log "wrote $out/latest.json and $out/latest.md"

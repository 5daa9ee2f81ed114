# shellcheck shell=bash disable=SC2154  # $bin, $raw, $k_example, $k_cgroup_name come from run.sh/lib.sh
# Sourced by bench/run.sh (needs lib.sh, $bin, $raw, reset_world): what stagehand itself
# costs. run_overhead: executable sizes, --version and --dry-run wall time and peak RSS, and the
# CPU and memory after-install uses while it waits on 9 idle stand-ins, next to the seed's
# sleep-and-start bash script. run_scaling: --dry-run planning of 9..3000 generated services,
# and waiting on 100 idle stand-ins.

readonly k_idle_project=benchidle
readonly k_idle_image=127.0.0.1:5000/randhand/rabbitmq:1
readonly k_sample_s=${BENCH_SAMPLE_S:-20}

# time_cmd N CMD...: runs CMD N times; JSON with the median and range of the wall time (s,
# timed here in ms: /usr/bin/time's %e has 10 ms steps) and the largest maximum RSS (KiB,
# from /usr/bin/time %M).
time_cmd() {
  local n=$1 i tmp began
  shift
  tmp=$(mktemp)
  for ((i = 0; i < n; i++)); do
    began=$(now_ms)
    /usr/bin/time -f '%M' -o "$tmp.rss" "$@" >/dev/null 2>&1 || true
    printf '%s %s\n' $(($(now_ms) - began)) "$(tail -n1 "$tmp.rss")" >>"$tmp"
  done
  jq -Rn '[inputs | split(" ") | {wall: ((.[0] | tonumber) / 1000), rss: (.[1] | tonumber)}]
    | (map(.wall) | sort) as $w | {runs: length, wall_s_median: $w[(length / 2 | floor)],
      wall_s_min: $w[0], wall_s_max: $w[-1], rss_kib_max: (map(.rss) | max)}' <"$tmp"
  rm -f "$tmp" "$tmp.rss"
}

# make_idle_bundle N CONCURRENCY DIR: N stand-ins that do their start work and never become
# ready (--mode hang), each with an HTTP ready probe by service name like the reference's.
make_idle_bundle() {
  local n=$1 concurrency=$2 dir=$3 i name
  mkdir -p "$dir/bundle" "$dir/state" "$dir/log"
  {
    printf 'name: %s\nx-standin: &standin\n  network_mode: host\n' "$k_idle_project"
    printf '  cgroup_parent: /%s\n  restart: "no"\n  stop_grace_period: 2s\n' "$k_cgroup_name"
    printf '  image: %s\nservices:\n' "$k_idle_image"
    for ((i = 0; i < n; i++)); do
      name=$(printf 'idle-%03d' "$i")
      printf '  %s:\n    <<: *standin\n' "$name"
      printf '    command: [--name, %s, --peak-mib, "2", --steady-mib, "2", --ramp-s, "0.1",' "$name"
      printf ' --cpu-s, "0.01", --mode, hang, --port, "%d"]\n' $((21000 + i))
    done
  } >"$dir/bundle/docker-compose.yml"
  {
    printf 'version: 1\ncompose:\n  file: docker-compose.yml\n  project: %s\n' "$k_idle_project"
    printf 'state_dir: %s/state\nlog_dir: %s/log\npull:\n  policy: missing\n' "$dir" "$dir"
    printf 'startup:\n  gate: adaptive\n  concurrency: %d\n' "$concurrency"
    printf '  memory_source: cgroup:%s\n  reserve: 16MiB\n  default_need: 4MiB\n' "$(cgroup_dir)"
    printf '  settle: 1s\n  psi: 0\n  poll: 200ms\n  timeout: 10m\n  per_service:\n'
    for ((i = 0; i < n; i++)); do
      name=$(printf 'idle-%03d' "$i")
      printf '    %s:\n      ready: { http: "http://%s:%d/" }\n' "$name" "$name" $((21000 + i))
    done
  } >"$dir/bundle/stagehand.yml"
}

idle_running() {
  docker ps -q --filter "label=com.docker.compose.project=$k_idle_project" | wc -l
}

# wait_running N DEADLINE_S: until N idle containers run or DEADLINE_S passes (then the
# measurement goes on with fewer: a slow start is a finding, not a reason to stop); prints
# the seconds it took.
wait_running() {
  local want=$1 deadline_s=$2 began
  began=$(now_ms)
  until (($(idle_running) >= want)); do
    if (($(now_ms) - began > deadline_s * 1000)); then
      bench_log "only $(idle_running) of $want idle containers run after ${deadline_s}s"
      break
    fi
    sleep 0.5
  done
  jq -n "($(now_ms) - $began) / 1000"
}

# Ends PID and its descendants, by id.
stop_tree() {
  local pid=$1 p
  for p in $(proc_tree "$pid" | tac); do
    kill -TERM "$p" 2>/dev/null || true
  done
  wait "$pid" 2>/dev/null || true
}

idle_cleanup() {
  local file
  for file in "$raw"/idle-*/bundle/docker-compose.yml; do
    [[ -f $file ]] || continue
    docker compose -p "$k_idle_project" -f "$file" down --remove-orphans -t 2 >/dev/null 2>&1 ||
      true
    return
  done
}

# The daemon answers every API call a waiting client makes: its CPU counts too.
dockerd_ticks() {
  local pid
  pid=$(pidof dockerd | cut -d' ' -f1)
  [[ -n $pid ]] && proc_ticks "$pid" || echo 0
}

# with_dockerd SAMPLE_JSON TICKS_BEFORE: adds dockerd's CPU % over the sample's window.
with_dockerd() {
  jq --argjson ticks $(($(dockerd_ticks) - $2)) --argjson hz "$(getconf CLK_TCK)" \
    '. + {dockerd_cpu_percent: (($ticks / $hz) / .seconds * 100)}' <<<"$1"
}

# idle_stagehand N CONCURRENCY: after-install waiting on N never-ready stand-ins; with
# concurrency N all are started and probed (probe waits), with 1 the first is probed and the
# rest wait at the gate. JSON with the sample of after-install's own process.
idle_stagehand() {
  local n=$1 concurrency=$2 dir=$raw/idle-$1-c$2 pid started children
  make_idle_bundle "$n" "$concurrency" "$dir"
  reset_world "$dir/bundle/docker-compose.yml" "$k_idle_project"
  local id=bench-idle-$n-c$concurrency
  DEPLOYMENT_ID=$id "$bin/after-install" --bundle "$dir/bundle" >"$dir/stdout" 2>&1 &
  pid=$!
  started=$(wait_running "$concurrency" 600)
  local running
  running=$(idle_running)
  sleep 3  # the last docker compose child exits; the window holds waiting only
  # The run's log file gets every line at every level: how fast it grows while waiting.
  local sample dockerd_before lines_before
  dockerd_before=$(dockerd_ticks)
  lines_before=$(cat "$dir/log/$id.log" 2>/dev/null | wc -l)
  sample=$(sample_process "$pid" "$k_sample_s")
  sample=$(with_dockerd "$sample" "$dockerd_before")
  sample=$(jq --argjson l $(($(cat "$dir/log/$id.log" 2>/dev/null | wc -l) - lines_before)) \
    '. + {log_lines_per_s: ($l / .seconds)}' <<<"$sample")
  children=$(($(proc_tree "$pid" | wc -l) - 1))
  local threads
  threads=$(awk '$1 == "Threads:" {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
  stop_tree "$pid"
  reset_world "$dir/bundle/docker-compose.yml" "$k_idle_project"
  jq -n --argjson n "$n" --argjson c "$concurrency" --argjson started "$started" \
    --argjson sample "$sample" --argjson children "$children" --argjson threads "${threads:-0}" \
    --argjson running "$running" \
    '{who: "after-install", services: $n, concurrency: $c, running_when_sampled: $running,
      waiting: (if $c == 1 then "1 probed, the rest at the gate" else "all probed" end),
      seconds_to_start_them: $started, children_during_sample: $children,
      threads: $threads} + $sample'
}

# The seed way while it waits: bash sleeping between `docker compose up`s (bash + sleep).
idle_seed() {
  local dir=$raw/idle-seed pid
  make_idle_bundle 9 1 "$dir"
  reset_world "$dir/bundle/docker-compose.yml" "$k_idle_project"
  bench/seed-way.sh "$dir/bundle/docker-compose.yml" "$k_idle_project" 60 idle-000 idle-001 &
  pid=$!
  wait_running 1 300 >/dev/null
  sleep 2
  local sample dockerd_before
  dockerd_before=$(dockerd_ticks)
  sample=$(sample_process "$pid" "$k_sample_s" tree)
  sample=$(with_dockerd "$sample" "$dockerd_before")
  stop_tree "$pid"
  reset_world "$dir/bundle/docker-compose.yml" "$k_idle_project"
  jq -n --argjson sample "$sample" \
    '{who: "seed bash script (bash + sleep)", services: 9, waiting: "sleep 60"} + $sample'
}

run_overhead() {
  local sizes="{}" exe
  for exe in before-install after-install validate-service stagehand-report; do
    [[ -x $bin/$exe ]] && sizes=$(jq --arg e "$exe" --argjson s "$(stat -c %s "$bin/$exe")" \
      '. + {($e): $s}' <<<"$sizes")
  done
  bench_log "overhead: --version, --dry-run"
  local version dry
  version=$(time_cmd 7 "$bin/after-install" --version)
  dry=$(time_cmd 7 "$bin/after-install" --bundle "$k_example" --dry-run)
  bench_log "overhead: waiting on 9 idle stand-ins (${k_sample_s}s samples)"
  local probe gate seed
  probe=$(idle_stagehand 9 9)
  gate=$(idle_stagehand 9 1)
  seed=$(idle_seed)
  jq -n --argjson sizes "$sizes" --argjson version "$version" --argjson dry "$dry" \
    --argjson probe "$probe" --argjson gate "$gate" --argjson seed "$seed" \
    --arg static "$(file -L "$bin/after-install" | grep -o 'statically linked' || echo dynamic)" \
    '{sizes_bytes: $sizes, linkage: $static, version: $version, dry_run_example: $dry,
      waiting: [$probe, $gate, $seed]}'
}

# make_plan_bundle N DIR: N services in a dependency web (each on the previous one and on the
# one at half its index), each with a declared need and an HTTP ready probe.
make_plan_bundle() {
  local n=$1 dir=$2 i
  mkdir -p "$dir"
  {
    printf 'name: benchplan\nservices:\n'
    for ((i = 0; i < n; i++)); do
      printf '  svc-%04d:\n    image: %s\n' "$i" "$k_idle_image"
      if ((i > 0)); then
        printf '    depends_on: [svc-%04d' $((i - 1))
        ((i / 2 != i - 1)) && printf ', svc-%04d' $((i / 2))
        printf ']\n'
      fi
    done
  } >"$dir/docker-compose.yml"
  {
    printf 'version: 1\nstate_dir: %s/state\nlog_dir: %s/log\n' "$dir" "$dir"
    printf 'startup:\n  gate: adaptive\n  concurrency: 2\n  per_service:\n'
    for ((i = 0; i < n; i++)); do
      printf '    svc-%04d:\n      need: %dMiB\n' "$i" $((16 + i % 64))
      printf '      ready: { http: "http://svc-%04d:8080/health", body: UP }\n' "$i"
    done
  } >"$dir/stagehand.yml"
}

run_scaling() {
  local plans="[]" n dir timing
  for n in 9 100 1000 3000; do
    dir=$raw/plan-$n
    make_plan_bundle "$n" "$dir"
    bench_log "scaling: --dry-run of $n services"
    "$bin/after-install" --bundle "$dir" --dry-run >"$dir/plan.txt" 2>&1 ||
      bench_die "--dry-run of $n services failed: $(tail -n3 "$dir/plan.txt")"
    timing=$(time_cmd 3 "$bin/after-install" --bundle "$dir" --dry-run)
    plans=$(jq --argjson n "$n" --argjson t "$timing" --argjson bytes \
      "$(cat "$dir/docker-compose.yml" "$dir/stagehand.yml" | wc -c)" \
      '. + [{services: $n, input_bytes: $bytes} + $t]' <<<"$plans")
  done
  bench_log "scaling: waiting on 100 idle stand-ins"
  local probe gate
  probe=$(idle_stagehand 100 100)
  gate=$(idle_stagehand 100 1)
  jq -n --argjson plans "$plans" --argjson probe "$probe" --argjson gate "$gate" \
    '{dry_run: $plans, waiting_100: [$probe, $gate]}'
}

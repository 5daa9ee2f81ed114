# shellcheck shell=bash
# Shared by bench/*.sh (sourced): logging, the t2.micro cgroup's counters, the reference
# stack's ready probes, and process sampling. Bash 5 ($EPOCHREALTIME), root, Docker.

bench_log() { printf 'bench: %s\n' "$*" >&2; }
bench_die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

# Milliseconds since the epoch (bash 5, no fork).
now_ms() {
  local t=${EPOCHREALTIME/[.,]/}
  printf '%s\n' "${t:0:-3}"
}

readonly k_cgroup_root=${STAGEHAND_CGROUP_ROOT:-/sys/fs/cgroup}
readonly k_cgroup_name=${STAGEHAND_T2MICRO_NAME:-stagehand-t2micro}

cgroup_is_v2() { [[ -f $k_cgroup_root/cgroup.controllers ]]; }

cgroup_dir() {
  if cgroup_is_v2; then
    printf '%s\n' "$k_cgroup_root/$k_cgroup_name"
  else
    printf '%s\n' "$k_cgroup_root/memory/$k_cgroup_name"
  fi
}

# OOM kills the kernel counted (what stagehand's classification reads, README "What counts as
# an OOM kill"): v2 memory.events "oom_kill N" of the t2.micro cgroup, which counts kills in
# the cgroups below it; v1 counts a kill only in the victim's own memory.oom_control, which
# Docker removes with the container, so there the host's /proc/vmstat oom_kill (kernel 4.13+)
# is the count: run the benchmark on a host nothing else OOMs.
cgroup_oom_kills() {
  local file=/proc/vmstat
  cgroup_is_v2 && file=$(cgroup_dir)/memory.events
  awk '$1 == "oom_kill" {print $2; found=1} END {if (!found) print 0}' "$file"
}

# Resets the peak-usage watermark (v1: write 0 to memory.max_usage_in_bytes; v2: memory.peak
# is resettable per open file only since 6.12, so v2 peaks come from sampling instead).
cgroup_reset_peak() {
  cgroup_is_v2 || printf '0\n' >"$(cgroup_dir)/memory.max_usage_in_bytes"
}

cgroup_peak_bytes() {
  local dir
  dir=$(cgroup_dir)
  if cgroup_is_v2; then
    cat "$dir/memory.peak" 2>/dev/null || echo 0
  else
    cat "$dir/memory.max_usage_in_bytes"
  fi
}

cgroup_usage_bytes() {
  local dir
  dir=$(cgroup_dir)
  if cgroup_is_v2; then cat "$dir/memory.current"; else cat "$dir/memory.usage_in_bytes"; fi
}

# The t2.micro's CPU weight file (v1 cpu.shares, v2 cpu.weight) and its strongest value.
cgroup_weight_file() {
  if cgroup_is_v2; then
    printf '%s\n' "$k_cgroup_root/$k_cgroup_name/cpu.weight"
  else
    printf '%s\n' "$k_cgroup_root/cpu/$k_cgroup_name/cpu.shares"
  fi
}
cgroup_weight_max() { if cgroup_is_v2; then echo 10000; else echo 262144; fi; }

# CPU time (ns) the cgroup's processes used so far: v1 cpuacct.usage, v2 cpu.stat usage_usec.
# The difference over a run is the CPU the stack really burned (the floor's 18.3 s plus what
# the containers' runtime and the kernel add), against which idle time can be told apart.
cgroup_cpu_ns() {
  if cgroup_is_v2; then
    awk '$1 == "usage_usec" {print $2 * 1000}' "$k_cgroup_root/$k_cgroup_name/cpu.stat"
  else
    cat "$k_cgroup_root/cpuacct/$k_cgroup_name/cpuacct.usage"
  fi
}

# Number of processes anywhere below the cgroup.
cgroup_tasks() {
  find "$(cgroup_dir)" -name cgroup.procs -exec cat {} + 2>/dev/null | wc -l
}

# The reference stack's ready probes (examples/randhand/stagehand.yml, startup.per_service.*
# .ready), as a careful operator would script them: every service uses the host network.
#   SERVICE KIND TARGET [BODY]
readonly k_randhand_probes=(
  "rabbitmq tcp 127.0.0.1:5672"
  "config-service http http://127.0.0.1:8888/actuator/health \"status\":\"UP\""
  "eureka-server http http://127.0.0.1:8761/actuator/health \"status\":\"UP\""
  "gateway-service http http://127.0.0.1:8000/actuator/health \"status\":\"UP\""
  "zookeeper tcp 127.0.0.1:2181"
  "kafka tcp 127.0.0.1:9092"
  "chat-service http http://127.0.0.1:8081/actuator/health \"status\":\"UP\""
  "gesture-service http http://127.0.0.1:8082/"
  "randhand-kafka-consumer log randhand-kafka-consumer.ready.in"
)

# probe_ready PROJECT COMPOSE_FILE SERVICE KIND TARGET [BODY]: exit 0 when the service is ready.
probe_ready() {
  local project=$1 file=$2 service=$3 kind=$4 target=$5 body=${6:-}
  case $kind in
    tcp)
      timeout 2 bash -c "exec 3<>/dev/tcp/${target%:*}/${target##*:}" 2>/dev/null
      ;;
    http)
      local answer
      answer=$(curl -fsS --max-time 2 "$target" 2>/dev/null) || return 1
      [[ -z $body || $answer == *"$body"* ]]
      ;;
    log)
      docker compose -p "$project" -f "$file" logs --no-log-prefix "$service" 2>/dev/null |
        grep -qE "$target"
      ;;
    *) return 1 ;;
  esac
}

# How many of the nine reference services answer their ready probe right now.
count_ready() {
  local project=$1 file=$2 line n=0
  for line in "${k_randhand_probes[@]}"; do
    # shellcheck disable=SC2086
    set -- $line
    probe_ready "$project" "$file" "$@" && n=$((n + 1))
  done
  printf '%s\n' "$n"
}

# CPU ticks (utime+stime+cutime+cstime) of PID, or empty when it is gone.
proc_ticks() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  stat=${stat##*) }  # fields after the command name, which may hold spaces
  # shellcheck disable=SC2086
  set -- $stat
  printf '%s\n' $((${12} + ${13} + ${14} + ${15}))
}

# VmRSS of PID in KiB (0 when gone).
proc_rss_kib() {
  awk '$1 == "VmRSS:" {print $2; found=1} END {if (!found) print 0}' "/proc/$1/status" 2>/dev/null ||
    echo 0
}

# PID and its descendants (one `ps` listing; /proc/<pid>/task/*/children needs
# CONFIG_PROC_CHILDREN, which this kernel lacks).
proc_tree() {
  ps -e -o pid=,ppid= | awk -v root="$1" '
    { parent[$1] = $2; pids[NR] = $1 }
    END {
      keep[root] = 1; print root
      do {
        added = 0
        for (i = 1; i <= NR; i++) {
          p = pids[i]
          if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; print p; added = 1 }
        }
      } while (added)
    }'
}

# sample_process PID SECONDS [tree]: CPU and memory PID (with `tree`: and its descendants)
# used over SECONDS. Prints JSON {cpu_percent, rss_max_kib, rss_mean_kib, seconds}.
sample_process() {
  local pid=$1 seconds=$2 tree=${3:-}
  local hz start_ticks=0 end_ticks=0 start_ms end_ms rss max=0 sum=0 n=0 p
  hz=$(getconf CLK_TCK)
  local pids
  pids=$pid
  [[ -n $tree ]] && pids=$(proc_tree "$pid")
  for p in $pids; do start_ticks=$((start_ticks + $(proc_ticks "$p" || echo 0))); done
  start_ms=$(now_ms)
  local until=$((start_ms + seconds * 1000))
  while (($(now_ms) < until)); do
    [[ -n $tree ]] && pids=$(proc_tree "$pid")
    rss=0
    for p in $pids; do rss=$((rss + $(proc_rss_kib "$p"))); done
    ((rss > max)) && max=$rss
    sum=$((sum + rss)) n=$((n + 1))
    sleep 0.5
  done
  [[ -n $tree ]] && pids=$(proc_tree "$pid")
  for p in $pids; do end_ticks=$((end_ticks + $(proc_ticks "$p" || echo 0))); done
  end_ms=$(now_ms)
  jq -n --argjson ticks $((end_ticks - start_ticks)) --argjson hz "$hz" \
    --argjson ms $((end_ms - start_ms)) --argjson max "$max" --argjson sum "$sum" --argjson n "$n" \
    '{cpu_percent: (($ticks / $hz) / ($ms / 1000) * 100), cpu_seconds: ($ticks / $hz),
      rss_max_kib: $max, rss_mean_kib: (if $n > 0 then ($sum / $n) else 0 end),
      seconds: ($ms / 1000)}'
}

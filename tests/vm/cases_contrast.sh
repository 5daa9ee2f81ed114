# shellcheck shell=bash
# The contrast of the gated boot (issue 15 part 3), opt-in: STAGEHAND_VM_CASES=contrast_prepare
# (rig/vm-suite.sh; not with reboot_prepare, which installs the boot unit). The example
# deployed with `restart: always` on every service (the policy most users have) and NO boot
# unit, then a clean reboot: Docker starts every container itself. contrast_reboot records
# what happened, from early boot: each container's starts, deaths and exit codes (Docker's
# events, replayed from dockerd's start), when each became ready (its "NAME ready in" log
# line), OOM kills (/proc/vmstat, the kernel log) and MemAvailable every 0.5 s (a sampler
# unit ordered before containerd and docker); and writes them as a boot report
# (contrast.report.json, the structure src/core/report draws) for rig/vm-suite.sh to render.

readonly RANDHAND_ALWAYS=$SHARE/revisions/randhand-always
readonly SAMPLER=stagehand-memsample
readonly SAMPLES=/run/stagehand-memsample.tsv

case_contrast_prepare() {
  compose_down randhand "$RANDHAND"
  rm -rf "$RANDHAND_ALWAYS"
  cp -r "$RANDHAND" "$RANDHAND_ALWAYS"
  sed -i 's/^\( *\)restart: .*/\1restart: always/' "$RANDHAND_ALWAYS/docker-compose.yml"
  expect_eq "restart lines other than always" \
    "$(grep 'restart:' "$RANDHAND_ALWAYS/docker-compose.yml" | grep -vc 'restart: always')" 0
  deploy example "$RANDHAND_ALWAYS"
  expect_eq "example deployment exit status" "$DEPLOY_STATUS" 0
  expect_contains "after-install warning" "$(cat "$CASE_DIR/example.hooks.log")" \
    "restart: always defeats a gated boot"
  [[ ! -e /etc/systemd/system/stagehand-boot.service && ! -e /usr/local/lib/stagehand ]] ||
    fail "a boot unit is installed: this case is the stack without it"
  install_sampler
  expect_eq "example containers running" "$(docker ps -q \
    --filter label=com.docker.compose.project=randhand | wc -l)" 9
}

# A unit that samples MemAvailable every 0.5 s from early boot into /run (tmpfs: this boot
# only), before containerd and dockerd start. Bash builtins only: a fork costs the TCG vCPU.
install_sampler() {
  cat >"/usr/local/sbin/$SAMPLER" <<'EOF'
#!/bin/bash
# uptime_s, MemAvailable and MemTotal in kB, every 0.5 s
while :; do
  read -r up _ </proc/uptime
  total='' avail=''
  while read -r key value _; do
    case $key in
      MemTotal:) total=$value ;;
      MemAvailable:) avail=$value; break ;;
    esac
  done </proc/meminfo
  printf '%s\t%s\t%s\n' "$up" "$avail" "$total" >>/run/stagehand-memsample.tsv
  sleep 0.5
done
EOF
  chmod 0755 "/usr/local/sbin/$SAMPLER"
  cat >"/etc/systemd/system/$SAMPLER.service" <<EOF
[Unit]
Description=stagehand VM suite: MemAvailable every 0.5 s from early boot
DefaultDependencies=no
Before=sysinit.target containerd.service docker.service

[Service]
ExecStart=/usr/local/sbin/$SAMPLER

[Install]
WantedBy=sysinit.target
EOF
  mkdir -p /etc/systemd/system/sysinit.target.wants
  ln -sf "/etc/systemd/system/$SAMPLER.service" \
    "/etc/systemd/system/sysinit.target.wants/$SAMPLER.service"
}

# unit_start_s UNIT: when the unit's main process started, in seconds after boot.
unit_start_s() {
  awk '{printf "%.1f", $1 / 1000000}' <<<"$(systemctl show -P ExecMainStartTimestampMonotonic "$1")"
}

# all_ready BOOT_EPOCH: every example container runs and, in its log since boot, its last
# "NAME starting:" line is followed by a "NAME ready in" line (the stand-in's own lines: under
# the stampede Docker's StartedAt is stamped when its start call returns, after the process
# may already be ready). One docker logs per container not yet seen ready: each docker call
# costs the TCG vCPU 1-2 s that the stampede being measured needs.
declare -A SEEN_READY=()
all_ready() {
  local id started count=0
  while read -r id started; do
    [[ $id != - ]] || return 1
    count=$((count + 1))
    [[ -z ${SEEN_READY["$id $started"]:-} ]] || continue
    (($(docker logs --since "$1" "$id" 2>&1 | grep -E ' starting: | ready in ' | tail -n1 |
      grep -c ' ready in ') > 0)) || return 1
    SEEN_READY["$id $started"]=1
  done < <(docker ps -a --filter label=com.docker.compose.project=randhand -q |
    xargs -r docker inspect -f '{{if .State.Running}}{{.Id}} {{.State.StartedAt}}{{else}}- -{{end}}')
  ((count == 9))
}

case_contrast_reboot() {
  local events=$CASE_DIR/events.jsonl boot_epoch watch_end
  boot_epoch=$(awk -v now="$(date +%s.%N)" '{printf "%.3f", now - $1}' /proc/uptime)
  # Docker keeps its last 256 events and replays them with --since: started now, before the
  # healthchecks' exec events fill that buffer, the stream holds every start since dockerd's.
  timeout 900 docker events --since "${boot_epoch%.*}" --filter type=container \
    --filter event=start --filter event=die --filter event=oom --format '{{json .}}' \
    >"$events" 2>/dev/null &
  local events_pid=$!
  expect_eq "boot unit" "$(systemctl show -P LoadState stagehand-boot.service)" not-found
  figure contrast_dockerd_started_s "$(unit_start_s docker.service)"
  figure contrast_dockerd_answering_s "$(uptime_s)"
  watch_end=$((SECONDS + 720))
  until all_ready "${boot_epoch%.*}"; do
    ((SECONDS < watch_end)) || { fail "not all 9 ready within 720 s of dockerd answering"; break; }
    sleep 10
  done
  figure contrast_all_ready_seen_s "$(uptime_s)"
  sleep 20 # a late OOM kill or restart still shows
  kill "$events_pid" 2>/dev/null
  wait "$events_pid" 2>/dev/null
  collect_contrast "$boot_epoch"
}

# collect_contrast BOOT_EPOCH: per container its inspect and its ready lines, the kernel's
# OOM kills, the samples; then contrast.report.json and the figures.
collect_contrast() {
  local boot_epoch=$1 id name
  docker ps -a --filter label=com.docker.compose.project=randhand -q | xargs -r docker inspect \
    >"$CASE_DIR/containers.json"
  : >"$CASE_DIR/lines.tsv"
  while read -r id name; do
    docker logs -t "$id" 2>&1 | grep -E ' starting: | ready in ' |
      awk -v n="$name" '{print n "\t" $1 "\t" ($3 == "ready" ? "ready" : "starting")}' \
      >>"$CASE_DIR/lines.tsv"
  done < <(jq -r '.[] | "\(.Id) \(.Config.Labels["com.docker.compose.service"])"' \
    "$CASE_DIR/containers.json")
  dmesg 2>/dev/null | grep -i 'out of memory\|oom-kill' >"$CASE_DIR/kernel-oom.log" || true
  cp "$SAMPLES" "$CASE_DIR/memsample.tsv" 2>/dev/null || fail "no samples in $SAMPLES"
  expect_ge "samples before dockerd started" "$(awk -v d="$(unit_start_s docker.service)" \
    '$1 < d' "$CASE_DIR/memsample.tsv" | wc -l)" 1
  contrast_report "$boot_epoch" >"$CASE_DIR/contrast.report.json" ||
    fail "contrast.report.json not written"
  cp "$CASE_DIR/contrast.report.json" "$OUT/contrast.report.json"
  contrast_figures
}

# contrast_report BOOT_EPOCH: the observations as a boot report (hooks.boot.start, as
# steps/start/start_report.cpp writes it), times in ms since dockerd's start. Per service:
# its start (its first "starting:" line after boot; else Docker's start event), its ready
# line after its latest "starting:" line, Docker's own start time (docker_start_ms: when its
# start call returned), its restarts (in its name), exit codes and an OOM kill (exit 137
# while the kernel counted OOM kills).
contrast_report() {
  local t0_ms
  t0_ms=$(awk -v b="$1" -v d="$(unit_start_s docker.service)" 'BEGIN {printf "%.0f", (b + d) * 1000}')
  jq -n --argjson t0 "$t0_ms" --argjson boot "$1" --argjson ooms "$(oom_kills)" \
    --argjson order "$(jq -c '.projects.randhand.start_order' "$STATE_DIR/boot.json")" \
    --slurpfile containers "$CASE_DIR/containers.json" \
    --slurpfile events <(jq -c . "$CASE_DIR/events.jsonl") \
    --rawfile lines "$CASE_DIR/lines.tsv" --rawfile samples "$CASE_DIR/memsample.tsv" '
    def epoch: (sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601)
      + ((capture("\\.(?<f>[0-9]+)Z$").f // "0") | "0." + . | tonumber);
    def ms: (. * 1000 - $t0) | round;
    ($events | map(select(.Actor.Attributes["com.docker.compose.project"] == "randhand")
      | {svc: .Actor.Attributes["com.docker.compose.service"], what: .status,
         at: (.timeNano / 1e9), exit: (.Actor.Attributes.exitCode // null)})
      | map(select(.at >= $boot))) as $ev
    | ($lines | split("\n") | map(select(length > 0) | split("\t")
      | {svc: .[0], at: (.[1] | epoch), what: .[2]}) | map(select(.at >= $boot))) as $logged
    | [$order[] as $svc | ($containers[0][] | select(.Config.Labels["com.docker.compose.service"]
        == $svc)) as $c
      | ($ev | map(select(.svc == $svc))) as $mine
      | ($c.State.StartedAt | epoch) as $docker_start
      | ($mine | map(select(.what == "start") | .at)
        | if length == 0 and $docker_start >= $boot then [$docker_start] else . end) as $starts
      | ($logged | map(select(.svc == $svc and .what == "starting") | .at)) as $runs
      | ($mine | map(select(.what == "die") | .exit | tonumber? // null)) as $exits
      | ($logged | map(select(.svc == $svc and .what == "ready" and .at >= ($runs | max // 0))
        | .at) | min) as $ready
      | ([($runs | length) - 1, ($starts | length) - 1, $c.RestartCount, 0] | max) as $restarts
      | {name: (if $restarts > 0 then "\($svc) (\($restarts) restart\(if $restarts == 1 then ""
          else "s" end))" else $svc end),
         start_ms: (if ($runs | length) > 0 then ($runs | min | ms)
           elif ($starts | length) > 0 then ($starts | min | ms) else -1 end),
         docker_start_ms: (if ($starts | length) > 0 then ($starts | min | ms) else -1 end),
         ready_ms: (if $ready != null and $c.State.Running then ($ready | ms) else -1 end),
         outcome: (if $ready != null and $c.State.Running then "ready"
           elif $c.State.Running then "starting" else "failed" end),
         oom_kill: (if ($exits | any(. == 137)) and $ooms > 0 then "system_wide"
           else "none" end),
         exit_codes: $exits, restart_count: $restarts, restart_policy:
           $c.HostConfig.RestartPolicy.Name, unchanged: false, waits: []}] as $services
    | ($services | map(select(.start_ms >= 0) | .start_ms) | min) as $first
    | ($services | all(.outcome == "ready")) as $all_ready
    | ($samples | split("\n") | map(select(length > 0) | split("\t") | map(tonumber)
      | {at_ms: ((.[0] + $boot) | ms), available_bytes: (.[1] * 1024),
         total_bytes: (.[2] * 1024)}) | map(select(.at_ms >= 0))) as $mem
    | ($services | map(.exit_codes | length) | add) as $deaths
    | {project: "randhand",
       deployment_id: "no boot unit, restart: always (Docker starts them)",
       hooks: {boot: {hook: "boot", started: ($t0 / 1000 | floor | todate),
         outcome: (if $all_ready and $ooms == 0 and $deaths == 0 then "succeeded"
           else "failed" end),
         start: ({ok: ($all_ready and $ooms == 0 and $deaths == 0),
           failure: (if $all_ready and $ooms == 0 and $deaths == 0 then "" else
             "Docker started all \($services | length) at once (its start calls returned within \(
             ($services | map(.docker_start_ms) | max - min) / 1000) s): \($ooms) OOM kill(s), \($deaths) container exit(s) \(
             [$services[].exit_codes[]] | map(tostring) | join(",") | "(" + . + ")"); " +
             "\($services | map(select(.outcome == "ready")) | length) ready" +
             (if $all_ready then " \((($services | map(.ready_ms) | max) - $first) / 1000) s " +
               "after the first start" else "" end) end),
           failed_service: "", diagnosis: [], oom_kills: $ooms,
           memory_source: "MemAvailable, sampled every 0.5 s from early boot",
           services: $services, memory_samples: $mem, first_start_ms: $first}
           + (if $all_ready then {all_ready_ms: ($services | map(.ready_ms) | max)}
              else {} end))}}}'
}

contrast_figures() {
  local report=$CASE_DIR/contrast.report.json start
  start='.hooks.boot.start'
  figure contrast_oom_kills "$(oom_kills)"
  figure contrast_first_start_to_all_ready_s "$(jq "$start"' | if .all_ready_ms then
    (.all_ready_ms - .first_start_ms) / 1000 else "never" end' "$report")"
  figure contrast_starts_s_after_dockerd "$(jq -r "$start"'.services | map(.start_ms / 1000 |
    . * 10 | round / 10 | tostring) | join(" ")' "$report")"
  figure contrast_first_to_last_start_s "$(jq "$start"'.services | map(.start_ms) |
    (max - min) / 1000' "$report")"
  figure contrast_docker_starts_s_after_dockerd "$(jq -r "$start"'.services |
    map(.docker_start_ms / 1000 | . * 10 | round / 10 | tostring) | join(" ")' "$report")"
  figure contrast_readies_s_after_dockerd "$(jq -r "$start"'.services |
    map(.ready_ms / 1000 | . * 10 | round / 10 | tostring) | join(" ")' "$report")"
  figure contrast_lowest_available_mib "$(jq "$start"'.memory_samples |
    map(.available_bytes) | min / 1048576 | floor' "$report")"
  figure contrast_restarts "$(jq "$start"'.services | map(.restart_count) | add' "$report")"
  figure contrast_exit_codes "$(jq -r "$start"'.services | map(select(.exit_codes | length > 0)
    | "\(.name): \(.exit_codes | map(tostring) | join(","))") | join("; ")' "$report")"
  expect_eq "example containers that never started" "$(jq "$start"'.services |
    map(select(.start_ms < 0)) | length' "$report")" 0
}

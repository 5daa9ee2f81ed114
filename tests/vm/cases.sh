# shellcheck shell=bash
# The VM suite's cases, one function each (case_NAME), run in the guest by suite.sh through
# run_case. A case asserts with expect_* / fail (lib.sh) and records figures; to add one,
# write case_NAME here and name it in suite.sh's phase list.

readonly RANDHAND=$SHARE/revisions/randhand
readonly HEAVY=$SHARE/revisions/heavy
readonly HEAVY_ALL=$SHARE/revisions/heavy-all-at-once

# The example revision with no network_mode: host: compose's default bridge network, probes
# and checks by service name, no published port, memory_source auto (MemAvailable).
case_example_bridge() {
  expect_eq "network_mode lines in the compose file" \
    "$(grep -c 'network_mode' "$RANDHAND/docker-compose.yml")" 0
  local oom_before
  oom_before=$(oom_kills)
  deploy deploy "$RANDHAND"
  expect_eq "deployment exit status" "$DEPLOY_STATUS" 0
  figure example_deploy_s "$DEPLOY_S"
  figure example_after_install_s "$(jq -r 'select(.type == "hook" and
    .event == "AfterInstall") | .duration_ms / 1000 | floor' "$CASE_DIR/deploy.jsonl")"
  local tail
  tail=$(hook_tail deploy AfterInstall)
  expect_contains "after-install verdict" "$tail" "OK: 9 services ready"
  expect_contains "after-install verdict" "$tail" ", 0 OOM kills"
  # Not a count: validate-service adds a health check per healthcheck service (main, 12/2026).
  expect_contains "validate-service verdict" "$(hook_tail deploy ValidateService)" \
    "OK: validate: "
  expect_eq "kernel OOM kills during the deployment" "$(($(oom_kills) - oom_before))" 0
  local report=$CASE_DIR/deploy.report.json
  expect_eq "report memory_source" "$(jq -r '.hooks["after-install"].start.memory_source' \
    "$report")" meminfo
  local ids name networks ports
  mapfile -t ids < <(project_containers randhand | cut -d' ' -f2)
  expect_eq "containers of the project" "${#ids[@]}" 9
  # One docker inspect for all nine (each call costs the TCG vCPU 1-2 s).
  while IFS='|' read -r name networks ports; do
    expect_eq "$name networks" "$networks" "randhand_default "
    expect_contains "$name published ports" "{} null" "$ports"
  done < <(docker inspect -f '{{index .Config.Labels "com.docker.compose.service"}}|{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}|{{json .HostConfig.PortBindings}}' \
    "${ids[@]}")
}

# cgroup v2 for real: each container's peak in the report against the kernel's memory.peak
# of its scope (the report samples memory.current, so it can only be at or below the peak),
# and PSI in the memory samples.
case_cgroup_v2() {
  local report=$OUT/cases/example_bridge/deploy.report.json
  expect_eq "cgroup filesystem" "$(stat -fc %T /sys/fs/cgroup)" cgroup2fs
  # One jq for the report's peaks (each process start costs the TCG vCPU).
  local -A report_peaks=()
  local name id kernel_peak report_peak peak
  while read -r name peak; do
    report_peaks[$name]=$peak
  done < <(jq -r '.hooks["after-install"].start.services[] | "\(.name) \(.peak_bytes)"' "$report")
  while read -r name id; do
    kernel_peak=$(<"/sys/fs/cgroup/system.slice/docker-$id.scope/memory.peak") || kernel_peak=0
    report_peak=${report_peaks[$name]:-0}
    printf '%s\tkernel memory.peak %s\treport peak %s\n' "$name" "$kernel_peak" "$report_peak"
    expect_ge "$name memory.peak" "$kernel_peak" $((4 << 20))
    expect_ge "$name report peak" "${report_peak:-0}" $((kernel_peak / 4))
    expect_le "$name report peak" "${report_peak:-0}" $((kernel_peak + (1 << 20)))
  done < <(project_containers randhand)
  local psi_samples
  psi_samples=$(jq '[.hooks["after-install"].start.memory_samples[] | select(.psi_some_avg10 != null)]
    | length' "$report")
  expect_ge "memory samples with PSI" "$psi_samples" 1
  figure example_lowest_available_mib "$(jq '[.hooks["after-install"].start.memory_samples[]
    .available_bytes] | min / 1048576 | floor' "$report")"
}

# Deploying the same revision again changes nothing: the same containers, all unchanged.
case_rerun_unchanged() {
  local before
  before=$(project_containers randhand)
  deploy rerun "$RANDHAND"
  expect_eq "deployment exit status" "$DEPLOY_STATUS" 0
  figure example_rerun_s "$DEPLOY_S"
  expect_contains "after-install verdict" "$(hook_tail rerun AfterInstall)" "(9 unchanged)"
  expect_eq "containers after the re-run" "$(project_containers randhand)" "$before"
}

# validate-service passes on the deployed stack, then fails naming a killed service.
case_validate_killed() {
  validate validate-pass "$RANDHAND"
  expect_eq "validate exit status" "$HOOK_STATUS" 0
  docker kill "$(docker ps -q --filter label=com.docker.compose.project=randhand \
    --filter label=com.docker.compose.service=gesture-service)" >/dev/null
  validate validate-fail "$RANDHAND"
  expect_eq "validate exit status after the kill" "$HOOK_STATUS" 1
  local tail
  tail=$(jq -r .tail "$CASE_DIR/validate-fail.jsonl")
  expect_contains "validate verdict" "$tail" "FAILED: validate:"
  expect_contains "validate verdict" "$tail" "gesture-service"
  compose_down randhand "$RANDHAND"
}

# The gate holds three 450 MiB stand-ins (40 MiB steady) within the machine's memory.
case_oom_gated() {
  compose_down randhand "$RANDHAND" # when run without validate_killed (STAGEHAND_VM_CASES)
  local oom_before
  oom_before=$(oom_kills)
  deploy gated "$HEAVY"
  expect_eq "deployment exit status" "$DEPLOY_STATUS" 0
  expect_contains "after-install verdict" "$(hook_tail gated AfterInstall)" ", 0 OOM kills"
  expect_eq "kernel OOM kills" "$(($(oom_kills) - oom_before))" 0
  figure gated_deploy_s "$DEPLOY_S"
  figure gated_lowest_available_mib "$(jq '[.hooks["after-install"].start.memory_samples[]
    .available_bytes] | min / 1048576 | floor' "$CASE_DIR/gated.report.json")"
  compose_down heavy "$HEAVY"
}

# The same stack with gate: none: the kernel's OOM killer kills a container (system-wide:
# exit 137, OOMKilled false, VM.md), and after-install fails.
case_oom_all_at_once() {
  local oom_before
  oom_before=$(oom_kills)
  deploy all-at-once "$HEAVY_ALL"
  expect_eq "deployment exit status" "$DEPLOY_STATUS" 1
  local kills=$(($(oom_kills) - oom_before))
  expect_ge "kernel OOM kills (/proc/vmstat oom_kill)" "$kills" 1
  figure all_at_once_oom_kills "$kills"
  # One docker inspect for the three: "service<TAB>exit code OOMKilled=...".
  local ids
  mapfile -t ids < <(project_containers heavy | cut -d' ' -f2)
  docker inspect -f '{{index .Config.Labels "com.docker.compose.service"}}|{{.State.ExitCode}} OOMKilled={{.State.OOMKilled}}' \
    "${ids[@]}" | tr '|' '\t' | tee -a "$CASE_DIR/containers.tsv"
  expect_contains "a container exited 137" "$(cat "$CASE_DIR/containers.tsv")" $'\t137 '
  local tail
  tail=$(hook_tail all-at-once AfterInstall)
  expect_contains "after-install verdict" "$tail" "FAILED"
  # Docker says OOMKilled=false for a system-wide kill; the kernel's counters say what it was:
  # "<service> was killed by the kernel's OOM killer (system-wide: ...", or, when Docker failed
  # under the pressure after the kill (seen: dockerd silent), "the kernel's OOM killer killed 1
  # process on this host during the start (system-wide: ...); then Docker daemon ...". When
  # Docker failed before the kernel killed anything (the kill counted above came after the
  # verdict), the verdict can only say that memory was short then.
  if [[ $tail == *"OOM killer"* ]]; then
    expect_contains "after-install verdict" "$tail" "(system-wide: the host ran out of memory"
  else
    expect_contains "after-install verdict" "$tail" "(while the host was short of memory: "
  fi
  dmesg | grep -i 'killed process' >"$CASE_DIR/dmesg-oom.txt" || true
  compose_down heavy "$HEAVY_ALL"
}

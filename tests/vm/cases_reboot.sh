# shellcheck shell=bash
# Reboot cases of the VM suite: the gated boot (issue 15 part 3, SPEC section 11). The
# example (every restart policy "no", as the warning recommends) and one stand-in per restart
# policy are deployed through the hooks, the boot unit is installed by the revision-carried
# after-install (--install-boot-unit), then a clean reboot and a hard power-off (the host
# kills QEMU). After each: the unit brought the example up through the gate (a boot report,
# every service started by the gate after the unit started, 0 OOM kills since boot), and what
# Docker did with each restart policy on its own, before the gate.

readonly POLICIES=$SHARE/revisions/policies
readonly POLICY_SERVICES=(p-always p-unless-stopped p-on-failure p-no)
readonly RANDHAND_BOOT=$SHARE/revisions/randhand-boot
readonly BOOT_UNIT=stagehand-boot.service
readonly LOG_DIR=/var/log/stagehand

case_reboot_prepare() {
  compose_down randhand "$RANDHAND" # when run without validate_killed (STAGEHAND_VM_CASES)
  rm -rf "$RANDHAND_BOOT"
  cp -r "$RANDHAND" "$RANDHAND_BOOT"
  sed -i 's/restart: on-failure:3/restart: "no"/' "$RANDHAND_BOOT/docker-compose.yml"
  expect_eq "policies other than \"no\" in the example's boot copy" \
    "$(grep -c 'restart: on-failure\|restart: always\|restart: unless' \
      "$RANDHAND_BOOT/docker-compose.yml")" 0
  deploy example "$RANDHAND_BOOT"
  expect_eq "example deployment exit status" "$DEPLOY_STATUS" 0
  expect_not_contains "example after-install" "$(cat "$CASE_DIR/example.hooks.log")" \
    "defeats a gated boot"
  deploy policies "$POLICIES"
  expect_eq "policies deployment exit status" "$DEPLOY_STATUS" 0
  local hooks_log
  hooks_log=$(cat "$CASE_DIR/policies.hooks.log")
  expect_contains "policy warning" "$hooks_log" "[p-always] restart: always defeats a gated boot"
  expect_contains "policy warning" "$hooks_log" "[p-unless-stopped] restart: unless-stopped defeats"
  expect_not_contains "policy warning" "$hooks_log" "[p-no] restart"
  local status=0
  "$RANDHAND_BOOT/hooks/after-install" --install-boot-unit >"$CASE_DIR/install-unit.log" 2>&1 ||
    status=$?
  cat "$CASE_DIR/install-unit.log"
  expect_eq "install-boot-unit exit status" "$status" 0
  expect_eq "the unit's wants link" \
    "$(readlink "/etc/systemd/system/multi-user.target.wants/$BOOT_UNIT")" \
    "/etc/systemd/system/$BOOT_UNIT"
  cmp -s "$RANDHAND_BOOT/hooks/after-install" /usr/local/lib/stagehand/after-install ||
    fail "/usr/local/lib/stagehand/after-install is not a copy of the revision's executable"
  cp "/etc/systemd/system/$BOOT_UNIT" "$CASE_DIR/"
  # --install-boot-unit started the unit (so that its ExecStop runs at shutdown): on the
  # running stacks every service is up to date.
  expect_eq "boot unit after the install" "$(wait_boot_unit 600)" active
  expect_eq "example and policies in the boot record" "$(jq '.projects | has("randhand") and
    has("policies")' "$STATE_DIR/boot.json")" true
  observe_containers before-reboot 0
}

# wait_boot_unit SECONDS: prints the unit's ActiveState once it is no longer starting.
wait_boot_unit() {
  local end=$((SECONDS + $1)) state
  while :; do
    state=$(systemctl show -P ActiveState "$BOOT_UNIT" 2>/dev/null)
    [[ $state == active || $state == failed ]] && break
    ((SECONDS < end)) || break
    sleep 2
  done
  echo "${state:-unknown}"
}

# observe_containers TAG SECONDS: samples the policy stack every 2 s for SECONDS, then writes
# reboot-TAG.tsv: per service its policy, status, when it (re)started in seconds since boot,
# restart count and exit code.
observe_containers() {
  local tag=$1 watch_s=$2 end
  end=$((SECONDS + watch_s))
  while ((SECONDS < end)); do
    printf '%s\t%s\n' "$(uptime_s)" "$(docker ps -a --filter label=com.docker.compose.project=policies \
      --format '{{.Names}}={{.State}}' | sort | tr '\n' ' ')" >>"$CASE_DIR/samples-$tag.tsv"
    sleep 2
  done
  local svc line policy status started restarts exit_code
  printf 'service\tpolicy\tstatus\tstarted_s_after_boot\trestarts\texit_code\n' \
    >"$OUT/reboot-$tag.tsv"
  for svc in "${POLICY_SERVICES[@]}"; do
    line=$(docker inspect -f '{{.HostConfig.RestartPolicy.Name}} {{.State.Status}} {{.State.StartedAt}} {{.RestartCount}} {{.State.ExitCode}}' "$svc" 2>/dev/null) ||
      line="- missing - - -"
    read -r policy status started restarts exit_code <<<"$line"
    started=$(s_after_boot "$started")
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$svc" "$policy" "$status" "$started" "$restarts" \
      "$exit_code" >>"$OUT/reboot-$tag.tsv"
    figure "reboot_${tag}_${svc}" "$status started@${started}s restarts=$restarts exit=$exit_code"
  done
  cat "$OUT/reboot-$tag.tsv"
}

# s_after_boot RFC3339: seconds after this boot (one decimal).
s_after_boot() {
  local epoch boot_epoch
  epoch=$(date -d "$1" +%s.%N 2>/dev/null) || { echo -; return; }
  boot_epoch=$(awk -v now="$(date +%s.%N)" '{printf "%.3f", now - $1}' /proc/uptime)
  awk -v e="$epoch" -v b="$boot_epoch" 'BEGIN {printf "%.1f", e - b}'
}

status_of() { awk -F'\t' -v s="$2" '$1 == s {print $3}' "$OUT/reboot-$1.tsv"; }

# newest GLOB: the newest file matching it ("" when none); the glob is expanded here.
# shellcheck disable=SC2012,SC2086 # names are stagehand's own (letters, digits, -, _)
newest() { ls -t $1 2>/dev/null | head -n1; }

# observe_boot TAG: the boot unit's run after this boot. The example: a boot report, all 9
# started by the gate after the unit started (none by Docker), 0 OOM kills since boot; the
# policy stack: which services Docker had started before the gate reached them.
observe_boot() {
  local tag=$1 state unit_start report
  state=$(wait_boot_unit 1500)
  figure "boot_${tag}_unit_state" "$state"
  expect_eq "boot unit after the $tag" "$state" active
  unit_start=$(awk '{printf "%.1f", $1 / 1000000}' \
    <<<"$(systemctl show -P ExecMainStartTimestampMonotonic "$BOOT_UNIT")")
  figure "boot_${tag}_unit_started_s" "$unit_start"
  cp "$(newest "$LOG_DIR/boot-2*.log")" "$CASE_DIR/boot.log" 2>/dev/null ||
    fail "no boot log in $LOG_DIR"
  tail -n 5 "$CASE_DIR/boot.log"
  expect_contains "boot verdict" "$(tail -n1 "$CASE_DIR/boot.log")" "OK: boot:"
  for project in randhand policies; do
    report=$(newest "$STATE_DIR/reports/boot-*-$project.json")
    [[ -n $report ]] || { fail "no boot report of $project"; continue; }
    cp "$report" "$CASE_DIR/boot-$project.report.json"
    expect_eq "$project boot outcome" "$(jq -r '.hooks.boot.outcome' "$report")" succeeded
  done
  report=$CASE_DIR/boot-randhand.report.json
  expect_eq "example services the gate started" "$(jq '[.hooks.boot.start.services[] |
    select(.unchanged | not)] | length' "$report")" 9
  expect_eq "kernel OOM kills since boot" "$(oom_kills)" 0
  figure "boot_${tag}_example_first_start_to_all_ready_s" "$(jq '.hooks.boot.start |
    (.all_ready_ms - .first_start_ms) / 1000' "$report")"
  figure "boot_${tag}_example_lowest_available_mib" "$(jq '[.hooks.boot.start.memory_samples[]
    .available_bytes] | min / 1048576 | floor' "$report")"
  boot_timeline "$tag" "$unit_start"
  local svc
  for svc in "${POLICY_SERVICES[@]}"; do
    figure "boot_${tag}_${svc}_started_by" "$(jq -r --arg s "$svc" '.hooks.boot.start.services[] |
      select(.name == $s) | if .unchanged then "docker" else "gate" end' \
      "$CASE_DIR/boot-policies.report.json")"
  done
}

# boot_timeline TAG UNIT_START: boot-TAG.tsv, per container of both stacks: the second after
# boot Docker started it, and whether that was before the unit started (Docker's own start).
boot_timeline() {
  local tag=$1 unit_start=$2 name started by
  printf 'container\tstarted_s_after_boot\tstarted_by\n' >"$OUT/boot-$tag.tsv"
  while read -r name started; do
    started=$(s_after_boot "$started")
    by=gate
    awk -v s="$started" -v u="$unit_start" 'BEGIN {exit !(s < u)}' && by=docker
    printf '%s\t%s\t%s\n' "$name" "$started" "$by" >>"$OUT/boot-$tag.tsv"
  done < <(for project in randhand policies; do
    docker ps -aq --filter "label=com.docker.compose.project=$project"
  done | xargs docker inspect -f '{{.Name}} {{.State.StartedAt}}' | sed 's#^/##' | sort -k2)
  cat "$OUT/boot-$tag.tsv"
  expect_eq "example containers Docker started before the unit" \
    "$(grep -c '^randhand.*docker$' "$OUT/boot-$tag.tsv")" 0
}

# The stop the unit ran at the clean shutdown: the example in reverse start order.
expect_boot_stop() {
  local log want got
  log=$(newest "$LOG_DIR/boot-stop-*.log")
  [[ -n $log ]] || { fail "no boot-stop log in $LOG_DIR"; return; }
  cp "$log" "$CASE_DIR/boot-stop.log"
  expect_contains "boot-stop verdict" "$(tail -n1 "$log")" "OK: boot-stop:"
  want=$(jq -r '.projects.randhand.start_order | reverse | join(" ")' "$STATE_DIR/boot.json")
  got=$(grep -o '\[[a-z-]*\] stopping' "$log" | tr -d '[]' | awk '{print $1}' |
    grep -vx 'p-[a-z-]*' | tr '\n' ' ' | sed 's/ $//')
  expect_eq "example stop order at shutdown" "$got" "$want"
}

# After a boot with the unit, every service of both stacks runs: Docker started some by
# their policy, the gate the others.
expect_policies_after() {
  local tag=$1 svc
  for svc in "${POLICY_SERVICES[@]}"; do
    expect_eq "$svc after $tag" "$(status_of "$tag" "$svc")" running
  done
  expect_eq "p-no started by" "$(jq -r '.hooks.boot.start.services[] | select(.name == "p-no") |
    if .unchanged then "docker" else "gate" end' "$CASE_DIR/boot-policies.report.json")" gate
  expect_eq "p-always started by" "$(jq -r '.hooks.boot.start.services[] |
    select(.name == "p-always") | if .unchanged then "docker" else "gate" end' \
    "$CASE_DIR/boot-policies.report.json")" docker
}

case_reboot_clean() {
  expect_boot_stop
  observe_boot clean-reboot
  observe_containers clean-reboot 0
  expect_policies_after clean-reboot
}

case_reboot_hard() {
  observe_boot hard-poweroff
  observe_containers hard-poweroff 0
  expect_policies_after hard-poweroff
}

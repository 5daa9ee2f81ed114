# shellcheck shell=bash
# Reboot cases of the VM suite: one stand-in per restart policy, deployed through the hooks,
# then a clean reboot and a hard power-off (the host kills QEMU), recording what Docker does
# at boot. The ground for a gated start at boot (issue 15 part 3).

readonly POLICIES=$SHARE/revisions/policies
readonly POLICY_SERVICES=(p-always p-unless-stopped p-on-failure p-no)

case_reboot_prepare() {
  deploy policies "$POLICIES"
  expect_eq "deployment exit status" "$DEPLOY_STATUS" 0
  observe_containers before-reboot 0
}

# observe_containers TAG SECONDS: samples the policy stack every 2 s for SECONDS after dockerd
# answers, then writes reboot-TAG.tsv: per service its policy, status, when it (re)started
# in seconds since boot, restart count and exit code.
observe_containers() {
  local tag=$1 watch_s=$2 end
  end=$((SECONDS + watch_s))
  while ((SECONDS < end)); do
    printf '%s\t%s\n' "$(uptime_s)" "$(docker ps -a --filter label=com.docker.compose.project=policies \
      --format '{{.Names}}={{.State}}' | sort | tr '\n' ' ')" >>"$CASE_DIR/samples-$tag.tsv"
    sleep 2
  done
  local boot_epoch now_epoch svc line policy status started restarts exit_code
  now_epoch=$(date +%s)
  boot_epoch=$(awk -v now="$now_epoch" '{print int(now - $1)}' /proc/uptime)
  printf 'service\tpolicy\tstatus\tstarted_s_after_boot\trestarts\texit_code\n' \
    >"$OUT/reboot-$tag.tsv"
  for svc in "${POLICY_SERVICES[@]}"; do
    line=$(docker inspect -f '{{.HostConfig.RestartPolicy.Name}} {{.State.Status}} {{.State.StartedAt}} {{.RestartCount}} {{.State.ExitCode}}' "$svc" 2>/dev/null) ||
      line="- missing - - -"
    read -r policy status started restarts exit_code <<<"$line"
    started=$(($(date -d "$started" +%s 2>/dev/null || echo "$boot_epoch") - boot_epoch))
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$svc" "$policy" "$status" "$started" "$restarts" \
      "$exit_code" >>"$OUT/reboot-$tag.tsv"
    figure "reboot_${tag}_${svc}" "$status started@${started}s restarts=$restarts exit=$exit_code"
  done
  cat "$OUT/reboot-$tag.tsv"
}

status_of() { awk -F'\t' -v s="$2" '$1 == s {print $3}' "$OUT/reboot-$1.tsv"; }

# After a boot: always and unless-stopped are running again, no is not (Docker's documented
# policies); on-failure is recorded as Docker leaves it.
expect_policies_after() {
  local tag=$1
  expect_eq "p-always after $tag" "$(status_of "$tag" p-always)" running
  expect_eq "p-unless-stopped after $tag" "$(status_of "$tag" p-unless-stopped)" running
  expect_eq "p-no after $tag" "$(status_of "$tag" p-no)" exited
}

case_reboot_clean() {
  observe_containers clean-reboot 40
  expect_policies_after clean-reboot
}

case_reboot_hard() {
  observe_containers hard-poweroff 40
  expect_policies_after hard-poweroff
}

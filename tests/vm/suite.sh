#!/usr/bin/env bash
# Guest side of the VM suite (rig/vm-suite.sh prepares the share, rig/vm.sh runs the VM).
# Three boots, tracked in out/phase: "first" loads the images and runs the deployment cases,
# then deploys the restart-policy stack and reboots cleanly; "clean-reboot" records what
# Docker brought back and asks the host for a power cut; "hard-poweroff" records it again.
# $SHARE/only (optional) lists the cases of the first boot to run (for development); without
# reboot_prepare in it there is no second boot. With contrast_prepare in it (opt-in, never
# with reboot_prepare) the second boot, "contrast-reboot", records the stack's boot without
# the unit (cases_contrast.sh), and the VM powers off after it.
set -uo pipefail
here=$(dirname "$(readlink -f "$0")")
# shellcheck source=tests/vm/lib.sh
source "$here/lib.sh"
# shellcheck source=tests/vm/cases.sh
source "$here/cases.sh"
# shellcheck source=tests/vm/cases_reboot.sh
source "$here/cases_reboot.sh"
# shellcheck source=tests/vm/cases_contrast.sh
source "$here/cases_contrast.sh"

readonly k_first_cases=(example_bridge cgroup_v2 rerun_unchanged validate_killed oom_gated
  oom_all_at_once reboot_prepare)

phase=$(cat "$OUT/phase" 2>/dev/null || echo first)
PHASE=$phase
note "phase $phase: script started ${SECONDS}s in, $(uptime_s)s after boot"
mark "script start"
start_memory_sampler
if ! wait_for_docker 600; then
  figure "${phase}_docker_ready_s" never
  exit 1
fi
mark "docker ready"
if [[ -f /run/stagehand-restored ]]; then
  # The first boot restored the warm snapshot: dockerd answered that many seconds after the
  # snapshot's own boot (rig/vm.sh build); here it answers at once.
  figure snapshot_docker_ready_s "$(cat /run/stagehand-snapshot-ready-s)"
  figure "${phase}_restored" yes
else
  figure "${phase}_docker_ready_s" "$(uptime_s)"
fi
figure "${phase}_available_mib_docker_idle" "$(mem_available_mib)"

case $phase in
  first)
    start=$SECONDS
    docker load -i "$SHARE/images.tar" >/dev/null || { note "docker load failed"; exit 1; }
    figure image_load_s $((SECONDS - start))
    mark "images loaded"
    cases=("${k_first_cases[@]}")
    [[ -f $SHARE/only ]] && mapfile -t cases <"$SHARE/only"
    for name in "${cases[@]}"; do
      run_case "$name"
    done
    if [[ " ${cases[*]} " == *" reboot_prepare "* ]]; then
      echo clean-reboot >"$OUT/phase"
      echo reboot >"$OUT/next"
    elif [[ " ${cases[*]} " == *" contrast_prepare "* ]]; then
      echo contrast-reboot >"$OUT/phase"
      echo reboot >"$OUT/next"
    fi
    ;;
  contrast-reboot)
    run_case contrast_reboot
    echo finished >"$OUT/phase"
    ;;
  clean-reboot)
    run_case reboot_clean
    echo hard-poweroff >"$OUT/phase"
    echo hardkill >"$OUT/next"
    ;;
  hard-poweroff)
    run_case reboot_hard
    echo finished >"$OUT/phase"
    ;;
esac
stop_memory_sampler
mark "phase end"
sync

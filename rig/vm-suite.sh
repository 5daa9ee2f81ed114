#!/usr/bin/env bash
# The VM suite (rig/test-all.sh step "vm", or `rig/vm.sh suite`): host side. Builds (or
# reuses) the guest image, fills a 9p share with the stand-in images (docker save, under
# the Docker flock), codedeploy-sim, the revisions with the static hooks and the guest
# scripts (tests/vm), runs the VM through its three boots, then checks the results the
# guest wrote: every case ok, figures and where the time went printed.
# Usage: rig/vm-suite.sh [BUILD_DIR]   (default build/release)
# Env: STAGEHAND_VM_CASES="case ..." runs only those first-boot cases (development; without
#      reboot_prepare no reboot; STAGEHAND_VM_CASES=contrast_prepare is the opt-in contrast:
#      the example with restart: always and no boot unit through a clean reboot, its timeline
#      rendered to $STAGEHAND_VM_VAR/suite/out/contrast.svg by STAGEHAND_REPORT_BIN), STAGEHAND_VM_DEADLINE (s, default 2400: three boots;
#      about 15 min on a quiet 2-core host, 30-40 min at load 15), STAGEHAND_DOCKER_LOCK
#      (the Docker flock of a shared host, /tmp/stagehand-docker.lock; empty: none),
#      STAGEHAND_VM_VAR and STAGEHAND_VM_COLD (rig/vm.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

readonly k_build=${1:-build/release}
readonly k_share=${STAGEHAND_VM_VAR:-${STAGEHAND_RIG_VAR:-/var/lib/stagehand-rig}/vm}/suite
readonly k_deadline_s=${STAGEHAND_VM_DEADLINE:-2400}
readonly k_registry=127.0.0.1:5000
readonly k_services=(rabbitmq config-service eureka-server gateway-service zookeeper kafka
  chat-service gesture-service randhand-kafka-consumer)
readonly k_hooks=(before-install after-install validate-service)
# Under TCG the vCPU is 10-30x slower than a t2.micro's (VM.md) and the guest has ~720 MiB
# available with dockerd idle: the example's CPU work is cut to a tenth and its memory
# figures halved, so its nine services fit one by one as the real stack fits a real host.
# Its healthchecks run every 15 s instead of every 1 s: each is a runc exec that costs the
# one TCG vCPU 1-2 s, so four of them every second starved everything else (measured: a
# 2.5 s stand-in took 138 s to become ready). The gate waits on its own ready probes anyway.
readonly k_cpu_scale=0.1
readonly k_mem_scale=0.5

log() { printf 'vm-suite: %s\n' "$*"; }
die() { printf 'vm-suite: error: %s\n' "$*" >&2; exit 1; }

expected_cases() {
  if [[ -n ${STAGEHAND_VM_CASES:-} ]]; then
    local cases
    read -r -a cases <<<"$STAGEHAND_VM_CASES"
    printf '%s\n' "${cases[@]}"
    [[ " $STAGEHAND_VM_CASES " != *" reboot_prepare "* ]] || printf 'reboot_clean\nreboot_hard\n'
    [[ " $STAGEHAND_VM_CASES " != *" contrast_prepare "* ]] || printf 'contrast_reboot\n'
  else
    printf '%s\n' example_bridge cgroup_v2 rerun_unchanged validate_killed oom_gated \
      oom_all_at_once reboot_prepare reboot_clean reboot_hard
  fi
}

# The example revision on compose's default network: no network_mode: host, no cgroup
# parent, no --require of 127.0.0.1 addresses (the stand-in takes IPv4 literals only; on a
# bridge the peer is another container), the machine's MemAvailable, images carried in.
make_randhand_bridge() {
  local src=examples/randhand dst=$1
  mkdir -p "$dst"
  cp "$src/appspec.yml" "$dst/"
  perl -0pe '
    s/^\s*(network_mode: host|cgroup_parent: \S+)\n//mg;
    s/,\s*--require, "[^"]*", --require-timeout-s, "[^"]*"//g;
    s/(--cpu-s, ")([0-9.]+)"/$1 . sprintf("%.2f", $2 * '"$k_cpu_scale"') . "\""/ge;
    s/(--(?:peak|steady)-mib, ")([0-9]+)"/$1 . int($2 * '"$k_mem_scale"') . "\""/ge;
    s/^(\s+interval:) \d+s$/$1 15s/mg;
    s/\A/# Derived by rig\/vm-suite.sh for the VM: bridge network, CPU and memory scaled.\n/;
  ' "$src/docker-compose.yml" >"$dst/docker-compose.yml"
  perl -0pe '
    s/memory_source: \S+/memory_source: auto/;
    s/(pull:\n\s+policy:) always/$1 missing/;
    s/(need: )([0-9]+)MiB/$1 . int($2 * '"$k_mem_scale"') . "MiB"/ge;
    s/\A/# Derived by rig\/vm-suite.sh for the VM: MemAvailable, images carried in.\n/;
  ' "$src/stagehand.yml" >"$dst/stagehand.yml"
  ! grep -Eq 'network_mode|cgroup_parent|--require' "$dst/docker-compose.yml" ||
    die "the example's compose file did not transform as expected"
  if ! grep -q 'memory_source: auto' "$dst/stagehand.yml" ||
    ! grep -q 'policy: missing' "$dst/stagehand.yml"; then
    die "the example's stagehand.yml did not transform as expected"
  fi
}

add_hooks() {
  local hook
  mkdir -p "$1/hooks"
  for hook in "${k_hooks[@]}"; do
    install -m 0755 "$k_build/bin/$hook" "$1/hooks/$hook"
  done
}

make_revisions() {
  local rev=$k_share/revisions
  make_randhand_bridge "$rev/randhand"
  cp -r tests/vm/revisions/heavy tests/vm/revisions/policies "$rev/"
  cp -r "$rev/heavy" "$rev/heavy-all-at-once"
  sed -i 's/gate: adaptive/gate: none/; s#/opt/heavy/current#/opt/heavy-all-at-once/current#' \
    "$rev/heavy-all-at-once/stagehand.yml" "$rev/heavy-all-at-once/appspec.yml"
  grep -q 'gate: none' "$rev/heavy-all-at-once/stagehand.yml" || die "no gate: none copy"
  local dir
  for dir in "$rev"/*/; do
    add_hooks "$dir"
  done
}

# The stand-in images from the host's Docker (rig/build-images.sh tagged them), saved under
# the shared Docker lock of a development host ($STAGEHAND_DOCKER_LOCK; empty: none, as
# rig/test-all.sh runs it: the run owns Docker, and may itself run under that lock);
# pulled from the local registry first when absent.
save_images() {
  local refs=() svc lock=()
  for svc in "${k_services[@]}"; do
    refs+=("$k_registry/randhand/$svc:1")
  done
  [[ -z ${STAGEHAND_DOCKER_LOCK-/tmp/stagehand-docker.lock} ]] ||
    lock=(flock "${STAGEHAND_DOCKER_LOCK-/tmp/stagehand-docker.lock}")
  # shellcheck disable=SC2016 # the inner script expands its own arguments
  "${lock[@]}" bash -c '
    for ref in "$@"; do
      docker image inspect "$ref" >/dev/null 2>&1 || docker pull -q "$ref" >/dev/null || exit 1
    done
    docker save -o "'"$k_share/images.tar"'" "$@"' _ "${refs[@]}" ||
    die "docker save of the stand-in images failed (rig/build-images.sh run?)"
}

prepare_share() {
  rm -rf "$k_share"
  mkdir -p "$k_share/bin" "$k_share/vm" "$k_share/revisions"
  for bin in "${k_hooks[@]}" codedeploy-sim; do
    [[ -x $k_build/bin/$bin ]] || die "$k_build/bin/$bin not built"
  done
  install -m 0755 "$k_build/bin/codedeploy-sim" "$k_share/bin/"
  cp tests/vm/*.sh "$k_share/vm/"
  printf '#!/bin/bash\nexec bash /mnt/share/vm/suite.sh\n' >"$k_share/run.sh"
  if [[ -n ${STAGEHAND_VM_CASES:-} ]]; then
    expected_cases | grep -v '^reboot_clean$\|^reboot_hard$\|^contrast_reboot$' >"$k_share/only"
  fi
  make_revisions
  save_images
}

# Every expected case has an "ok" line; prints the results and the figures.
check_results() {
  local out=$k_share/out failed=0 name line
  printf '\n%-18s %-7s %6s  %s\n' case result time first-failure
  while read -r name; do
    line=$(awk -F'\t' -v c="$name" '$1 == c' "$out/results.tsv" 2>/dev/null || true)
    if [[ -z $line ]]; then
      printf '%-18s %-7s\n' "$name" MISSING
      failed=1
      continue
    fi
    awk -F'\t' '{printf "%-18s %-7s %5ss  %s\n", $1, $2, $3, $4}' <<<"$line"
    [[ $(cut -f2 <<<"$line") == ok ]] || failed=1
  done < <(expected_cases)
  printf '\nfigures:\n'
  sed 's/^/  /' "$out/figures.tsv" 2>/dev/null || true
  # rig/vm.sh boots the same disk again after a guest kernel panic (TCG): say it happened.
  local panics
  panics=$(find "$out" -maxdepth 1 -name 'panic-*.serial.log' | wc -l)
  ((panics == 0)) || printf '  guest_kernel_panics\t%s (serial consoles: %s/panic-*.serial.log)\n' \
    "$panics" "$out"
  if [[ -f $out/memavailable.tsv ]]; then
    printf '  lowest_memavailable_mib_sampled\t%s\n' "$(sort -t$'\t' -k2n "$out/memavailable.tsv" |
      head -n1 | cut -f2)"
  fi
  return "$failed"
}

# time_breakdown T0 T1 T2 T3: where the step's time went. T0 start, T1 image ready, T2 share
# ready (QEMU starts), T3 QEMU gone; in between, the guest's marks (out/timeline.tsv: epoch,
# phase, event), each line the seconds from the mark before.
time_breakdown() {
  local t0=$1 t1=$2 t2=$3 t3=$4
  printf '\ntime breakdown (s):\n'
  printf '  %5d  %s\n' $((t1 - t0)) "guest image and warm snapshot (built or cached)" \
    $((t2 - t1)) "share: revisions, docker save of the stand-ins"
  awk -F'\t' -v prev="$t2" -v prev_label="QEMU started" '
    { printf "  %5d  %-14s %s  (from: %s)\n", $1 - prev, $2, $3, prev_label
      prev = $1; prev_label = $2 " " $3 }
    END { printf "  %5d  %-14s %s\n", '"$t3"' - prev, "", "to QEMU gone (power-off)" }
  ' "$k_share/out/timeline.tsv" 2>/dev/null || true
  printf '  %5d  total\n' $((t3 - t0))
}

# The contrast case's timeline (out/contrast.report.json, a boot report the guest wrote) drawn
# by stagehand-report (tools/: src/core/report, the renderer of after-install --svg).
render_contrast() {
  local out=$k_share/out report=${STAGEHAND_REPORT_BIN:-$k_build/bin/stagehand-report}
  [[ -f $out/contrast.report.json ]] || return 0
  if [[ ! -x $report ]]; then
    log "no $report: contrast timeline not drawn (bench/cmake/with-tools.cmake builds it)"
    return 0
  fi
  "$report" "$out/contrast.report.json" -o "$out/contrast.svg" && log "contrast timeline: $out/contrast.svg"
}

main() {
  [[ $(id -u) -eq 0 ]] || die "must run as root"
  if [[ " ${STAGEHAND_VM_CASES:-} " == *" contrast_prepare "* &&
    " ${STAGEHAND_VM_CASES:-} " == *" reboot_prepare "* ]]; then
    die "contrast_prepare (no boot unit) and reboot_prepare (the unit) need separate runs"
  fi
  local started=$SECONDS t0 t1 t2 t3
  t0=$(date +%s)
  rig/vm.sh build
  t1=$(date +%s)
  prepare_share
  t2=$(date +%s)
  log "share ready in $((SECONDS - started))s: $k_share"
  local status=0
  rig/vm.sh run "$k_share" --deadline "$k_deadline_s" || status=$?
  t3=$(date +%s)
  log "VM finished with status $status after $((SECONDS - started))s" \
    "(guest log: $k_share/out/console.log, cases: $k_share/out/cases/)"
  check_results || status=1
  render_contrast || status=1
  time_breakdown "$t0" "$t1" "$t2" "$t3"
  return "$status"
}

main "$@"

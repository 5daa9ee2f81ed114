#!/usr/bin/env bash
# The simulated t2.micro: a cgroup "stagehand-t2micro" with 1024 MiB of memory (no swap) and
# one CPU (CFS quota 100000 us per 100000 us period). Containers join it through compose
# `cgroup_parent: /stagehand-t2micro` (Docker's cgroupfs driver creates <cgroup>/<id> below).
#   rig/t2micro.sh create    create it (or re-apply the limits); idempotent
#   rig/t2micro.sh destroy   remove it; fails, naming them, while containers still run in it
#   rig/t2micro.sh path      print the memory cgroup folder (for memory_source: cgroup:<folder>)
# cgroup v2 (unified /sys/fs/cgroup): memory.max, memory.swap.max, cpu.max, with the memory
# and cpu controllers enabled in the parents' cgroup.subtree_control.
# cgroup v1: the memory and cpu hierarchies (memory.limit_in_bytes, memsw where present,
# cpu.cfs_quota_us / cpu.cfs_period_us).
# Env: STAGEHAND_T2MICRO_MIB (default 1024), STAGEHAND_T2MICRO_CPUS (default 1),
#      STAGEHAND_T2MICRO_NAME (default stagehand-t2micro; tests use their own small one).
set -euo pipefail

readonly k_name=${STAGEHAND_T2MICRO_NAME:-stagehand-t2micro}
readonly k_root=${STAGEHAND_CGROUP_ROOT:-/sys/fs/cgroup} # override: tests only
readonly k_mib=${STAGEHAND_T2MICRO_MIB:-1024}
readonly k_cpus=${STAGEHAND_T2MICRO_CPUS:-1}
readonly k_period_us=100000

log() { printf 't2micro: %s\n' "$*"; }
die() { printf 't2micro: error: %s\n' "$*" >&2; exit 1; }

is_v2() { [[ -f $k_root/cgroup.controllers ]]; }

memory_dir() {
  if is_v2; then
    printf '%s\n' "$k_root/$k_name"
  else
    printf '%s\n' "$k_root/memory/$k_name"
  fi
}

# write FILE VALUE: with the file named in the error, since the kernel's EINVAL/EBUSY says little.
write() {
  printf '%s\n' "$2" >"$1" 2>/dev/null || die "cannot write '$2' to $1"
}

create_v1() {
  [[ -d $k_root/memory && -d $k_root/cpu ]] ||
    die "cgroup v1 without memory and cpu hierarchies under $k_root"
  local mem=$k_root/memory/$k_name cpu=$k_root/cpu/$k_name
  mkdir -p "$mem" "$cpu"
  local bytes=$((k_mib * 1024 * 1024))
  # memsw (memory+swap) must stay >= the memory limit: raise memory first when growing memsw
  # would fail, i.e. set memory, then memsw to the same value (no swap inside the t2.micro).
  if [[ -f $mem/memory.memsw.limit_in_bytes ]]; then
    printf '%s\n' -1 >"$mem/memory.memsw.limit_in_bytes" 2>/dev/null || true
    write "$mem/memory.limit_in_bytes" "$bytes"
    write "$mem/memory.memsw.limit_in_bytes" "$bytes"
  else
    write "$mem/memory.limit_in_bytes" "$bytes"
    write "$mem/memory.swappiness" 0
  fi
  write "$cpu/cpu.cfs_period_us" "$k_period_us"
  write "$cpu/cpu.cfs_quota_us" "$((k_cpus * k_period_us))"
}

create_v2() {
  local dir=$k_root/$k_name controllers
  controllers=$(<"$k_root/cgroup.controllers")
  [[ " $controllers " == *" memory "* && " $controllers " == *" cpu "* ]] ||
    die "cgroup v2 at $k_root offers '$controllers': memory and cpu are needed"
  write "$k_root/cgroup.subtree_control" "+memory +cpu"
  mkdir -p "$dir"
  write "$dir/memory.max" "$((k_mib * 1024 * 1024))"
  if [[ -f $dir/memory.swap.max ]]; then
    write "$dir/memory.swap.max" 0
  fi
  write "$dir/cpu.max" "$((k_cpus * k_period_us)) $k_period_us"
  # Containers are created below this folder; they need the controllers passed down.
  write "$dir/cgroup.subtree_control" "+memory +cpu"
}

cmd_create() {
  [[ $(id -u) -eq 0 ]] || die "must run as root"
  if is_v2; then
    create_v2
    log "created $k_root/$k_name (cgroup v2: memory.max ${k_mib} MiB, cpu.max $k_cpus CPU)"
  else
    create_v1
    log "created $k_name in $k_root/{memory,cpu} (cgroup v1: ${k_mib} MiB, $k_cpus CPU)"
  fi
}

# Every folder named $k_name in the mounted hierarchies (runc creates it in all v1 ones).
all_dirs() {
  if is_v2; then
    [[ -d $k_root/$k_name ]] && printf '%s\n' "$k_root/$k_name"
  else
    local h
    for h in "$k_root"/*/; do
      [[ -d $h$k_name ]] && printf '%s\n' "${h%/}/$k_name"
    done
  fi
  return 0
}

cmd_destroy() {
  local dirs d busy=""
  mapfile -t dirs < <(all_dirs)
  for d in "${dirs[@]}"; do
    # Any process left below means a container still runs in the t2.micro.
    if find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null | grep -q .; then
      busy+=" $d"
    fi
  done
  if [[ -n $busy ]]; then
    local ids
    ids=$(docker ps -q --no-trunc 2>/dev/null | while read -r id; do
      if [[ $(docker inspect -f '{{.HostConfig.CgroupParent}}' "$id") == "/$k_name" ]]; then
        docker inspect -f '{{.Name}}' "$id"
      fi
    done | tr '\n' ' ')
    die "processes still run in:$busy (containers: ${ids:-unknown}); stop them first"
  fi
  for d in "${dirs[@]}"; do
    # Children first: containers that exited may leave empty folders behind.
    find "$d" -mindepth 1 -depth -type d -exec rmdir {} \;
    rmdir "$d"
  done
  log "destroyed ${#dirs[@]} folder(s)"
}

case ${1:-} in
  create) cmd_create ;;
  destroy) cmd_destroy ;;
  path) memory_dir ;;
  *)
    printf 'usage: %s create|destroy|path\n' "$0" >&2
    exit 2
    ;;
esac

#!/usr/bin/env bash
# The local world the integration tests and the demo run in: a Docker daemon and a registry.
#   rig/world.sh up       start dockerd (only if `docker info` fails) and a registry on
#                         127.0.0.1:5000 (only if none answers); safe to call again
#   rig/world.sh down     stop exactly what `up` started (by PID), waiting for each to exit
#   rig/world.sh status   say what runs and who started it; exit 0 when both answer
# State (PID files, logs, registry config) lives in $STAGEHAND_RIG_RUN (default
# /run/stagehand-rig); registry blobs in $STAGEHAND_RIG_VAR/registry (default
# /var/lib/stagehand-rig), so pushed images survive a `down`.
set -euo pipefail

readonly k_run=${STAGEHAND_RIG_RUN:-/run/stagehand-rig}
readonly k_var=${STAGEHAND_RIG_VAR:-/var/lib/stagehand-rig}
readonly k_registry_addr=127.0.0.1:5000
readonly k_start_deadline_s=${STAGEHAND_RIG_START_DEADLINE:-90}
readonly k_stop_deadline_s=60
# The daemon as this VM runs it: no iptables or bridge (host networking only), vfs storage (no
# overlayfs inside the VM), and the cgroupfs driver so `cgroup_parent: /stagehand-t2micro`
# names a plain cgroup folder.
readonly k_dockerd_flags=(--iptables=false --ip6tables=false --bridge=none --storage-driver=vfs
  --exec-opt native.cgroupdriver=cgroupfs)
# Extra dockerd arguments, e.g. a second daemon for testing this script:
#   DOCKER_HOST=unix:///tmp/d/docker.sock STAGEHAND_RIG_DOCKERD_ARGS="-H unix:///tmp/d/docker.sock
#   --data-root /tmp/d/data --exec-root /tmp/d/exec" STAGEHAND_RIG_RUN=/tmp/d/run rig/world.sh up
read -r -a k_dockerd_extra <<<"${STAGEHAND_RIG_DOCKERD_ARGS:-}"
readonly k_dockerd_extra

log() { printf 'world: %s\n' "$*"; }
die() { printf 'world: error: %s\n' "$*" >&2; exit 1; }

docker_answers() { timeout 10 docker info >/dev/null 2>&1; }
registry_answers() {
  curl -fsS --max-time 2 -o /dev/null "http://${k_registry_addr}/v2/" 2>/dev/null
}

# Prints the PID recorded in $1 if that process still runs the program $2, else nothing
# (a stale file, or a PID since reused by something else).
live_pid() {
  local file=$1 program=$2 pid
  [[ -f $file ]] || return 0
  pid=$(<"$file")
  [[ $pid =~ ^[0-9]+$ ]] || return 0
  if [[ -r /proc/$pid/cmdline ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$program"; then
    printf '%s\n' "$pid"
  fi
}

# wait_until DEADLINE_S WHAT PID LOG CMD...: polls CMD until it succeeds; fails with the log
# tail when the deadline passes or the process PID dies first.
wait_until() {
  local deadline_s=$1 what=$2 pid=$3 logfile=$4
  shift 4
  local end=$((SECONDS + deadline_s))
  until "$@"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$logfile" >&2 || true
      die "$what exited during startup (log: $logfile)"
    fi
    if ((SECONDS >= end)); then
      tail -n 20 "$logfile" >&2 || true
      die "$what did not answer within ${deadline_s}s (PID $pid, log: $logfile)"
    fi
    sleep 0.2
  done
}

start_dockerd() {
  if docker_answers; then
    log "docker: answers already (driver $(docker info --format '{{.CgroupDriver}}' 2>/dev/null))"
    return
  fi
  command -v dockerd >/dev/null || die "dockerd not found: run rig/install-deps.sh"
  local logfile=$k_run/dockerd.log
  log "starting dockerd (log $logfile)"
  # setsid: its own session, so a signal to the caller's process group does not reach it;
  # no inherited stdout/stderr, so no pipe of the caller stays open.
  setsid dockerd "${k_dockerd_flags[@]}" "${k_dockerd_extra[@]}" --pidfile "$k_run/dockerd.pid" \
    </dev/null >>"$logfile" 2>&1 9>&- &
  local pid=$!
  printf '%s\n' "$pid" >"$k_run/dockerd.pid.rig"
  wait_until "$k_start_deadline_s" dockerd "$pid" "$logfile" docker_answers
  log "dockerd ready (PID $pid)"
}

write_registry_config() {
  mkdir -p "$k_var/registry"
  cat >"$k_run/registry.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $k_var/registry
  delete:
    enabled: true
http:
  addr: $k_registry_addr
YAML
}

start_registry() {
  if registry_answers; then
    log "registry: answers already on $k_registry_addr"
    return
  fi
  command -v docker-registry >/dev/null || die "docker-registry not found: run rig/install-deps.sh"
  write_registry_config
  local logfile=$k_run/registry.log
  log "starting registry on $k_registry_addr (storage $k_var/registry, log $logfile)"
  setsid docker-registry serve "$k_run/registry.yml" </dev/null >>"$logfile" 2>&1 9>&- &
  local pid=$!
  printf '%s\n' "$pid" >"$k_run/registry.pid"
  wait_until "$k_start_deadline_s" registry "$pid" "$logfile" registry_answers
  log "registry ready (PID $pid)"
}

# stop_pid FILE PROGRAM: SIGTERM the process recorded in FILE, wait for it to exit (SIGKILL
# after the deadline), then remove FILE.
stop_pid() {
  local file=$1 program=$2 pid
  pid=$(live_pid "$file" "$program")
  if [[ -z $pid ]]; then
    rm -f "$file"
    return
  fi
  log "stopping $program (PID $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local end=$((SECONDS + k_stop_deadline_s))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= end)); then
      log "$program (PID $pid) still runs after ${k_stop_deadline_s}s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      end=$((SECONDS + 10))
    fi
    sleep 0.2
  done
  rm -f "$file"
}

cmd_up() {
  [[ $(id -u) -eq 0 ]] || die "must run as root"
  mkdir -p "$k_run"
  exec 9>"$k_run/lock"
  flock -w 120 9 || die "another world.sh holds $k_run/lock"
  start_dockerd
  local driver
  driver=$(docker info --format '{{.CgroupDriver}}' 2>/dev/null || true)
  if [[ $driver != cgroupfs ]]; then
    log "warning: docker's cgroup driver is '$driver', not cgroupfs:" \
      "cgroup_parent: /stagehand-t2micro needs cgroupfs"
  fi
  start_registry
}

cmd_down() {
  mkdir -p "$k_run"
  exec 9>"$k_run/lock"
  flock -w 120 9 || die "another world.sh holds $k_run/lock"
  stop_pid "$k_run/registry.pid" docker-registry
  stop_pid "$k_run/dockerd.pid.rig" dockerd
  rm -f "$k_run/dockerd.pid"
}

owner() {
  local pid
  pid=$(live_pid "$1" "$2")
  if [[ -n $pid ]]; then
    printf 'started by world.sh, PID %s' "$pid"
  else
    printf 'started elsewhere'
  fi
}

cmd_status() {
  local ok=0
  if docker_answers; then
    log "docker: up (server $(docker info --format '{{.ServerVersion}}, driver {{.CgroupDriver}}, cgroup v{{.CgroupVersion}}' 2>/dev/null);" \
      "$(owner "$k_run/dockerd.pid.rig" dockerd))"
  else
    log "docker: down"
    ok=1
  fi
  if registry_answers; then
    log "registry: up on $k_registry_addr ($(owner "$k_run/registry.pid" docker-registry))"
  else
    log "registry: down"
    ok=1
  fi
  return "$ok"
}

case ${1:-} in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  *)
    printf 'usage: %s up|down|status\n' "$0" >&2
    exit 2
    ;;
esac

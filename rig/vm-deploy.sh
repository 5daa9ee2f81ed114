#!/usr/bin/env bash
# `rig/vm.sh deploy REVISION_DIR [--images IMAGE...] [--out DIR]`: rehearses a CodeDeploy
# revision in the local t2.micro VM before it goes to a real instance. The revision (with
# stagehand's static hooks where its appspec.yml names them) runs through the agent simulator
# in a fresh guest: BeforeInstall, AfterInstall, ValidateService, as the agent runs them.
# The guest has no network: the images named by --images are carried in (`docker save` here,
# `docker load` there) and the copy's pull.policy is set to `never`. The hooks' output is
# printed as they run; report.json, timeline.svg (after-install --svg), deployment.jsonl
# and hooks.log are left in DIR (default ./vm-deploy). Exit status: the deployment's.
set -euo pipefail

k_repo=$(cd "$(dirname "$0")/.." && pwd)
readonly k_repo
readonly k_share=${STAGEHAND_VM_VAR:-${STAGEHAND_RIG_VAR:-/var/lib/stagehand-rig}/vm}/deploy
readonly k_deadline_s=${STAGEHAND_VM_DEADLINE:-1800}

log() { printf 'vm deploy: %s\n' "$*"; }
die() { printf 'vm deploy: error: %s\n' "$*" >&2; exit 2; }

usage() {
  printf 'usage: rig/vm.sh deploy REVISION_DIR [--images IMAGE...] [--out DIR]\n' >&2
  exit 2
}

revision=
out_dir=$PWD/vm-deploy
images=()
parse_args() {
  (($# >= 1)) || usage
  revision=$1
  shift
  while (($# > 0)); do
    case $1 in
      --images)
        shift
        while (($# > 0)) && [[ $1 != --* ]]; do images+=("$1"); shift; done ;;
      --out) (($# >= 2)) || usage; out_dir=$2; shift 2 ;;
      *) usage ;;
    esac
  done
  [[ -f $revision/appspec.yml ]] || die "$revision/appspec.yml not found: not a revision"
}

# The copy's stagehand.yml pulls nothing (the guest has no network): pull.policy: never,
# inserted into an existing pull: block or appended.
pull_never() {
  local config=$1
  if [[ ! -f $config ]]; then
    printf 'version: 1\npull:\n  policy: never\n' >"$config"
  elif grep -q '^pull:' "$config"; then
    perl -0pi -e 's/^(pull:[^\n]*\n(?:[ \t]+[^\n]*\n)*?[ \t]+policy:)[ \t]*\S+/$1 never/m
      or s/^pull:[ \t]*\n/pull:\n  policy: never\n/m' "$config"
  else
    printf '\npull:\n  policy: never\n' >>"$config"
  fi
  grep -q 'policy: never' "$config" || die "could not set pull.policy: never in $config"
}

# Every after-install of the copy draws its report as an SVG on the share too: the real
# executable moves aside, a wrapper adds --svg (the agent runs hooks without arguments).
svg_wrappers() {
  local hook
  while IFS= read -r -d '' hook; do
    mv "$hook" "$(dirname "$hook")/.after-install.real"
    cat >"$hook" <<'WRAPPER'
#!/bin/sh
# rig/vm.sh deploy: the revision's after-install, with its SVG timeline on the share.
exec "$(dirname "$0")/.after-install.real" --svg /mnt/share/out/timeline.svg "$@"
WRAPPER
    chmod 0755 "$hook"
  done < <(find "$1" -name after-install -type f -print0)
}

prepare_share() {
  rm -rf "$k_share"
  mkdir -p "$k_share/bin" "$k_share/vm"
  cp -a "$revision/." "$k_share/revision/"
  pull_never "$k_share/revision/stagehand.yml"
  svg_wrappers "$k_share/revision"
  basename "$(realpath "$revision")" >"$k_share/application"
  install -m 0755 "$k_repo/${STAGEHAND_BUILD_DIR:-build/release}/bin/codedeploy-sim" "$k_share/bin/"
  cp "$k_repo"/tests/vm/*.sh "$k_share/vm/"
  printf '#!/bin/bash\nexec bash /mnt/share/vm/deploy.sh\n' >"$k_share/run.sh"
  if ((${#images[@]} > 0)); then
    log "saving ${#images[@]} image(s) from this host's Docker"
    flock /tmp/stagehand-docker.lock docker save -o "$k_share/images.tar" "${images[@]}" ||
      die "docker save ${images[*]} failed"
  fi
}

main() {
  parse_args "$@"
  [[ $(id -u) -eq 0 ]] || die "must run as root"
  [[ -x $k_repo/${STAGEHAND_BUILD_DIR:-build/release}/bin/codedeploy-sim ]] ||
    die "codedeploy-sim not built (cmake --build build/release --target codedeploy-sim)"
  "$k_repo/rig/vm.sh" build
  prepare_share
  log "booting the t2.micro VM (1 vCPU under TCG, 1024 MiB); the hooks' output follows"
  mkdir -p "$k_share/out"
  : >"$k_share/out/hooks.log"
  tail -n +1 -F "$k_share/out/hooks.log" 2>/dev/null &
  local tail_pid=$! status=0
  "$k_repo/rig/vm.sh" run "$k_share" --deadline "$k_deadline_s" || status=$?
  sleep 1
  kill "$tail_pid" 2>/dev/null || true
  wait "$tail_pid" 2>/dev/null || true
  mkdir -p "$out_dir"
  local file
  for file in report.json timeline.svg deployment.jsonl hooks.log figures.tsv console.log; do
    [[ -f $k_share/out/$file ]] && cp "$k_share/out/$file" "$out_dir/"
  done
  printf '\n'
  jq -r 'select(.type == "summary") | "deployment \(.deployment_id): \(.status)" +
    (if .failed_event then " at \(.failed_event): \(.error)" else "" end)' \
    "$k_share/out/deployment.jsonl" 2>/dev/null || true
  sed 's/^/  /' "$k_share/out/figures.tsv" 2>/dev/null || true
  log "report, SVG timeline and logs in $out_dir; exit $status"
  return "$status"
}

main "$@"

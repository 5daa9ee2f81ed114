#!/usr/bin/env bash
# Guest side of `rig/vm.sh deploy` (rig/vm-deploy.sh): loads the carried-in images, runs the
# revision on the share through the agent simulator as CodeDeploy would (BeforeInstall,
# AfterInstall, ValidateService), and leaves in out/: hooks.log (the hooks' lines, live),
# deployment.jsonl (the agent's view of each hook and the summary), report.json and
# timeline.svg (after-install's), figures.tsv, memavailable.tsv.
set -uo pipefail
here=$(dirname "$(readlink -f "$0")")
# shellcheck source=tests/vm/lib.sh
source "$here/lib.sh"

start_memory_sampler
wait_for_docker 600 || { note "dockerd did not answer"; exit 1; }
if [[ -f /run/stagehand-restored ]]; then
  figure restored_from_warm_snapshot yes # dockerd was ready when it was saved
else
  figure docker_ready_s "$(uptime_s)"
fi
figure available_mib_docker_idle "$(mem_available_mib)"
if [[ -f $SHARE/images.tar ]]; then
  docker load -i "$SHARE/images.tar" >>"$OUT/console.log" 2>&1 || { note "docker load failed"; exit 1; }
fi
oom_before=$(oom_kills)
status=0
"$SIM" deploy --bundle "$SHARE/revision" --root "$AGENT_ROOT" \
  --application "$(cat "$SHARE/application")" --group vm --agent v1 --print-output \
  >"$OUT/deployment.jsonl" 2>"$OUT/hooks.log" || status=$?
id=$(jq -r 'select(.type == "summary") | .deployment_id' "$OUT/deployment.jsonl")
[[ -f $STATE_DIR/reports/$id.json ]] && cp "$STATE_DIR/reports/$id.json" "$OUT/report.json"
figure deployment_s "$(jq -r 'select(.type == "summary") | .duration_ms / 1000' \
  "$OUT/deployment.jsonl")"
figure kernel_oom_kills "$(($(oom_kills) - oom_before))"
docker ps -a --format '{{.Names}}\t{{.Status}}' >"$OUT/containers.tsv"
stop_memory_sampler
exit "$status"

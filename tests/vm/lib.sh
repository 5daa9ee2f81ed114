# shellcheck shell=bash
# Guest side of the VM suite: helpers sourced by suite.sh and cases.sh. Runs inside the
# t2.micro VM (rig/vm.sh), as root, from the 9p share the host prepared:
#   $SHARE/bin/          codedeploy-sim (dynamic: libstdc++, libc; trixie has newer ones)
#   $SHARE/images.tar    the stand-in images (docker save on the host)
#   $SHARE/revisions/    bundles with stagehand's static hooks in hooks/
#   $SHARE/out/          results: results.tsv (case, ok|FAILED, s, first failure),
#                        figures.tsv (name, value), cases/<case>/ (logs, reports, JSON)

readonly SHARE=/mnt/share
readonly OUT=$SHARE/out
readonly SIM=$SHARE/bin/codedeploy-sim
readonly AGENT_ROOT=/opt/codedeploy-agent/deployment-root
readonly STATE_DIR=/var/lib/stagehand
CASE_DIR=$OUT

note() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*"; }

figure() {
  printf '%s\t%s\n' "$1" "$2" >>"$OUT/figures.tsv"
  note "figure $1 = $2"
}

# fail MESSAGE: records an assertion failure of the current case; the case goes on, so
# one run shows every broken assertion.
fail() {
  printf '%s\n' "$*" >>"$CASE_DIR/failures"
  note "FAIL: $*"
}

expect_eq() { [[ $2 == "$3" ]] || fail "$1: got '$2', want '$3'"; }
expect_ge() { (($2 >= $3)) || fail "$1: got $2, want >= $3"; }
expect_le() { (($2 <= $3)) || fail "$1: got $2, want <= $3"; }
# A failure is one line (results.tsv and test-all's summary show the first line of the
# first failure): the text's last line, where a hook's verdict is, with the newlines of the
# 400 characters before it shown as " | ". The whole text goes to the case's log.
one_line_tail() {
  local text=${1%$'\n'} last
  last=${text##*$'\n'}
  [[ $text == *$'\n'* ]] && text=${text%$'\n'*} || text=
  ((${#text} <= 400)) || text=${text: -400}
  printf 'last line: %s; before it: %s' "$last" "${text//$'\n'/ | }"
}
expect_contains() {
  [[ $2 == *"$3"* ]] && return 0
  printf '%s\n' "$2" >"$CASE_DIR/expect-failed-$(date +%s%N).txt"
  fail "$1: '$3' not found, $(one_line_tail "$2")"
}
expect_not_contains() {
  [[ $2 != *"$3"* ]] && return 0
  printf '%s\n' "$2" >"$CASE_DIR/expect-failed-$(date +%s%N).txt"
  fail "$1: '$3' unexpectedly in it, $(one_line_tail "$2")"
}

uptime_s() { cut -d' ' -f1 /proc/uptime; }

# mark EVENT: a line of out/timeline.tsv (host-comparable epoch, phase, event, uptime), from
# which rig/vm-suite.sh prints where the VM's time went. The clock is the host's: set at a
# restore (stagehand-vm-run), from the RTC at a boot.
mark() {
  printf '%s\t%s\t%s\t%s\n' "$(date +%s)" "${PHASE:-run}" "$1" "$(uptime_s)" >>"$OUT/timeline.tsv"
}
oom_kills() { awk '$1 == "oom_kill" {print $2}' /proc/vmstat; }
mem_available_mib() { awk '$1 == "MemAvailable:" {print int($2 / 1024)}' /proc/meminfo; }

# run_case NAME: runs case_NAME with its output in cases/NAME/log, and appends its line to
# results.tsv. A case passes when it recorded no failure and its function returned 0.
run_case() {
  local name=$1 start=$SECONDS case_status=0
  CASE_DIR=$OUT/cases/$name
  mkdir -p "$CASE_DIR"
  : >"$CASE_DIR/failures"
  note "case $name: start"
  mark "$name start"
  # A subshell: a case's variables cannot clobber ours, and its errors end only the case.
  ("case_$name") >>"$CASE_DIR/log" 2>&1 || case_status=$?
  ((case_status == 0)) || fail "case function returned $case_status"
  local verdict=ok
  [[ ! -s $CASE_DIR/failures ]] || verdict=FAILED
  printf '%s\t%s\t%s\t%s\n' "$name" "$verdict" "$((SECONDS - start))" \
    "$(head -n1 "$CASE_DIR/failures")" >>"$OUT/results.tsv"
  note "case $name: $verdict in $((SECONDS - start))s"
  mark "$name end"
  CASE_DIR=$OUT
}

wait_for_docker() {
  local end=$((SECONDS + ${1:-300}))
  until timeout 20 docker info >/dev/null 2>&1; do
    ((SECONDS < end)) || return 1
    sleep 1
  done
}

# deploy TAG BUNDLE [SIM ARGS...]: one CodeDeploy deployment through the agent simulator.
# Output: $CASE_DIR/TAG.jsonl (hook objects and the summary), TAG.hooks.log (the hooks'
# lines, live). Sets DEPLOY_STATUS (its exit status), DEPLOY_ID, DEPLOY_S (agent's duration).
deploy() {
  local tag=$1 bundle=$2
  shift 2
  DEPLOY_STATUS=0
  "$SIM" deploy --bundle "$bundle" --root "$AGENT_ROOT" --application "$(basename "$bundle")" \
    --group "$(basename "$bundle")" --agent v1 --hard-kill-after 30 --print-output "$@" \
    >"$CASE_DIR/$tag.jsonl" 2>"$CASE_DIR/$tag.hooks.log" || DEPLOY_STATUS=$?
  DEPLOY_ID=$(jq -r 'select(.type == "summary") | .deployment_id' "$CASE_DIR/$tag.jsonl")
  DEPLOY_S=$(jq -r 'select(.type == "summary") | .duration_ms / 1000 | floor' \
    "$CASE_DIR/$tag.jsonl")
  note "deploy $tag: exit $DEPLOY_STATUS, id $DEPLOY_ID, ${DEPLOY_S}s"
  if [[ -f $STATE_DIR/reports/$DEPLOY_ID.json ]]; then
    cp "$STATE_DIR/reports/$DEPLOY_ID.json" "$CASE_DIR/$tag.report.json"
  fi
}

# hook_tail TAG EVENT: what the agent console shows of that event (its 2 KB tail).
hook_tail() {
  jq -r --arg e "$2" 'select(.type == "hook" and .event == $e) | .tail' "$CASE_DIR/$1.jsonl"
}

# validate TAG BUNDLE: validate-service run alone, as the agent runs it. Sets HOOK_STATUS.
validate() {
  local tag=$1 bundle=$2
  HOOK_STATUS=0
  "$SIM" hook --script "$bundle/hooks/validate-service" --event ValidateService \
    --location hooks/validate-service --timeout 300 --hard-kill-after 30 \
    >"$CASE_DIR/$tag.jsonl" 2>/dev/null || HOOK_STATUS=$?
  note "validate $tag: exit $HOOK_STATUS"
}

# project_containers PROJECT: "service id" (the full ID) of each of the compose project's
# containers, one docker call (each costs the TCG vCPU 1-2 s).
project_containers() {
  docker ps -a --no-trunc --filter "label=com.docker.compose.project=$1" \
    --format '{{.Label "com.docker.compose.service"}} {{.ID}}' | sort
}

# compose_down PROJECT BUNDLE: removes the project's containers and network.
compose_down() {
  timeout 300 docker compose -p "$1" -f "$2/docker-compose.yml" down --timeout 10 \
    >/dev/null 2>&1 || note "compose down of $1 failed"
}

# Samples MemAvailable every 2 s into out/memavailable.tsv (uptime, MiB) until killed.
start_memory_sampler() {
  (
    while :; do
      printf '%s\t%s\n' "$(uptime_s)" "$(mem_available_mib)"
      sleep 2
    done >>"$OUT/memavailable.tsv"
  ) &
  SAMPLER_PID=$!
}

stop_memory_sampler() {
  [[ -n ${SAMPLER_PID:-} ]] && kill "$SAMPLER_PID" 2>/dev/null
  wait "${SAMPLER_PID:-}" 2>/dev/null || true
}

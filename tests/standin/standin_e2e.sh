#!/usr/bin/env bash
# End-to-end check of the stand-in, by running it: every mode, the memory it really holds
# (peak during the start, steady after ready), the CPU it burns, HTTP, probe, SIGTERM.
# Usage: tests/standin/standin_e2e.sh [path/to/standin]   (needs no root, no Docker)
set -euo pipefail

S=${1:-build/release/tests/standin/standin}
[[ -x $S ]] || { echo "standin not found: $S" >&2; exit 1; }
S=$(realpath "$S")
T=$(mktemp -d /tmp/standin-e2e.XXXXXX)
PORT=$((30000 + RANDOM % 20000))
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  rm -rf "$T"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

# wait_for DEADLINE_S CMD...: polls until CMD succeeds; false at the deadline.
wait_for() {
  local end=$((SECONDS + $1)); shift
  until "$@"; do ((SECONDS < end)) || return 1; sleep 0.05; done
}
# http_get PATH: prints the raw answer of the stand-in on $PORT (bash /dev/tcp, no curl).
http_get() {
  exec 3<>"/dev/tcp/127.0.0.1/$PORT" || return 1
  printf 'GET %s HTTP/1.0\r\n\r\n' "$1" >&3
  timeout 5 cat <&3
  exec 3<&-
}
rss_mib() { awk '/^VmRSS/ {print int($2 / 1024)}' "/proc/$1/status"; }
cpu_s() { awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$1/stat"; }

# normal: ramps to the peak, burns its CPU, drops to steady, says ready, serves HTTP.
"$S" --name svc --peak-mib 120 --steady-mib 40 --ramp-s 1 --cpu-s 1.5 --port "$PORT" >"$T/out" 2>&1 &
p=$!; pids+=("$p")
start=$SECONDS
wait_for 5 test -e "/proc/$p/status" || fail "normal: no process"
wait_for 5 bash -c "(( \$(awk '/^VmRSS/ {print int(\$2/1024)}' /proc/$p/status) >= 115 ))" ||
  fail "normal: RSS never reached the peak (now $(rss_mib "$p") MiB)"
grep -q ready "$T/out" && fail "normal: ready before the CPU work was done"
pass "normal: peak reached ($(rss_mib "$p") MiB) before ready"
wait_for 10 grep -q 'svc ready in' "$T/out" || fail "normal: no ready line: $(cat "$T/out")"
(( $(rss_mib "$p") <= 60 )) || fail "normal: RSS after ready $(rss_mib "$p") MiB, want <= 60 (steady 40)"
awk -v c="$(cpu_s "$p")" 'BEGIN { exit !(c >= 1.4 && c <= 2.5) }' ||
  fail "normal: CPU used $(cpu_s "$p") s, want about 1.5"
pass "normal: $(grep ready "$T/out"), steady RSS $(rss_mib "$p") MiB, CPU $(cpu_s "$p") s"
"$S" --probe "http://127.0.0.1:$PORT/actuator/health" >/dev/null || fail "probe of a ready service"
http_get /any >"$T/http"
grep -q '^HTTP/1.1 200' "$T/http" && grep -q '"status":"UP"' "$T/http" || fail "HTTP: $(cat "$T/http")"
pass "HTTP 200 {\"status\":\"UP\"}, probe exit 0"
t0=$(date +%s%N); kill -TERM "$p"; { wait "$p" && rc=0 || rc=$?; }; t1=$(date +%s%N)
[[ $rc == 143 ]] || fail "SIGTERM: exit $rc, want 143"
(( (t1 - t0) / 1000000 < 1000 )) || fail "SIGTERM took $(( (t1 - t0) / 1000000 )) ms"
pass "SIGTERM: exit 143 in $(( (t1 - t0) / 1000000 )) ms"

# probe of a closed port fails.
"$S" --probe "http://127.0.0.1:$PORT/" --timeout-s 1 >/dev/null && fail "probe of a closed port"
pass "probe of a closed port: exit 1"

# SIGTERM during the start work is prompt too.
"$S" --name busy --peak-mib 10 --cpu-s 30 >/dev/null 2>&1 &
p=$!; pids+=("$p"); sleep 0.3; kill -TERM "$p"; { wait "$p" && rc=0 || rc=$?; }
[[ $rc == 143 ]] || fail "SIGTERM while starting: exit $rc"
pass "SIGTERM while starting: exit 143"

# crash: exit 3 after crash-after-s, never ready.
timeout 20 "$S" --name c --mode crash --crash-after-s 0.5 --cpu-s 5 --port "$PORT" >"$T/out" 2>&1 && rc=0 || rc=$?
[[ $rc == 3 ]] || fail "crash: exit $rc"; grep -q ready "$T/out" && fail "crash: said ready"
pass "crash: exit 3 ($(grep crashed "$T/out"))"

# hang: never ready, no port; SIGTERM ends it.
"$S" --name h --mode hang --cpu-s 0.2 --port "$PORT" >"$T/out" 2>&1 &
p=$!; pids+=("$p")
sleep 1.5
grep -q ready "$T/out" && fail "hang: said ready"
"$S" --probe "http://127.0.0.1:$PORT/" --timeout-s 0.5 >/dev/null && fail "hang: port open"
kill -TERM "$p"; { wait "$p" && rc=0 || rc=$?; }; [[ $rc == 143 ]] || fail "hang: SIGTERM exit $rc"
pass "hang: not ready after 1.5 s, SIGTERM exit 143"

# http500: ready, answers 500; the probe fails.
"$S" --name e --mode http500 --port "$PORT" >"$T/out" 2>&1 &
p=$!; pids+=("$p")
wait_for 5 grep -q ready "$T/out" || fail "http500: not ready"
http_get / | grep -q '^HTTP/1.1 500' || fail "http500: no 500"
"$S" --probe "http://127.0.0.1:$PORT/" >/dev/null && fail "http500: probe passed"
kill -TERM "$p"; wait "$p" || true
pass "http500: ready, answers 500, probe exit 1"

# flap: ready, exit 4 after flap-after-s; the second run (marker present) stays up.
timeout 20 "$S" --name f --mode flap --flap-after-s 0.5 --flap-marker "$T/flap" --port "$PORT" >"$T/out" 2>&1 &&
  rc=0 || rc=$?
[[ $rc == 4 ]] || fail "flap: first run exit $rc, want 4"; grep -q 'f ready' "$T/out" || fail "flap: not ready first"
"$S" --name f --mode flap --flap-after-s 0.5 --flap-marker "$T/flap" --port "$PORT" >"$T/out" 2>&1 &
p=$!; pids+=("$p"); sleep 1.5
kill -0 "$p" 2>/dev/null || fail "flap: second run exited"
"$S" --probe "http://127.0.0.1:$PORT/" >/dev/null || fail "flap: second run not serving"
kill -TERM "$p"; wait "$p" || true
pass "flap: exit 4 once, then stays ready"

# exit0: one-shot.
timeout 20 "$S" --name o --mode exit0 --peak-mib 8 --cpu-s 0.1 >"$T/out" 2>&1 || fail "exit0: exit $?"
grep -q 'o done in' "$T/out" || fail "exit0: no done line"
pass "exit0: exit 0, $(grep done "$T/out")"

# require: exits 1 when HOST:PORT stays closed, starts once it opens.
timeout 20 "$S" --name k --require "127.0.0.1:$PORT" --require-timeout-s 0.5 >"$T/out" 2>&1 && rc=0 || rc=$?
[[ $rc == 1 ]] || fail "require: exit $rc"
"$S" --name z --port "$PORT" >/dev/null 2>&1 & p=$!; pids+=("$p")
timeout 20 "$S" --name k --mode exit0 --require "127.0.0.1:$PORT" --require-timeout-s 5 >"$T/out" 2>&1 ||
  fail "require: did not start with the port open"
kill -TERM "$p"; wait "$p" || true
pass "require: exit 1 when unreachable, starts when reachable"

# no port: ready line only (a consumer).
"$S" --name consumer --peak-mib 14 --steady-mib 13 --ramp-s 0.2 --cpu-s 0.18 >"$T/out" 2>&1 &
p=$!; pids+=("$p")
wait_for 5 grep -q 'consumer ready in' "$T/out" || fail "consumer: no ready line"
kill -TERM "$p"; wait "$p" || true
pass "no port: ready line, SIGTERM"
# peak: the line (and file) give the bytes it allocated and touched at its peak.
timeout 20 "$S" --name pk --mode exit0 --peak-mib 24 --steady-mib 8 --peak-file "$T/peak" >"$T/out" 2>&1 ||
  fail "peak: exit $?"
grep -q "^pk peak $((24 * 1048576)) bytes (VmHWM [0-9]* bytes)$" "$T/out" || fail "peak: $(cat "$T/out")"
[[ $(cat "$T/peak") == $((24 * 1048576)) ]] || fail "peak file: $(cat "$T/peak")"
hwm=$(sed -n 's/^pk peak [0-9]* bytes (VmHWM \([0-9]*\) bytes)$/\1/p' "$T/out")
(( hwm >= 24 * 1048576 )) || fail "peak: VmHWM $hwm below the 24 MiB it touched"
pass "peak: $(grep 'pk peak' "$T/out")"

# listen early: the port accepts connections while the CPU work still runs; ready later.
"$S" --name early --cpu-s 1 --port "$PORT" --listen early >"$T/out" 2>&1 &
p=$!; pids+=("$p")
wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT" 2>/dev/null || fail "early: port not open"
grep -q 'early ready' "$T/out" && fail "early: ready already, the test proves nothing"
wait_for 20 grep -q 'early ready in' "$T/out" || fail "early: no ready line"
"$S" --probe "http://127.0.0.1:$PORT/" >/dev/null || fail "early: not serving once ready"
kill -TERM "$p"; wait "$p" || true
pass "listen early: port open before ready, serves after"

# listen never: ready, but the declared port stays closed (a worker).
"$S" --name worker --cpu-s 0.1 --port "$PORT" --listen never >"$T/out" 2>&1 &
p=$!; pids+=("$p")
wait_for 5 grep -q 'worker ready in' "$T/out" || fail "never: no ready line"
"$S" --probe "http://127.0.0.1:$PORT/" --timeout-s 0.5 >/dev/null && fail "never: port open"
kill -TERM "$p"; { wait "$p" && rc=0 || rc=$?; }; [[ $rc == 143 ]] || fail "never: SIGTERM exit $rc"
pass "listen never: ready, port closed, SIGTERM exit 143"
echo "standin e2e: all passed"

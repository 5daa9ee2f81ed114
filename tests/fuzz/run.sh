#!/bin/sh
# Usage: tests/fuzz/run.sh DURATION
# Builds the fuzzers (clang, libFuzzer + ASan + UBSan) in build/fuzz and runs each of
# fuzz_config, fuzz_compose and fuzz_appspec (seeded with the samples in tests/fixtures/load)
# and fuzz_kernel (seeded with the /proc and cgroup captures in tests/fixtures/proc,
# tests/fixtures/net and tests/fixtures/memory/oom/files) and fuzz_http (seeded with the
# responses in tests/fixtures/http) for DURATION seconds (the corpus in build/fuzz/corpus grows from run to
# run). STAGEHAND_FUZZ_TARGETS limits the run to some of them.
# Exit 0: nothing found. Exit 1: a fuzzer found a crash, a sanitizer report or an unexpected
# exception; the input is kept in build/fuzz/findings/<target>/ and the log is printed.
# Exit 2: bad usage or the build failed.
set -eu

duration=${1:-}
case "$duration" in
    '' | *[!0-9]*)
        echo "usage: $0 DURATION_SECONDS" >&2
        exit 2
        ;;
esac

src=$(cd "$(dirname "$0")/../.." && pwd)
build=${STAGEHAND_FUZZ_BUILD:-$src/build/fuzz}
targets="${STAGEHAND_FUZZ_TARGETS:-fuzz_config fuzz_compose fuzz_appspec fuzz_kernel fuzz_http}"

if ! CC=clang CXX=clang++ cmake -S "$src" -B "$build" -G Ninja -DSTAGEHAND_FUZZ=ON \
    -DSTAGEHAND_TESTS=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build.cmake.log" 2>&1; then
    cat "$build.cmake.log" >&2
    exit 2
fi
# shellcheck disable=SC2086 # word splitting of the target list is intended
if ! ninja -C "$build" $targets >"$build.ninja.log" 2>&1; then
    tail -50 "$build.ninja.log" >&2
    exit 2
fi

status=0
for target in $targets; do
    corpus=$build/corpus/$target
    findings=$build/findings/$target
    log=$build/$target.log
    mkdir -p "$corpus" "$findings"
    if [ "$target" = fuzz_kernel ]; then
        find "$src/tests/fixtures/proc" "$src/tests/fixtures/net" \
            "$src/tests/fixtures/memory/oom/files" -type f -size -4k |
            while read -r seed; do cp "$seed" "$corpus/seed-$(echo "$seed" | cksum | cut -d' ' -f1)"; done
        dict=
    elif [ "$target" = fuzz_http ]; then
        cp "$src"/tests/fixtures/http/*.txt "$corpus"/
        dict=-dict=$src/tests/fuzz/http.dict
    else
        cp "$src"/tests/fixtures/load/*.yml "$corpus"/
        dict=-dict=$src/tests/fuzz/yaml.dict
    fi
    # shellcheck disable=SC2086 # $dict is empty or one word
    if "$build/tests/fuzz/$target" "$corpus" $dict \
        -max_total_time="$duration" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$findings/" -print_final_stats=1 >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        echo "$target: ok, ${runs:-?} inputs in ${duration}s"
    else
        echo "$target: FINDING (log: $log, input: $findings/)" >&2
        tail -40 "$log" >&2
        status=1
    fi
done
exit $status

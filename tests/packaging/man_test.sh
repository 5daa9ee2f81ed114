#!/usr/bin/env bash
# The man pages render without groff/man warnings, have the sections the docs promise, and
# list every option the executables' --help prints (so they stay in step with cli.cpp).
#   tests/packaging/man_test.sh [--hooks DIR]    (DIR: built executables; optional)
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
man_dir=$src/docs/man
hooks=
[ "${1:-}" = --hooks ] && hooks=${2:?}
# shellcheck source=tests/packaging/checks.sh
source "$(dirname "$0")/checks.sh"

no_warnings() {  # no_warnings PAGE
  local out
  out=$( { groff -man -ww -z "$1"; LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=w -l "$1" >/dev/null; } 2>&1)
  [ -z "$out" ] || { echo "$out" >&2; return 1; }
}

has_sections() {  # has_sections PAGE SECTION...
  local page=$1 section
  shift
  for section in "$@"; do
    grep -q "^\.SH \"\?$section\"\?\$" "$page" || { echo "$page: no section $section" >&2; return 1; }
  done
}

lists_options() {  # lists_options PAGE HOOK: every --option of HOOK --help is in PAGE
  local page=$1 exe=$hooks/$2 option
  for option in $("$exe" --help | grep -oE -- '--[a-z-]+' | sort -u); do
    grep -qF -- "${option//-/\\-}" "$page" ||
      { echo "$page: option $option of $2 --help is not documented" >&2; return 1; }
  done
}

for page in "$man_dir"/*.[15]; do
  check "$(basename "$page") renders without warnings" no_warnings "$page"
done
for hook in before-install after-install validate-service; do
  check "$hook.1 sections" has_sections "$man_dir/$hook.1" NAME SYNOPSIS DESCRIPTION OPTIONS \
    "EXIT STATUS" ENVIRONMENT FILES
  if [ -n "$hooks" ]; then
    check "$hook.1 lists every option of --help" lists_options "$man_dir/$hook.1" "$hook"
  fi
done
check "stagehand-bundle.1 sections" has_sections "$man_dir/stagehand-bundle.1" NAME SYNOPSIS \
  DESCRIPTION OPTIONS "EXIT STATUS"
check "stagehand.yml.5 sections" has_sections "$man_dir/stagehand.yml.5" NAME DESCRIPTION KEYS PROBES
# Every key the loader knows appears in stagehand.yml(5).
keys_documented() {
  local key missing=""
  for key in version compose.file compose.project compose.command state_dir log_dir lock_timeout \
      stage.stop stage.clean stage.files stage.backups stage.prune_images pull.policy \
      pull.parallel pull.retries pull.timeout startup.services startup.gate startup.sleep \
      startup.concurrency startup.memory_source startup.reserve startup.default_need \
      startup.settle startup.psi startup.poll startup.timeout startup.on_timeout \
      startup.per_service validate.timeout validate.interval validate.stable validate.checks; do
    grep -qE "^\.B[RI]? $key( |\.|\$)" "$man_dir/stagehand.yml.5" || missing+=" $key"
  done
  [ -z "$missing" ] || { echo "stagehand.yml.5: undocumented keys:$missing" >&2; return 1; }
}
check "stagehand.yml.5 documents every key" keys_documented
checks_summary

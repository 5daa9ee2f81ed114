# shellcheck shell=bash
# Sourced by tests/packaging/*.sh: counted checks and the file assertions they share. Each
# script ends with `checks_summary` (prints the counts; status 0 when nothing failed).
passed=0
failed=0
check() {  # check DESCRIPTION COMMAND...
  local what=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
  else
    echo "FAIL: $what" >&2
    failed=$((failed + 1))
  fi
}
contains() {  # contains FILE TEXT
  grep -qF -- "$2" "$1" || { echo "--- $1 lacks: $2" >&2; cat "$1" >&2; return 1; }
}
lacks() {  # lacks FILE TEXT
  ! grep -qF -- "$2" "$1" || { echo "--- $1 has: $2" >&2; return 1; }
}
checks_summary() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

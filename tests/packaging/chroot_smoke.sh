#!/usr/bin/env bash
# Portability smoke test: the static executables run unchanged on other Debian releases.
# For each suite, a minbase chroot (debootstrap, cached in /var/cache/stagehand-chroots so
# reruns are fast) runs the hooks of the example revision (examples/randhand): --version and
# --dry-run, found from the executable's path as under the agent. With --deb it also installs
# the Debian package there (dpkg -i), runs it, purges it and checks nothing is left.
# Needs root and, the first time for each suite, the Debian mirror (debootstrap's default,
# or $DEBOOTSTRAP_MIRROR).
#   tests/packaging/chroot_smoke.sh --hooks build/release/bin [--deb FILE]
#                                   [--suites "bullseye trixie"] [--cache DIR]
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
hooks=
deb=
suites="bullseye trixie"
cache=/var/cache/stagehand-chroots
while [ $# -gt 0 ]; do
  case $1 in
    --hooks) hooks=$(cd "${2:?}" && pwd); shift 2 ;;
    --deb) deb=$(readlink -f "${2:?}"); shift 2 ;;
    --suites) suites=${2:?}; shift 2 ;;
    --cache) cache=${2:?}; shift 2 ;;
    *) echo "usage: $0 --hooks DIR [--deb FILE] [--suites LIST] [--cache DIR]" >&2; exit 2 ;;
  esac
done
[ -n "$hooks" ] || { echo "usage: $0 --hooks DIR [--deb FILE] [--suites LIST] [--cache DIR]" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "$0: needs root (chroot, mount)" >&2; exit 2; }
readonly k_hooks=(before-install after-install validate-service)
readonly k_smoke=/tmp/stagehand-smoke  # inside the chroot

# shellcheck source=tests/packaging/checks.sh
source "$(dirname "$0")/checks.sh"
summary=()

# Runs a command inside the chroot with a clean environment, from / (as the agent does).
in_chroot() {  # in_chroot ROOT COMMAND...
  local root=$1
  shift
  env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 chroot "$root" "$@"
}

make_chroot() {  # make_chroot SUITE: $cache/SUITE, made once
  local suite=$1 root=$cache/$1
  if [ -f "$root/etc/debian_version" ]; then
    return 0
  fi
  if ! command -v debootstrap >/dev/null 2>&1; then
    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap
  fi
  mkdir -p "$cache"
  rm -rf "$root.tmp"
  echo "debootstrap $suite (once; cached in $root)" >&2
  # shellcheck disable=SC2086 # no mirror argument: debootstrap's default
  debootstrap --variant=minbase "$suite" "$root.tmp" ${DEBOOTSTRAP_MIRROR:-} > "$cache/$suite.log" 2>&1 ||
    { tail -n 20 "$cache/$suite.log" >&2; return 1; }
  mv "$root.tmp" "$root"
}

mounted=()
cleanup() {
  local m
  for m in "${mounted[@]}"; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
  for suite in $suites; do
    rm -rf "${cache:?}/$suite$k_smoke" "${cache:?}/$suite/tmp/stagehand.deb"
  done
}
trap cleanup EXIT

# Runs COMMAND in the current suite's chroot ($root), showing its output only on failure.
logged() {  # logged COMMAND...
  in_chroot "$root" "$@" > "$tmp_out" 2>&1 || { cat "$tmp_out" >&2; return 1; }
}

smoke_suite() {  # smoke_suite SUITE
  local suite=$1 root=$cache/$1 log tmp_out glibc left code hook
  check "$suite: chroot ready" make_chroot "$suite" || return 0
  [ -f "$root/etc/debian_version" ] || return 0
  # /proc lets the executables find themselves (/proc/self/exe) and read memory figures.
  if ! mountpoint -q "$root/proc"; then
    mount -t proc proc "$root/proc"
    mounted+=("$root/proc")
  fi
  glibc=$(in_chroot "$root" ldd --version 2>/dev/null | head -n 1 | grep -oE '[0-9]+\.[0-9]+$' || echo "?")
  tmp_out=$(mktemp)
  rm -rf "$root$k_smoke"
  mkdir -p "$root$k_smoke/randhand/hooks"
  cp "$src"/examples/randhand/{appspec.yml,docker-compose.yml,stagehand.yml} "$root$k_smoke/randhand/"
  for hook in "${k_hooks[@]}"; do
    install -m 0755 "$hooks/$hook" "$root$k_smoke/randhand/hooks/$hook"
  done
  for hook in "${k_hooks[@]}"; do
    in_chroot "$root" "$k_smoke/randhand/hooks/$hook" --version > "$tmp_out" 2>&1 || true
    check "$suite: $hook --version" contains "$tmp_out" "$hook (stagehand) "
    code=0
    in_chroot "$root" "$k_smoke/randhand/hooks/$hook" --dry-run > "$tmp_out" 2>&1 || code=$?
    check "$suite: $hook --dry-run exits 0 (got $code)" test "$code" -eq 0
    check "$suite: $hook --dry-run found the revision" contains "$tmp_out" "bundle: $k_smoke/randhand"
  done
  # An invalid config is refused the same way there (exit 2).
  printf 'version: 1\nstratup: {}\n' > "$root$k_smoke/bad.yml"
  code=0
  in_chroot "$root" "$k_smoke/randhand/hooks/after-install" --dry-run --config "$k_smoke/bad.yml" \
    > "$tmp_out" 2>&1 || code=$?
  check "$suite: invalid config exits 2 (got $code)" test "$code" -eq 2
  check "$suite: invalid config message" contains "$tmp_out" "did you mean \`startup\`?"
  log="$suite (glibc $glibc): hooks --version/--dry-run ok"

  if [ -n "$deb" ]; then
    cp "$deb" "$root/tmp/stagehand.deb"
    check "$suite: dpkg -i" logged dpkg -i /tmp/stagehand.deb
    in_chroot "$root" /usr/lib/stagehand/after-install --version > "$tmp_out" 2>&1 || true
    check "$suite: installed after-install --version" contains "$tmp_out" "after-install (stagehand) "
    check "$suite: man page installed" test -f "$root/usr/share/man/man5/stagehand.yml.5.gz"
    in_chroot "$root" dpkg -L stagehand > "$tmp_out.files"
    check "$suite: dpkg --purge" logged dpkg --purge stagehand
    left=""
    while IFS= read -r path; do
      if [ -f "$root$path" ] || [ -L "$root$path" ]; then
        left+=" $path"
      fi
    done < "$tmp_out.files"
    check "$suite: nothing left after purge:${left:- ok}" test -z "$left"
    rm -f "$root/tmp/stagehand.deb" "$tmp_out.files"
    log+=", .deb install/run/purge ok"
  fi
  rm -f "$tmp_out"
  rm -rf "$root$k_smoke"
  summary+=("$log")
}

for suite in $suites; do
  smoke_suite "$suite"
done
echo "executables: $(file -L "$hooks/after-install" | sed 's/^[^:]*: //')"
for line in "${summary[@]}"; do
  echo "  $line"
done
checks_summary

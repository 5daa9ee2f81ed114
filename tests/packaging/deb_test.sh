#!/usr/bin/env bash
# The Debian package: builds it with CPack from a static build, checks its metadata and file
# list, installs it (dpkg --root into a scratch root, so this host is not touched; --host
# installs it on this machine for real), runs the executables and the bundle maker from the
# installed tree, then purges it and checks that nothing is left.
#   tests/packaging/deb_test.sh --build-dir build/release [--deb FILE] [--host]
set -euo pipefail
build=
deb=
host=0
while [ $# -gt 0 ]; do
  case $1 in
    --build-dir) build=$(cd "${2:?}" && pwd); shift 2 ;;
    --deb) deb=$(readlink -f "${2:?}"); shift 2 ;;
    --host) host=1; shift ;;
    *) echo "usage: $0 --build-dir DIR [--deb FILE] [--host]" >&2; exit 2 ;;
  esac
done
[ -n "$build" ] || [ -n "$deb" ] || { echo "usage: $0 --build-dir DIR [--deb FILE] [--host]" >&2; exit 2; }
readonly k_hooks=(before-install after-install validate-service)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unset LIFECYCLE_EVENT DEPLOYMENT_ID APPLICATION_NAME
# shellcheck source=tests/packaging/checks.sh
source "$(dirname "$0")/checks.sh"

if [ -z "$deb" ]; then
  cpack -G DEB --config "$build/CPackConfig.cmake" -B "$tmp/pkg" > "$tmp/cpack.log" 2>&1 ||
    { cat "$tmp/cpack.log" >&2; echo "FAIL: cpack" >&2; exit 1; }
  deb=$(find "$tmp/pkg" -maxdepth 1 -name 'stagehand_*.deb' | head -n 1)
fi
check "a .deb was built" test -f "$deb"
[ -f "$deb" ] || exit 1
version=$(dpkg-deb -f "$deb" Version)
arch=$(dpkg-deb -f "$deb" Architecture)
check "file name stagehand_<version>_<arch>.deb" test "$(basename "$deb")" = "stagehand_${version}_${arch}.deb"
check "architecture is this machine's" test "$arch" = "$(dpkg --print-architecture)"
check "no Depends (static executables)" test -z "$(dpkg-deb -f "$deb" Depends)"
check "a description" test -n "$(dpkg-deb -f "$deb" Description)"

dpkg-deb -c "$deb" | awk '{print $1, $2, $6}' > "$tmp/contents"  # mode owner path
expected=(
  "-rwxr-xr-x root/root ./usr/lib/stagehand/before-install"
  "-rwxr-xr-x root/root ./usr/lib/stagehand/after-install"
  "-rwxr-xr-x root/root ./usr/lib/stagehand/validate-service"
  "-rwxr-xr-x root/root ./usr/bin/stagehand-bundle"
  "-rw-r--r-- root/root ./usr/share/man/man1/before-install.1.gz"
  "-rw-r--r-- root/root ./usr/share/man/man1/after-install.1.gz"
  "-rw-r--r-- root/root ./usr/share/man/man1/validate-service.1.gz"
  "-rw-r--r-- root/root ./usr/share/man/man1/stagehand-bundle.1.gz"
  "-rw-r--r-- root/root ./usr/share/man/man5/stagehand.yml.5.gz"
  "-rw-r--r-- root/root ./usr/share/doc/stagehand/examples/stagehand.yml"
  "-rw-r--r-- root/root ./usr/share/doc/stagehand/examples/appspec.yml"
  "-rw-r--r-- root/root ./usr/share/doc/stagehand/examples/github-actions-deploy.yml"
  "-rw-r--r-- root/root ./usr/share/doc/stagehand/INSTALL.md"
  "-rw-r--r-- root/root ./usr/share/stagehand/appspec.yml"
  "-rw-r--r-- root/root ./usr/share/stagehand/stagehand.schema.json"
  "-rw-r--r-- root/root ./usr/lib/systemd/system/stagehand-boot.service"
)
for line in "${expected[@]}"; do
  check "package holds ${line##* } (${line%% *})" grep -qxF -- "$line" "$tmp/contents"
done
check "nothing outside /usr" bash -c "! awk '{print \$3}' '$tmp/contents' | grep -vE '^\./(usr(/.*)?)?\$'"

# --- Install into a scratch root (or this host with --host).
if [ "$host" = 1 ]; then
  if dpkg -s stagehand >/dev/null 2>&1; then
    echo "stagehand is already installed on this host; not touching it" >&2
    exit 1
  fi
  root=
  dpkg_args=()
else
  root=$tmp/root
  mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers"
  touch "$root/var/lib/dpkg/status" "$root/var/lib/dpkg/available"
  # The maintainer scripts run outside the root with DPKG_ROOT set (the scratch root has no
  # shell to chroot into); postinst and postrm honour it.
  dpkg_args=(--root="$root" --log=/dev/null --force-script-chrootless)
fi
quiet() {  # quiet COMMAND...: its output only when it fails
  "$@" > "$tmp/quiet.log" 2>&1 || { cat "$tmp/quiet.log" >&2; return 1; }
}
check "dpkg -i succeeds" quiet dpkg "${dpkg_args[@]}" -i "$deb"
check "dpkg reports it installed" bash -c "dpkg ${dpkg_args[*]} -s stagehand | grep -q '^Status: install ok installed'"
for hook in "${k_hooks[@]}"; do
  "$root/usr/lib/stagehand/$hook" --version > "$tmp/version" 2>&1 || true
  check "installed $hook --version" contains "$tmp/version" "$hook (stagehand) $version "
done
"$root/usr/bin/stagehand-bundle" --version > "$tmp/bversion" 2>&1 || true
check "installed stagehand-bundle --version" contains "$tmp/bversion" "stagehand-bundle (stagehand) $version"
for page in man1/before-install.1 man1/after-install.1 man1/validate-service.1 \
    man1/stagehand-bundle.1 man5/stagehand.yml.5; do
  MANWIDTH=80 man -l "$root/usr/share/man/$page.gz" > "$tmp/page" 2>/dev/null || true
  check "man page $page renders" grep -q "SEE ALSO" "$tmp/page"
done
# The gated boot's unit is enabled as `systemctl enable` would (SPEC section 11).
check "stagehand-boot.service enabled (multi-user.target.wants link)" test \
  "$(readlink "$root/etc/systemd/system/multi-user.target.wants/stagehand-boot.service")" = \
  /usr/lib/systemd/system/stagehand-boot.service
check "the unit runs the installed after-install --boot" \
  grep -qx 'ExecStart=/usr/lib/stagehand/after-install --boot --deadline 25m' \
  "$root/usr/lib/systemd/system/stagehand-boot.service"
# The installed bundle maker finds the installed executables and template by itself.
app=$tmp/app
mkdir "$app"
printf 'services:\n  web:\n    image: nginx:1.25\n' > "$app/compose.yaml"
cp "$root/usr/share/doc/stagehand/examples/stagehand.yml" "$app/stagehand.yml"
code=0
"$root/usr/bin/stagehand-bundle" -q -o "$tmp/out" "$app" > "$tmp/bundle.log" 2>&1 || code=$?
check "installed stagehand-bundle makes a revision (exit $code)" test "$code" -eq 0
check "the revision carries the installed executables" \
  bash -c "tar -xzOf '$tmp/out/app.tar.gz' hooks/after-install | cmp -s - '$root/usr/lib/stagehand/after-install'"
check "the revision has the template appspec.yml" \
  bash -c "tar -tzf '$tmp/out/app.tar.gz' | grep -qx appspec.yml"

# --- Purge: every file the package installed is gone.
dpkg "${dpkg_args[@]}" -L stagehand > "$tmp/files"
check "dpkg --purge succeeds" quiet dpkg "${dpkg_args[@]}" --purge stagehand
check "dpkg no longer knows it" bash -c "! dpkg ${dpkg_args[*]} -s stagehand 2>/dev/null | grep -q '^Status: install ok installed'"
left=""
while IFS= read -r path; do
  if [ -f "$root$path" ] || [ -L "$root$path" ]; then
    left+=" $path"
  fi
done < "$tmp/files"
check "no installed file left:${left:- none}" test -z "$left"
check "/usr/lib/stagehand removed" test ! -e "$root/usr/lib/stagehand"
check "the unit's wants link removed" \
  test ! -L "$root/etc/systemd/system/multi-user.target.wants/stagehand-boot.service"
if [ -n "$root" ]; then
  check "scratch root holds only dpkg's database" \
    test -z "$(find "$root" -mindepth 1 \( -type f -o -type l \) -not -path "$root/var/lib/dpkg/*")"
fi

checks_summary

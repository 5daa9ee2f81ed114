#!/usr/bin/env bash
# Builds the release archive stagehand-<version>-linux-<arch>.tar.gz from a Release build:
# the three static hook executables, the template appspec.yml, an example stagehand.yml, the
# bundle maker, the JSON Schema, and the docs (INSTALL.md, man pages, CI example).
# Refuses executables that are not static, not stripped, or larger than the size limit (3 MiB
# on amd64, where the largest hook is 2.9 MiB; 4 MiB elsewhere, not measured): what ships
# must run unchanged on any x86-64/arm64 Linux host.
#
#   packaging/make-release.sh --bin build/release/bin --out build/release/packages
#
# (the CMake target `release-archive` runs exactly this).
set -euo pipefail

readonly k_hooks=(before-install after-install validate-service)

src=$(cd "$(dirname "$0")/.." && pwd)
bin=
out=
version=
arch=

while [ $# -gt 0 ]; do
  case $1 in
    --bin) bin=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --version) version=${2:?}; shift 2 ;;
    --arch) arch=${2:?}; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "make-release.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ -z "$bin" ] || [ -z "$out" ]; then
  echo "usage: make-release.sh --bin DIR --out DIR [--version V] [--arch A]" >&2
  exit 2
fi

fail() {
  echo "make-release.sh: $*" >&2
  exit 1
}

# The version the executables report ("after-install (stagehand) 0.1.0 commit ...").
reported=$("$bin/after-install" --version) || fail "$bin/after-install --version failed"
[ -n "$version" ] || version=$(echo "$reported" | awk '{print $3}')
case $reported in
  *" $version "*) ;;
  *) fail "the executables report \"$reported\", not version $version" ;;
esac
case $reported in
  *"Release build"*|*"MinSizeRel build"*) ;;
  *) fail "not a Release build: \"$reported\" (configure with -DCMAKE_BUILD_TYPE=Release)" ;;
esac
if [ -z "$arch" ]; then
  case $(uname -m) in
    x86_64) arch=amd64 ;;
    aarch64) arch=arm64 ;;
    *) arch=$(uname -m) ;;
  esac
fi
# README "Building, size and dependencies": after-install is 3,057,856 bytes on amd64.
case $arch in
  amd64) max_mib=3 ;;
  *) max_mib=4 ;;
esac
readonly max_bytes=$((max_mib * 1024 * 1024))

for hook in "${k_hooks[@]}"; do
  exe=$bin/$hook
  [ -x "$exe" ] || fail "$exe is missing or not executable"
  description=$(file -L "$exe")
  case $description in
    *"statically linked"*|*"static-pie linked"*) ;;
    *) fail "$exe is not statically linked: $description" ;;
  esac
  case $description in
    *", stripped"*) ;;
    *) fail "$exe is not stripped: $description" ;;
  esac
  size=$(stat -c %s "$exe")
  [ "$size" -le "$max_bytes" ] || fail "$exe is $size bytes, more than $max_mib MiB"
  "$exe" --version >/dev/null || fail "$exe --version failed"
done

name=stagehand-$version-linux-$arch
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/$name
mkdir -p "$root/hooks" "$root/docs/man" "$root/examples"
for hook in "${k_hooks[@]}"; do
  install -m 0755 "$bin/$hook" "$root/hooks/$hook"
done
(cd "$root/hooks" && sha256sum "${k_hooks[@]}" > ../SHA256SUMS)
install -m 0644 "$src/packaging/appspec.yml" "$root/appspec.yml"
install -m 0644 "$src/packaging/examples/stagehand.yml" "$root/stagehand.yml"
install -m 0644 "$src/packaging/schema/stagehand.schema.json" "$root/stagehand.schema.json"
sed "s/@STAGEHAND_VERSION@/$version/" "$src/packaging/stagehand-bundle" > "$root/stagehand-bundle"
chmod 0755 "$root/stagehand-bundle"
install -m 0644 "$src/packaging/examples/github-actions-deploy.yml" "$root/examples/"
install -m 0644 "$src/docs/INSTALL.md" "$root/docs/INSTALL.md"
install -m 0644 "$src"/docs/man/*.[15] "$root/docs/man/"
if [ -f "$src/README.md" ]; then
  install -m 0644 "$src/README.md" "$root/README.md"
fi

mkdir -p "$out"
archive=$out/$name.tar.gz
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$src" log -1 --format=%ct 2>/dev/null || date +%s)}
tar -C "$work" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" \
  -cf - "$name" | gzip -9n > "$archive.tmp"
mv -f "$archive.tmp" "$archive"
(cd "$out" && sha256sum "$name.tar.gz" > "$name.tar.gz.sha256")
echo "$archive"

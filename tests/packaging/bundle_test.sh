#!/usr/bin/env bash
# Tests of the bundle maker (packaging/stagehand-bundle): it writes .tar.gz and .zip revisions
# with appspec.yml at the root and executable hooks that run from the unpacked revision
# (--version, --dry-run, found without --bundle as under the agent); it refuses invalid
# folders with exit 2 and the hooks' own messages, writing nothing.
#   tests/packaging/bundle_test.sh --hooks build/release/bin
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
maker=$src/packaging/stagehand-bundle
hooks=
[ "${1:-}" = --hooks ] && hooks=$(cd "${2:?}" && pwd)
[ -n "$hooks" ] || { echo "usage: $0 --hooks DIR" >&2; exit 2; }
readonly k_hooks=(before-install after-install validate-service)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unset LIFECYCLE_EVENT DEPLOYMENT_ID APPLICATION_NAME
# shellcheck source=tests/packaging/checks.sh
source "$(dirname "$0")/checks.sh"
run_maker() {  # run_maker NAME ARGS...: exit code in $rc, output in $tmp/NAME.{out,err}
  local name=$1
  shift
  rc=0
  "$maker" --hooks "$hooks" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" || rc=$?
}
no_archives() {  # no_archives DIR
  [ -z "$(ls -A "$1" 2>/dev/null)" ] || { echo "--- $1 not empty:" >&2; ls -l "$1" >&2; return 1; }
}

# --- The reference application: examples/randhand without its hooks, plus noise.
app=$tmp/randhand
mkdir "$app"
cp "$src"/examples/randhand/{appspec.yml,docker-compose.yml,stagehand.yml} "$app/"
mkdir -p "$app/.git" "$app/config"
echo "ref: refs/heads/main" > "$app/.git/HEAD"
echo "debug" > "$app/build.log"
echo "setting=1" > "$app/config/app.properties"
chmod 0664 "$app/stagehand.yml" "$app/config/app.properties"  # as under umask 002

export SOURCE_DATE_EPOCH=1700000000
run_maker good -o "$tmp/out" -n rev --exclude '*.log' "$app"
check "maker succeeds on examples/randhand (exit $rc)" test "$rc" -eq 0
check "both archives written" test -f "$tmp/out/rev.tar.gz" -a -f "$tmp/out/rev.zip"

tar -tvzf "$tmp/out/rev.tar.gz" > "$tmp/tgz.list"
unzip -Z "$tmp/out/rev.zip" | sed '1,2d;$d' > "$tmp/zip.list"  # entries only
for list in "$tmp/tgz.list" "$tmp/zip.list"; do
  kind=$(basename "$list" .list)
  check "$kind: appspec.yml at the root" grep -qE ' appspec\.yml$' "$list"
  check "$kind: no ./ or absolute entries" bash -c "! grep -qE ' (\./|/)[^ ]*\$' '$list'"
  for hook in "${k_hooks[@]}"; do
    check "$kind: hooks/$hook with mode rwxr-xr-x" grep -qE "^-rwxr-xr-x .* hooks/$hook\$" "$list"
  done
  check "$kind: .git left out" lacks "$list" ".git"
  check "$kind: --exclude '*.log' honoured" lacks "$list" "build.log"
  check "$kind: other files kept" grep -qE ' config/app\.properties$' "$list"
  check "$kind: group write bit removed" grep -qE '^-rw-r--r-- .* stagehand\.yml$' "$list"
done
check "tgz: entries owned by root" test "$(awk '{print $2}' "$tmp/tgz.list" | sort -u)" = "0/0"

# Unpack both and run the hooks from the revision, from / and without --bundle (as the
# agent does: the bundle is found from the executable's own path).
mkdir "$tmp/x-tgz" "$tmp/x-zip"
tar -C "$tmp/x-tgz" -xzf "$tmp/out/rev.tar.gz"
(cd "$tmp/x-zip" && unzip -q "$tmp/out/rev.zip")
for kind in tgz zip; do
  root=$tmp/x-$kind
  for hook in "${k_hooks[@]}"; do
    exe=$root/hooks/$hook
    check "$kind: $hook is executable" test -x "$exe"
    check "$kind: $hook is the built executable" cmp -s "$exe" "$hooks/$hook"
    (cd / && "$exe" --version) > "$tmp/v.out" 2>&1 || true
    check "$kind: $hook --version" contains "$tmp/v.out" "$hook (stagehand) "
    code=0
    (cd / && "$exe" --dry-run) > "$tmp/d.out" 2>&1 || code=$?
    check "$kind: $hook --dry-run exits 0 (got $code)" test "$code" -eq 0
    check "$kind: $hook --dry-run found the revision" contains "$tmp/d.out" "bundle: $root"
  done
done
check "after-install plan lists the services" contains "$tmp/d.out" "randhand-kafka-consumer"

# Reproducible: the same folder and SOURCE_DATE_EPOCH give the same .tar.gz.
run_maker again -q -o "$tmp/out2" -n rev -f tgz --exclude '*.log' "$app"
check "second run succeeds" test "$rc" -eq 0
check "tar.gz is reproducible" cmp -s "$tmp/out/rev.tar.gz" "$tmp/out2/rev.tar.gz"
check "-q prints nothing" test ! -s "$tmp/again.out"
check "-f tgz writes no zip" test ! -e "$tmp/out2/rev.zip"

# --- An application folder without appspec.yml gets the template, with --destination.
mini=$tmp/mini
mkdir "$mini"
printf 'services:\n  web:\n    image: nginx:1.25\n' > "$mini/compose.yaml"
printf 'version: 1\nstage:\n  clean: [/srv/mini/current]\n' > "$mini/stagehand.yml"
run_maker mini -o "$tmp/out-mini" --destination /srv/mini/current --stage-dir "$tmp/stage-mini" "$mini"
check "template: maker succeeds (exit $rc)" test "$rc" -eq 0
check "template: archive named after the folder" test -f "$tmp/out-mini/mini.tar.gz"
check "template: appspec.yml written" test -f "$tmp/stage-mini/appspec.yml"
check "template: destination replaced" contains "$tmp/stage-mini/appspec.yml" "destination: /srv/mini/current"
check "template: timeouts kept" contains "$tmp/stage-mini/appspec.yml" "timeout: 1800"
check "--stage-dir: hooks executable" test -x "$tmp/stage-mini/hooks/validate-service"
code=0
(cd / && "$tmp/stage-mini/hooks/validate-service" --dry-run) > "$tmp/vs.out" 2>&1 || code=$?
check "--stage-dir: validate-service --dry-run (exit $code)" test "$code" -eq 0

# --- --installed: wrappers that run the host's executables with --bundle and the deadline.
run_maker installed -f tgz -o "$tmp/out-inst" -n inst --installed "$hooks" "$app"
check "--installed: maker succeeds (exit $rc)" test "$rc" -eq 0
mkdir "$tmp/x-inst"
tar -C "$tmp/x-inst" -xzf "$tmp/out-inst/inst.tar.gz"
check "--installed: wrapper is a small script" test "$(stat -c %s "$tmp/x-inst/hooks/after-install")" -lt 2048
check "--installed: wrapper runs the installed executable" \
  contains "$tmp/x-inst/hooks/after-install" "exec $hooks/after-install --bundle"
# examples/randhand/appspec.yml: AfterInstall timeout 900 s, the others 300 s.
check "--installed: AfterInstall deadline from appspec.yml" \
  contains "$tmp/x-inst/hooks/after-install" "--deadline 14m30s"
check "--installed: ValidateService deadline from appspec.yml" \
  contains "$tmp/x-inst/hooks/validate-service" "--deadline 4m30s"
for hook in "${k_hooks[@]}"; do
  code=0
  (cd / && "$tmp/x-inst/hooks/$hook" --dry-run) > "$tmp/i.out" 2>&1 || code=$?
  check "--installed: $hook wrapper --dry-run (exit $code)" test "$code" -eq 0
  check "--installed: $hook finds the revision" contains "$tmp/i.out" "bundle: $tmp/x-inst"
  check "--installed: $hook gets the deadline" contains "$tmp/i.out" "(--deadline)"
done
run_maker installed-relative --installed usr/lib/stagehand "$app"
check "--installed needs an absolute path" test "$rc" -eq 2

# --- Invalid folders: exit 2, the hooks' messages with the folder's paths, nothing written.
bad_config=$tmp/bad-config
cp -r "$mini" "$bad_config"
printf 'version: 1\nstratup:\n  gate: adaptive\n' > "$bad_config/stagehand.yml"
run_maker bad-config -o "$tmp/out-bad" "$bad_config"
check "bad stagehand.yml: exit 2 (got $rc)" test "$rc" -eq 2
check "bad stagehand.yml: the loader's message" contains "$tmp/bad-config.err" "did you mean \`startup\`?"
check "bad stagehand.yml: names the folder's file" contains "$tmp/bad-config.err" "$bad_config/stagehand.yml:2"
check "bad stagehand.yml: no staging path" lacks "$tmp/bad-config.err" "stagehand-bundle."
check "bad stagehand.yml: nothing written" no_archives "$tmp/out-bad"
# The same message as the hook's own --dry-run on the folder.
"$hooks/after-install" --dry-run --bundle "$bad_config" > /dev/null 2> "$tmp/direct.err" || true
check "bad stagehand.yml: same message as after-install --dry-run" \
  contains "$tmp/bad-config.err" "$(head -n 1 "$tmp/direct.err")"

bad_compose=$tmp/bad-compose
cp -r "$mini" "$bad_compose"
printf 'services:\n  web:\n    image: nginx:1.25\n    depends_on: [db]\n' > "$bad_compose/compose.yaml"
run_maker bad-compose -o "$tmp/out-bad" "$bad_compose"
check "bad compose file: exit 2 (got $rc)" test "$rc" -eq 2
check "bad compose file: names the file" contains "$tmp/bad-compose.err" "$bad_compose/compose.yaml"
check "bad compose file: nothing written" no_archives "$tmp/out-bad"

no_compose=$tmp/no-compose
mkdir "$no_compose"
printf 'version: 1\n' > "$no_compose/stagehand.yml"
run_maker no-compose -o "$tmp/out-bad" "$no_compose"
check "no compose file: exit 2 (got $rc)" test "$rc" -eq 2
check "no compose file: says so" contains "$tmp/no-compose.err" "no compose file"

bad_stage=$tmp/bad-stage
cp -r "$mini" "$bad_stage"
printf 'version: 1\nstage:\n  clean: [/usr/lib]\n' > "$bad_stage/stagehand.yml"
run_maker bad-stage -o "$tmp/out-bad" "$bad_stage"
check "unsafe clean folder (before-install rule): exit 2 (got $rc)" test "$rc" -eq 2
check "unsafe clean folder: names the rule" contains "$tmp/bad-stage.err" "rule "
check "unsafe clean folder: nothing written" no_archives "$tmp/out-bad"

bad_appspec=$tmp/bad-appspec
cp -r "$mini" "$bad_appspec"
sed 's/^os: linux/os: Linux/' "$src/packaging/appspec.yml" > "$bad_appspec/appspec.yml"
run_maker bad-appspec -o "$tmp/out-bad" "$bad_appspec"
check "bad appspec.yml: exit 2 (got $rc)" test "$rc" -eq 2
check "bad appspec.yml: names the file" contains "$tmp/bad-appspec.err" "$bad_appspec/appspec.yml"
check "bad appspec.yml: nothing written" no_archives "$tmp/out-bad"

# --- Usage.
run_maker usage-none
check "no APP_DIR: exit 2" test "$rc" -eq 2
run_maker usage-missing "$tmp/does-not-exist"
check "missing APP_DIR: exit 2" test "$rc" -eq 2
run_maker usage-format -f rar "$mini"
check "bad --format: exit 2" test "$rc" -eq 2
run_maker usage-hooks --hooks "$tmp" "$mini"
check "hooks not found: exit 2" test "$rc" -eq 2
run_maker help --help
check "--help exits 0" test "$rc" -eq 0
check "--help shows usage" contains "$tmp/help.out" "usage: stagehand-bundle"

checks_summary

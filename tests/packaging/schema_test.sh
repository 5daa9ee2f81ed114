#!/usr/bin/env bash
# The JSON Schema of stagehand.yml (packaging/schema/stagehand.schema.json) agrees with the
# hooks' own loader:
#   - every example config (examples/*/stagehand.yml, packaging/examples/stagehand.yml,
#     the SPEC example tests/fixtures/load/stagehand-*.yml, the example in stagehand.yml(5),
#     schema/good/*.yml) is valid for both;
#   - every config in schema/bad/ is rejected by both, the loader with the message its first
#     line names ("# loader: ...");
#   - schema/loader-only/ holds mistakes a schema cannot express (cross-field rules, compose
#     references, regex syntax): only the loader is asked, and it must reject them.
# The loader is `after-install --dry-run --config FILE` (needs --hooks). The schema half runs
# schema/validate.js with ajv and js-yaml from npm: --install fetches ajv-cli (which brings
# both; and Debian's nodejs/npm when missing) into /var/cache/stagehand-npm; without them
# that half is skipped and the script exits 77 (ctest: skipped).
#   tests/packaging/schema_test.sh --hooks build/release/bin [--install]
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
here=$src/tests/packaging/schema
schema=$src/packaging/schema/stagehand.schema.json
npm_cache=/var/cache/stagehand-npm
hooks=
install=0
while [ $# -gt 0 ]; do
  case $1 in
    --hooks) hooks=$(cd "${2:?}" && pwd); shift 2 ;;
    --install) install=1; shift ;;
    *) echo "usage: $0 --hooks DIR [--install]" >&2; exit 2 ;;
  esac
done

# node_modules holding ajv 8 and js-yaml 3 (what ajv-cli 5 brings), for schema/validate.js.
find_modules() {
  local candidate
  for candidate in "${STAGEHAND_NODE_MODULES:-}" "$npm_cache/node_modules"; do
    if [ -n "$candidate" ] && [ -d "$candidate/ajv" ] && [ -d "$candidate/js-yaml" ] &&
      command -v node >/dev/null 2>&1; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}
modules=$(find_modules || true)
if [ -z "$modules" ] && [ "$install" = 1 ]; then
  if ! command -v npm >/dev/null 2>&1; then
    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm
  fi
  mkdir -p "$npm_cache"
  npm install --no-audit --no-fund --prefix "$npm_cache" ajv-cli@5.0.0 >&2
  modules=$(find_modules)
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unset LIFECYCLE_EVENT DEPLOYMENT_ID APPLICATION_NAME
# shellcheck source=tests/packaging/checks.sh
source "$(dirname "$0")/checks.sh"

# A bundle with the fixture compose file (the services the test configs name).
fixture_bundle=$tmp/fixture
mkdir "$fixture_bundle"
cp "$src/tests/fixtures/load/docker-compose.yml" "$fixture_bundle/"

# The example of stagehand.yml(5), un-roffed.
sed -n '/^A 1 GiB host/,/^\.EE/p' "$src/docs/man/stagehand.yml.5" |
  sed -n '/^\.EX/,/^\.EE/p' | sed '1d;$d' |
  sed -e 's/\\-/-/g' -e "s/\\\\(aq/'/g" -e 's/\\(dq/"/g' -e 's/\\e/\\/g' > "$tmp/man-example.yml"
check "the man page example was found" grep -q '^version: 1' "$tmp/man-example.yml"

loader() {  # loader BUNDLE FILE: exit code of after-install --dry-run, stderr in $tmp/loader.err
  local code=0
  "$hooks/after-install" --dry-run --bundle "$1" --config "$2" >/dev/null 2>"$tmp/loader.err" ||
    code=$?
  return "$code"
}
schema_result() {  # schema_result FILE: "valid", "invalid" or "unparsable" (from one batch)
  awk -v file="$1" '{ name = $2; sub(/:$/, "", name); if (name == file) { print $1; exit } }' \
    "$tmp/schema.results"
}
expect_loader_ok() {  # expect_loader_ok BUNDLE FILE
  loader "$1" "$2" || { echo "--- loader rejects $2:" >&2; cat "$tmp/loader.err" >&2; return 1; }
}
expect_loader_rejects() {  # expect_loader_rejects FILE: exit 2 with the "# loader:" message
  local code=0 want
  want=$(sed -n '1s/^# loader: //p' "$1")
  loader "$fixture_bundle" "$1" || code=$?
  [ "$code" -eq 2 ] || { echo "--- loader exit $code for $1" >&2; cat "$tmp/loader.err" >&2; return 1; }
  if [ -z "$want" ] || ! grep -qF -- "$want" "$tmp/loader.err"; then
    echo "--- loader message for $1 lacks \"$want\":" >&2
    cat "$tmp/loader.err" >&2
    return 1
  fi
}
expect_schema_ok() {  # expect_schema_ok FILE
  [ "$(schema_result "$1")" = valid ] ||
    { echo "--- schema: $(grep -F -- " $1" "$tmp/schema.results")" >&2; return 1; }
}
expect_schema_rejects() {  # expect_schema_rejects FILE (a YAML error counts: editors flag it)
  case $(schema_result "$1") in
    invalid|unparsable) ;;
    *) echo "--- schema accepts $1" >&2; return 1 ;;
  esac
}

# Valid: (file, bundle whose compose file it refers to).
good=(
  "$src/examples/randhand/stagehand.yml:$src/examples/randhand"
  "$src/packaging/examples/stagehand.yml:$fixture_bundle"
  "$src/tests/fixtures/load/stagehand-full.yml:$fixture_bundle"
  "$src/tests/fixtures/load/stagehand-minimal.yml:$fixture_bundle"
  "$tmp/man-example.yml:$fixture_bundle"
)
for example in "$src"/examples/*/stagehand.yml; do
  case " ${good[*]} " in *" $example:"*) ;; *) good+=("$example:$(dirname "$example")") ;; esac
done
for file in "$here"/good/*.yml; do
  good+=("$file:$fixture_bundle")
done

if [ -n "$modules" ]; then
  all=()
  for entry in "${good[@]}"; do all+=("${entry%%:*}"); done
  all+=("$here"/bad/*.yml)
  NODE_PATH=$modules node "$here/validate.js" "$schema" "${all[@]}" > "$tmp/schema.results" ||
    { echo "FAIL: the schema does not compile (strict mode)" >&2; failed=$((failed + 1)); }
fi
for entry in "${good[@]}"; do
  file=${entry%%:*}
  bundle=${entry#*:}
  label=${file#"$src"/}
  [ -n "$hooks" ] && check "loader accepts $label" expect_loader_ok "$bundle" "$file"
  [ -n "$modules" ] && check "schema accepts $label" expect_schema_ok "$file"
done
for file in "$here"/bad/*.yml; do
  label=bad/$(basename "$file")
  [ -n "$hooks" ] && check "loader rejects $label" expect_loader_rejects "$file"
  [ -n "$modules" ] && check "schema rejects $label" expect_schema_rejects "$file"
done
if [ -n "$hooks" ]; then
  for file in "$here"/loader-only/*.yml; do
    check "loader rejects loader-only/$(basename "$file")" expect_loader_rejects "$file"
  done
fi

checks_summary || exit 1
if [ -z "$modules" ]; then
  echo "SKIP: ajv-cli is not installed; run with --install for the schema half" >&2
  exit 77
fi

#!/usr/bin/env bash
# Installs what building stagehand and running its local world need, from Debian's archive only.
# Idempotent: apt runs only when a package is missing; compose v2 is fetched only when absent.
#   build:  cmake ninja g++ clang clang-format + the -dev packages the CMake files look for,
#           libclang-rt-14-dev (libFuzzer's runtime, only a Recommends of clang)
#   world:  docker.io (daemon 20.10), docker-compose (v1), docker-registry, busybox-static
#   credentials tests: apache2-utils (htpasswd -B, bcrypt), amazon-ecr-credential-helper
#   vm:     qemu-system-x86, qemu-utils, debootstrap, zstd (rig/vm.sh's guest image and QEMU)
#   compose v2: the CLI plugin binary from trixie's docker-compose package (2.26), installed
#               as /usr/local/lib/docker/cli-plugins/docker-compose; the system's apt state
#               and bookworm's v1 /usr/bin/docker-compose are left as they are.
set -euo pipefail

readonly k_packages=(cmake ninja-build g++ clang clang-format libclang-rt-14-dev
  libyaml-cpp-dev libboost-dev
  libspdlog-dev libfmt-dev libproc2-dev nlohmann-json3-dev libc-ares-dev libgtest-dev file
  docker.io docker-compose docker-registry busybox-static curl ca-certificates
  zip unzip groff-base man-db python3  # packaging tests (bundles, man pages), bench summary
  jq time                              # bench: JSON figures, peak RSS
  apache2-utils                        # htpasswd -B: bcrypt, the only hash docker-registry takes
  amazon-ecr-credential-helper         # docker-credential-ecr-login, for the credentials tests
  qemu-system-x86 qemu-utils debootstrap zstd e2fsprogs perl)  # the t2.micro VM (rig/vm.sh)
readonly k_plugin_dir=/usr/local/lib/docker/cli-plugins
readonly k_plugin=${k_plugin_dir}/docker-compose
readonly k_trixie_mirror=${STAGEHAND_TRIXIE_MIRROR:-http://deb.debian.org/debian}

log() { printf 'install-deps: %s\n' "$*"; }
die() { printf 'install-deps: error: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root (apt-get, /usr/local)"

missing_packages() {
  local p
  for p in "${k_packages[@]}"; do
    # dpkg-query prints "install ok installed" only for a fully installed package.
    if [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) != "install ok installed" ]]; then
      printf '%s\n' "$p"
    fi
  done
}

install_packages() {
  local missing
  mapfile -t missing < <(missing_packages)
  if ((${#missing[@]} == 0)); then
    log "Debian packages: all present"
    return
  fi
  log "installing: ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# A private apt configuration (own sources list, lists, cache) so that looking at trixie never
# touches /etc/apt or /var/lib/apt/lists: bookworm stays the only release the system knows.
install_compose_v2() {
  if [[ -x $k_plugin ]] && "$k_plugin" version >/dev/null 2>&1; then
    log "compose v2 plugin: present ($("$k_plugin" version --short 2>/dev/null))"
    return
  fi
  local tmp
  tmp=$(mktemp -d /tmp/stagehand-compose-v2.XXXXXX)
  # shellcheck disable=SC2064 # expand now: the folder name is fixed
  trap "rm -rf '$tmp'" RETURN
  chmod 0755 "$tmp"
  mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/etc/preferences.d" \
    "$tmp/etc/sources.list.d" "$tmp/dl"
  printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s trixie main\n' \
    "$k_trixie_mirror" >"$tmp/etc/sources.list"
  local apt_opts=(
    -o "Dir::Etc::sourcelist=$tmp/etc/sources.list"
    -o "Dir::Etc::sourceparts=$tmp/etc/sources.list.d"
    -o "Dir::Etc::preferencesparts=$tmp/etc/preferences.d"
    -o "Dir::State::Lists=$tmp/lists"
    -o "Dir::State::status=/var/lib/dpkg/status"
    -o "Dir::Cache=$tmp/cache"
    -o "Dir::Cache::archives=$tmp/cache/archives"
    -o "APT::Get::List-Cleanup=0"
    -o "Debug::NoLocking=1"
    -o "APT::Sandbox::User=root"
  )
  log "fetching compose v2 from trixie's docker-compose package"
  apt-get "${apt_opts[@]}" update -q >"$tmp/update.log" 2>&1 ||
    { cat "$tmp/update.log" >&2; die "apt-get update of the trixie list failed"; }
  (cd "$tmp/dl" && apt-get "${apt_opts[@]}" download docker-compose/trixie) ||
    die "apt-get download docker-compose/trixie failed"
  local deb
  deb=$(find "$tmp/dl" -name 'docker-compose_*.deb' | head -n1)
  [[ -n $deb ]] || die "no docker-compose .deb downloaded"
  dpkg-deb -x "$deb" "$tmp/root"
  local bin
  bin=$(find "$tmp/root" -type f -path '*cli-plugins/docker-compose' | head -n1)
  [[ -n $bin ]] || die "$(basename "$deb") holds no cli-plugins/docker-compose binary"
  install -D -m 0755 "$bin" "$k_plugin"
  log "installed $k_plugin ($("$k_plugin" version --short))"
}

verify() {
  docker compose version >/dev/null 2>&1 ||
    die "'docker compose version' fails (plugin at $k_plugin?)"
  docker-compose version >/dev/null 2>&1 || die "'docker-compose version' (v1) fails"
  log "docker compose: $(docker compose version --short 2>/dev/null);" \
    "docker-compose: $(docker-compose version --short 2>/dev/null)"
}

install_packages
install_compose_v2
verify

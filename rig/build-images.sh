#!/usr/bin/env bash
# Builds the stand-in image (FROM scratch: static busybox as /bin/busybox + /bin/sh, the static
# standin at /standin, an empty /tmp) and pushes it to the local registry once per reference
# service, so a revision can change one service's image tag on its own:
#   127.0.0.1:5000/randhand/<service>:1   label org.stagehand.image-version=1
#   127.0.0.1:5000/randhand/<service>:2   same files, label 2 (a different image ID)
# Usage: rig/build-images.sh [path/to/standin]   (default build/release/tests/standin/standin)
# Fast when already pushed: a content key (standin + busybox + this script) is recorded with
# the pushed digests in $STAGEHAND_RIG_VAR/images.key; nothing is rebuilt while it matches
# and the registry still serves every manifest with that digest.
set -euo pipefail
cd "$(dirname "$0")/.."

readonly k_registry=${STAGEHAND_REGISTRY:-127.0.0.1:5000}
readonly k_var=${STAGEHAND_RIG_VAR:-/var/lib/stagehand-rig}
readonly k_stamp=$k_var/images.key
readonly k_services=(rabbitmq config-service eureka-server gateway-service zookeeper kafka
  chat-service gesture-service randhand-kafka-consumer)
readonly k_tags=(1 2)
readonly k_manifest_type=application/vnd.docker.distribution.manifest.v2+json
# The legacy builder: Debian's 20.10 daemon and client have no buildx; same on newer clients.
export DOCKER_BUILDKIT=0

log() { printf 'build-images: %s\n' "$*"; }
die() { printf 'build-images: error: %s\n' "$*" >&2; exit 1; }

standin=${1:-build/release/tests/standin/standin}
busybox=/bin/busybox
[[ -x $standin ]] || die "standin binary not found: $standin (build it first)"
[[ -x $busybox ]] || die "$busybox not found: apt-get install busybox-static"
# A FROM scratch image has no libc: both binaries must be static.
for bin in "$standin" "$busybox"; do
  file -L "$bin" | grep -q 'statically linked' || die "$bin is not statically linked"
done
curl -fsS --max-time 5 -o /dev/null "http://$k_registry/v2/" ||
  die "no registry answers on $k_registry (rig/world.sh up)"

key=$(cat "$standin" "$busybox" "$0" | sha256sum | cut -d' ' -f1)

# Prints the digest the registry serves for repo:tag, or nothing.
remote_digest() {
  curl -fsS --max-time 5 -I -H "Accept: $k_manifest_type" \
    "http://$k_registry/v2/randhand/$1/manifests/$2" 2>/dev/null |
    tr -d '\r' | awk -F': ' 'tolower($1) == "docker-content-digest" {print $2}'
}

already_pushed() {
  [[ -f $k_stamp ]] || return 1
  [[ $(head -n1 "$k_stamp") == "$key" ]] || return 1
  local svc tag want
  for svc in "${k_services[@]}"; do
    for tag in "${k_tags[@]}"; do
      want=$(awk -v r="randhand/$svc:$tag" '$1 == r {print $2}' "$k_stamp")
      [[ -n $want && $(remote_digest "$svc" "$tag") == "$want" ]] || return 1
    done
  done
}

if already_pushed; then
  log "up to date in $k_registry (key ${key:0:12}): nothing to do"
  exit 0
fi

ctx=$(mktemp -d /tmp/stagehand-images.XXXXXX)
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/rootfs/bin" "$ctx/rootfs/tmp"
chmod 1777 "$ctx/rootfs/tmp"
cp "$busybox" "$ctx/rootfs/bin/busybox"
ln -s busybox "$ctx/rootfs/bin/sh"
cp "$standin" "$ctx/rootfs/standin"
chmod 0755 "$ctx/rootfs/standin" "$ctx/rootfs/bin/busybox"
cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM scratch
COPY rootfs/ /
ARG VERSION=1
LABEL org.stagehand.image-version=\$VERSION org.stagehand.content-key=$key
ENTRYPOINT ["/standin"]
DOCKERFILE

base=stagehand/standin
for tag in "${k_tags[@]}"; do
  log "building $base:$tag"
  # The legacy builder warns that it is deprecated on newer clients: show output only on failure.
  docker build -q --build-arg "VERSION=$tag" -t "$base:$tag" "$ctx" >"$ctx/build.log" 2>&1 ||
    { cat "$ctx/build.log" >&2; die "docker build of $base:$tag failed"; }
done

: >"$ctx/stamp"
printf '%s\n' "$key" >>"$ctx/stamp"
for svc in "${k_services[@]}"; do
  for tag in "${k_tags[@]}"; do
    ref=$k_registry/randhand/$svc:$tag
    docker tag "$base:$tag" "$ref"
    docker push -q "$ref" >/dev/null || die "docker push $ref failed"
    printf 'randhand/%s:%s %s\n' "$svc" "$tag" "$(remote_digest "$svc" "$tag")" >>"$ctx/stamp"
  done
  log "pushed $k_registry/randhand/$svc:{${k_tags[*]}}"
done
mkdir -p "$k_var"
install -m 0644 "$ctx/stamp" "$k_stamp"
log "done (key ${key:0:12})"

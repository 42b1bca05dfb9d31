#!/usr/bin/env bash
# docker-compose.yml on a machine with no container registry. Nothing can be pulled, so
# this script makes what compose would pull: a debian:bookworm-slim base (debootstrap
# from the mirror apt uses here), and stand-ins for Redis, PostgreSQL and its exporter,
# Prometheus and MinIO built on it from Debian packages and the host's s3rver
# (deploy/offline/). Then it runs the
# unchanged docker-compose.yml with deploy/offline/docker-compose.offline.yml on top.
#
#   scripts/compose-offline.sh up        daemon, images, stack up and healthy
#   scripts/compose-offline.sh smoke     up, then the checks of deploy/offline/smoke.sh, then down
#   scripts/compose-offline.sh down      stack down with its volumes; stops a daemon it started
#   scripts/compose-offline.sh images    only the base and stand-in images
#
# Docker: when no daemon answers, one is started (Debian's dockerd, as root) with its
# data under $SCALELAB_COMPOSE_DIR (default build/compose-offline) and the fixed address
# pools below; `down` and `smoke` stop it again. Clients: Debian's /usr/bin/docker
# (20.10, BuildKit on) and docker-compose 1.29. Compose's network is 172.31.250.0/24,
# a daemon started here uses 172.30.0.1/24 for its bridge and 172.31.0.0/16 for networks.
set -euo pipefail
cd "$(dirname "$0")/.."

state_dir=${SCALELAB_COMPOSE_DIR:-build/compose-offline}
mkdir -p "$state_dir"
state_dir=$(cd "$state_dir" && pwd)
# Debian's docker client first: a newer one elsewhere on PATH refuses BuildKit without buildx.
export PATH=/usr/bin:/usr/sbin:$PATH DOCKER_BUILDKIT=1 COMPOSE_DOCKER_CLI_BUILD=1
# The project is compose's default, the folder's name, so that the commands of
# COMPOSE.md typed by hand reach the same stack; the smoke runs as a project of its
# own, so it never takes down a stack of yours.
default_project=$(basename "$PWD" | tr '[:upper:]' '[:lower:]' | tr -cd 'a-z0-9_-')
[ "${1:-}" = smoke ] && default_project=scalelab-smoke
export COMPOSE_PROJECT_NAME=${COMPOSE_PROJECT_NAME:-$default_project}
compose=(docker-compose -f docker-compose.yml -f deploy/offline/docker-compose.offline.yml)

say() { echo "compose-offline: $*"; }
die() { echo "compose-offline: $*" >&2; exit 1; }

start_daemon() {
  docker info >/dev/null 2>&1 && return 0
  command -v dockerd >/dev/null || die "no Docker daemon answers and dockerd is missing (apt-get install docker.io)"
  [ "$(id -u)" -eq 0 ] || die "no Docker daemon answers; starting one needs root"
  say "starting dockerd (data in $state_dir/docker, log $state_dir/dockerd.log)"
  dockerd --data-root "$state_dir/docker" --pidfile "$state_dir/dockerd.pid" \
    --bip 172.30.0.1/24 --default-address-pool base=172.31.0.0/16,size=24 \
    >"$state_dir/dockerd.log" 2>&1 &
  echo $! >"$state_dir/dockerd.started"
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  tail -5 "$state_dir/dockerd.log" >&2
  die "dockerd did not answer within 30 s"
}

stop_daemon() {
  [ -f "$state_dir/dockerd.started" ] || return 0
  local pid
  pid=$(cat "$state_dir/dockerd.started")
  say "stopping the dockerd this script started (pid $pid)"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  rm -f "$state_dir/dockerd.started"
}

base_image() {
  docker image inspect debian:bookworm-slim >/dev/null 2>&1 && return 0
  command -v debootstrap >/dev/null || die "debian:bookworm-slim is missing and so is debootstrap (apt-get install debootstrap)"
  local mirror root
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$mirror" ] || mirror=$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  [ -n "$mirror" ] || die "cannot tell which Debian mirror apt uses here"
  root=$(mktemp -d "$state_dir/base.XXXX")
  say "making debian:bookworm-slim with debootstrap from $mirror (about a minute)"
  if ! debootstrap --variant=minbase bookworm "$root" "$mirror" >"$state_dir/debootstrap.log" 2>&1; then
    rm -rf "$root"
    die "debootstrap failed (log: $state_dir/debootstrap.log)"
  fi
  # What a slim image leaves out: documentation, manuals, translations, apt's caches.
  rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/* \
    "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
  tar -C "$root" -c . | docker import --change 'CMD ["bash"]' - debian:bookworm-slim >/dev/null
  rm -rf "$root"
}

standin_images() {
  local name
  for name in redis postgres postgres-exporter prometheus; do
    say "image scalelab-offline/$name:bookworm"
    docker build -q -t "scalelab-offline/$name:bookworm" -f "deploy/offline/$name.Dockerfile" deploy/offline >/dev/null
  done
  [ -x node_modules/.bin/s3rver ] || die "node_modules/.bin/s3rver is missing: run scripts/setup.sh (npm ci) first"
  # s3rver and its dependencies from the host; playwright-core is the browser test's.
  local context="$state_dir/s3rver-context"
  rm -rf "$context"
  mkdir -p "$context/node_modules"
  cp -a node_modules/. "$context/node_modules/"
  rm -rf "$context/node_modules/playwright-core"
  cp deploy/offline/s3rver-ready.js "$context/"
  say "image scalelab-offline/s3rver:bookworm"
  docker build -q -t scalelab-offline/s3rver:bookworm -f deploy/offline/s3rver.Dockerfile "$context" >/dev/null
}

images() {
  start_daemon
  base_image
  standin_images
}

up() {
  images
  say "building scalelab:local and starting the stack"
  local started=$SECONDS
  "${compose[@]}" build >"$state_dir/build.log" 2>&1 || { tail -30 "$state_dir/build.log" >&2; die "image build failed (log: $state_dir/build.log)"; }
  say "images built in $((SECONDS - started)) s"
  started=$SECONDS
  # compose 1.29 has no --wait: the balancer's health check gates on every replica's.
  "${compose[@]}" up -d >"$state_dir/up.log" 2>&1 || { tail -30 "$state_dir/up.log" >&2; die "up failed (log: $state_dir/up.log)"; }
  wait_healthy balancer 90
  say "stack healthy $((SECONDS - started)) s after up; the service is at http://127.0.0.1:8080/"
}

# Waits until every container of `service` reports healthy.
wait_healthy() {
  local service=$1 seconds=$2 ids id state all
  for _ in $(seq 1 "$seconds"); do
    ids=$("${compose[@]}" ps -q "$service")
    all=yes
    for id in $ids; do
      state=$(docker inspect -f '{{.State.Health.Status}}' "$id" 2>/dev/null || echo missing)
      [ "$state" = healthy ] || all=no
    done
    [ -n "$ids" ] && [ "$all" = yes ] && return 0
    sleep 1
  done
  "${compose[@]}" ps >&2
  die "$service not healthy within $seconds s"
}

down() {
  local left=""
  if docker info >/dev/null 2>&1; then
    "${compose[@]}" --profile load --profile grafana down -v --remove-orphans >"$state_dir/down.log" 2>&1 \
      || { tail -20 "$state_dir/down.log" >&2; die "down failed (log: $state_dir/down.log)"; }
    # down -v must leave nothing of the project behind.
    local label="label=com.docker.compose.project=$COMPOSE_PROJECT_NAME"
    left="$(docker ps -aq --filter "$label")$(docker volume ls -q --filter "$label")$(docker network ls -q --filter "$label")"
  fi
  stop_daemon
  [ -z "$left" ] || die "down -v left containers, volumes or networks of project $COMPOSE_PROJECT_NAME behind"
  say "down: no container, volume or network of project $COMPOSE_PROJECT_NAME left"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  images) images ;;
  smoke)
    trap down EXIT
    up
    COMPOSE="${compose[*]}" bash deploy/offline/smoke.sh
    ;;
  -h|--help) sed -n '2,18p' "$0" ;;
  *) echo "compose-offline: usage: scripts/compose-offline.sh up|down|smoke|images (see --help)" >&2; exit 2 ;;
esac

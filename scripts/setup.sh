#!/usr/bin/env bash
# One idempotent setup step for a Debian 12 machine: installs the Debian packages that
# are missing (with sudo when not root), installs s3rver from the committed lockfile,
# then configures and builds. Run it as often as you like; it only does what is missing.
#
#   scripts/setup.sh [--test]      --test also installs what the test suite needs
#
# Environment: BUILD_DIR (default build), CI=true turns warnings into errors.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=run
for arg in "$@"; do
  case "$arg" in
    --test) profile=test ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

packages=(
  # build
  cmake ninja-build g++ pkg-config git ca-certificates
  libboost-dev libboost-context-dev libhiredis-dev libcpp-httplib-dev prometheus-cpp-dev nlohmann-json3-dev
  libssl-dev libgtest-dev libyaml-cpp-dev libcli11-dev libpq-dev
  # what the lab runs
  redis-server redis-tools nodejs procps curl postgresql-15 pgbouncer
)
if [ "$profile" = test ]; then
  # network namespaces for DNS-discovery tests; Debian's Chromium for the console's
  # browser test (driven by playwright-core from package-lock.json, which never
  # downloads a browser of its own)
  packages+=(iproute2 chromium)
  # promtool (in Debian's prometheus package) and docker-compose validate deploy/;
  # Docker and debootstrap run the compose stack without a registry (CI's compose
  # stage, scripts/compose-offline.sh)
  packages+=(prometheus docker-compose docker.io debootstrap)
  # PostgreSQL's exporter: tests/deploy checks the dashboard's and alerts' pg_* names
  # against its live /metrics (compose and Kubernetes run its upstream image)
  packages+=(prometheus-postgres-exporter)
  # the anchors the adversarial suite runs every case against (tests/adversarial)
  packages+=(haproxy nginx-light)
  # clang with libFuzzer for the fuzz targets (CI runs each for a minute)
  packages+=(clang libclang-rt-14-dev)
fi
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q >/dev/null
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

# s3rver and playwright-core, pinned by package-lock.json. npm ci wipes node_modules,
# so skip it when the installed tree already matches the lockfile.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] \
   || [ ! -x node_modules/.bin/s3rver ] || [ ! -f node_modules/playwright-core/package.json ]; then
  echo "setup: npm ci (s3rver, playwright-core)"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi

build_dir=${BUILD_DIR:-build}
cmake_args=(-G Ninja -DCMAKE_BUILD_TYPE=Release)
[ "${CI:-}" = true ] && cmake_args+=(-DSCALELAB_WERROR=ON)
if [ ! -f "$build_dir/build.ninja" ]; then
  cmake -S . -B "$build_dir" "${cmake_args[@]}" >/dev/null
fi
echo "setup: building in $build_dir"
cmake --build "$build_dir"

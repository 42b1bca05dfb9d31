#!/usr/bin/env bash
# The README's test command: sets everything up, builds, and runs every test (unit and
# integration, against real redis-server, s3rver and scalelab processes on loopback).
#   scripts/test.sh [ctest arguments...]     e.g. scripts/test.sh -L unit
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
build_dir=${BUILD_DIR:-build}
exec ctest --test-dir "$build_dir" --output-on-failure -j"$(nproc)" "$@"

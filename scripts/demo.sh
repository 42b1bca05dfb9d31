#!/usr/bin/env bash
# The README's first command: sets everything up, builds, then runs the main job,
# `scalelab demo`: the same chaos against shared state, local state, and local state
# behind sticky sessions, side by side, with a combined HTML report.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
build_dir=${BUILD_DIR:-build}
exec "$build_dir/bin/scalelab" demo "$@"

#!/usr/bin/env bash
# The README's first command: sets everything up, builds, then runs the main job.
# Until the lab's demo lands, the main job is the store smoke check: a real Redis and
# a real s3rver on free ports, a session and a blob round-tripped, both stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
build_dir=${BUILD_DIR:-build}
exec "$build_dir/bin/scalelab-store-smoke"

#!/usr/bin/env bash
# bench/app/callgrind.sh: instructions and heap allocations per request of scalelab-app,
# counted by callgrind over a fixed number of keep-alive GETs (bench/fixed_load.py),
# per concurrency model and state mode, and side by side with another build
# (--baseline). Unlike req/s and CPU time on this shared 2-core machine, the counts do
# not move with the neighbours' load: they are the figures to compare a change by. They
# cover user space only; run.sh's CPU us/req includes the kernel's work.
#
#   bench/app/callgrind.sh [--requests N] [--connections N] [--models "pool event-loop"]
#                          [--modes "local shared"] [--path /api/me] [--baseline DIR]
#                          [--keep DIR]
# --keep DIR copies each callgrind dump to DIR/VARIANT-MODE.cg, for callgrind_annotate.
#
# One Redis for every instance (shared mode's), each instance with a session of its own
# (POST /api/login), the session cookie on every request. Counting starts after a
# warm-up of 2000 requests and stops after the last answer.
#
# Needs: valgrind, redis-server, curl, python3, and a built scalelab-app.
set -euo pipefail
cd "$(dirname "$0")/../.."
requests=5000 connections=16 models="pool event-loop" modes="local shared" path=/api/me baseline="" keep=""
while [ $# -gt 0 ]; do
  case "$1" in
    --requests) requests=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --models) models=$2; shift 2 ;;
    --modes) modes=$2; shift 2 ;;
    --path) path=$2; shift 2 ;;
    --baseline) baseline=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "callgrind.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
for tool in valgrind callgrind_control redis-server curl python3; do
  command -v $tool >/dev/null || { echo "callgrind.sh: '$tool' is not installed" >&2; exit 2; }
done
app=build/bin/scalelab-app
[ -x "$app" ] || { echo "callgrind.sh: build first (scripts/setup.sh)" >&2; exit 2; }
if [ -n "$baseline" ]; then
  [ -x "$baseline/bin/scalelab-app" ] || { echo "callgrind.sh: no scalelab-app in '$baseline'" >&2; exit 2; }
fi

source bench/lib.sh
work=$(mktemp -d /tmp/scalelab-bench-app-callgrind.XXXX)
pids=()
cleanup() { exec 2>/dev/null; for p in "${pids[@]}"; do kill -9 "$p" || true; done; wait; rm -rf "$work"; }
trap cleanup EXIT

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" --loglevel warning \
  >"$work/redis.log" 2>&1 &
pids+=($!)
wait_port "$redis_port"

echo "scalelab-app under callgrind: $requests GETs of $path over $connections connections, after 2000 to warm up"
for model in $models; do
  for variant in "$model" ${baseline:+"$model@baseline"}; do
    binary=$app
    [ "$variant" = "$model" ] || binary=$baseline/bin/scalelab-app
    for mode in $modes; do
      port=$(free_port)
      dump=$work/$variant-$mode.cg
      env $(bench_app_env "bench-$mode" "$port" "$work/$variant-$mode") SCALELAB_STATE=$mode \
        SCALELAB_APP_MODEL=$model SCALELAB_REDIS_URL=redis://127.0.0.1:$redis_port \
        valgrind --tool=callgrind --dump-instr=no --collect-jumps=no --callgrind-out-file="$dump" "$binary" \
        >"$work/app-$variant-$mode.log" 2>&1 &
      pid=$!
      pids+=($pid)
      wait_port "$port" || { echo "callgrind.sh: the $variant app did not start" >&2; exit 1; }
      cookie=$(session_cookie "$port")
      [ -n "$cookie" ] || { echo "callgrind.sh: no session from the $variant app" >&2; exit 1; }
      callgrind_count "$variant $mode" "$port" "$pid" "$dump" "$requests" "$connections" \
        --path "$path" --header "Cookie: $cookie"
      [ -z "$keep" ] || { mkdir -p "$keep" && cp "$dump.1" "$keep/$variant-$mode.cg"; }
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    done
  done
done

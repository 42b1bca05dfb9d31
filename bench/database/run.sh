#!/usr/bin/env bash
# bench/database/run.sh: what pgbouncer costs a request, side by side in one run. Two
# scalelab-app instances share one Redis and one PostgreSQL 15 (a lab's, from `scalelab
# up --db-pooler pgbouncer`): one connects to PostgreSQL directly, the other through
# pgbouncer in transaction pooling. Two routes, with wrk on loopback:
#  - GET /api/items/1 with Cache-Control: no-cache: a catalog read from the database
#    (the cache-miss path) and the cache refill;
#  - checkout (bench/database/checkout.lua): one shopper per connection alternating a
#    cart add and POST /api/checkout, so half the requests are order transactions.
# Rounds alternate direct and pooled so machine noise hits both; the figures are
# medians and the ratio pgbouncer/direct.
#
#   bench/database/run.sh [--duration S] [--rounds N] [--connections C]
# The apps run pinned to CPU 0; wrk, PostgreSQL and pgbouncer share CPU 1 with the rest.
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=5 rounds=3 connections=8
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
for tool in wrk psql taskset curl; do
  command -v $tool >/dev/null || { echo "run.sh: $tool is missing (apt-get install wrk postgresql-client util-linux curl)" >&2; exit 2; }
done
app=build/bin/scalelab-app scalelab=build/bin/scalelab
[ -x "$app" ] && [ -x "$scalelab" ] || { echo "run.sh: build first (scripts/setup.sh)" >&2; exit 2; }

work=$(mktemp -d /tmp/scalelab-bench-db.XXXX)
pids=()
base=$(( 30000 + RANDOM % 20000 ))
cleanup() {
  exec 2>/dev/null
  for p in "${pids[@]}"; do kill -9 "$p" || true; done
  "$scalelab" --dir "$work/lab" down >/dev/null || true
  wait; rm -rf "$work"
}
trap cleanup EXIT
source bench/lib.sh
wait_ready() { for _ in $(seq 200); do curl -sf "http://127.0.0.1:$1/readyz" >/dev/null && return 0; sleep 0.1; done; return 1; }

# A lab wants a run of ports from its base: try a few random bases.
for attempt in 1 2 3 4 5; do
  SCALELAB_BASE_PORT=$base "$scalelab" --dir "$work/lab" up --instances 1 --db-pooler pgbouncer >"$work/up.log" 2>&1 && break
  [ "$attempt" = 5 ] && { cat "$work/up.log" >&2; exit 1; }
  base=$(( 30000 + RANDOM % 20000 ))
done
redis=redis://127.0.0.1:$((base + 3))
declare -A url=([direct]="postgresql://scalelab_app@127.0.0.1:$((base + 9))/scalelab"
                [pgbouncer]="postgresql://scalelab_app@127.0.0.1:$((base + 10))/scalelab")
declare -A port pid
for via in direct pgbouncer; do
  port[$via]=$(free_port)
  env $(bench_app_env "bench-$via" "${port[$via]}" "$work/$via") SCALELAB_REDIS_URL=$redis \
    SCALELAB_DATABASE_URL=${url[$via]} SCALELAB_STATE_UPLOADS=local SCALELAB_DB_POOL=$connections \
    taskset -c 0 "$app" >"$work/app-$via.log" 2>&1 &
  pid[$via]=$!
  pids+=($!)
  wait_ready "${port[$via]}" || { echo "run.sh: the $via app never got ready: $(curl -s "http://127.0.0.1:${port[$via]}/readyz")" >&2; exit 1; }
done
# Stock nobody can sell out in a run.
psql -q "postgresql://scalelab@127.0.0.1:$((base + 9))/scalelab" -c "UPDATE items SET stock = 1000000000" >/dev/null

# One wrk run; prints "req/s p99_ms". Non-2xx answers are reported: the bench measures
# successes only.
measure() {
  local via=$1 route=$2 out
  if [ "$route" = checkout ]; then
    out=$(taskset -c 1 wrk -t"$connections" -c"$connections" -d"${duration}s" --latency -s bench/database/checkout.lua \
          "http://127.0.0.1:${port[$via]}")
  else
    out=$(taskset -c 1 wrk -t1 -c"$connections" -d"${duration}s" --latency -H "Cache-Control: no-cache" \
          "http://127.0.0.1:${port[$via]}$route")
  fi
  wrk_warn_non2xx "$out" "$via" "$route"
  echo "$(wrk_rps "$out") $(wrk_p99_ms "$out")"
}

echo "scalelab-app with PostgreSQL direct vs through pgbouncer: wrk -c$connections -d${duration}s, $rounds alternating rounds, apps on CPU 0, pools of $connections"
printf '%-26s %12s %14s %8s %12s %14s\n' route "direct rps" "pgbouncer rps" ratio "direct p99" "pgbouncer p99"
for route in /api/items/1 checkout; do
  : >"$work/direct.txt"; : >"$work/pgbouncer.txt"
  for _ in $(seq "$rounds"); do
    measure direct "$route" >>"$work/direct.txt"
    measure pgbouncer "$route" >>"$work/pgbouncer.txt"
  done
  d_rps=$(cut -d' ' -f1 "$work/direct.txt" | median); b_rps=$(cut -d' ' -f1 "$work/pgbouncer.txt" | median)
  d_p99=$(cut -d' ' -f2 "$work/direct.txt" | median); b_p99=$(cut -d' ' -f2 "$work/pgbouncer.txt" | median)
  label=$route
  [ "$route" = checkout ] && label="checkout (add + order)"
  [ "$route" = /api/items/1 ] && label="GET /api/items/1 no-cache"
  printf '%-26s %12.0f %14.0f %8.2f %10.2fms %12.2fms\n' "$label" "$d_rps" "$b_rps" \
    "$(awk -v a="$b_rps" -v b="$d_rps" 'BEGIN {print a/b}')" "$d_p99" "$b_p99"
done

#!/usr/bin/env bash
# bench/app/run.sh: scalelab-app in shared mode against local mode, side by side in one
# run, with wrk on loopback. Two routes: GET /api/me (a session lookup plus the
# per-user rate limit) and GET /api/items/1 (a cache hit). Rounds alternate between the
# modes so machine noise hits both; the figures are medians, the ratio shared/local.
# Also records the app's CPU time per request in each mode (from /proc), steadier than
# req/s on a noisy machine, and each instance's RSS when idle and its peak under load.
#
#   bench/app/run.sh [--duration S] [--rounds N] [--connections C] [--redis tcp|unix]
# The app runs pinned to CPU 0; wrk and redis-server to CPU 1. --redis picks how the
# app reaches Redis: TCP on loopback (the default, as in the lab and compose), or a
# Unix domain socket, which shows how much of shared mode's cost is the TCP stack.
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=5 rounds=3 connections=16 transport=tcp
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --redis) transport=$2; shift 2 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
case "$transport" in tcp|unix) ;; *) echo "run.sh: --redis is tcp or unix, not '$transport'" >&2; exit 2 ;; esac
for tool in wrk redis-server taskset; do
  command -v $tool >/dev/null || { echo "run.sh: $tool is missing (apt-get install wrk redis-server util-linux)" >&2; exit 2; }
done
app=build/bin/scalelab-app
[ -x "$app" ] || { echo "run.sh: build first (scripts/setup.sh)" >&2; exit 2; }

work=$(mktemp -d /tmp/scalelab-bench-app.XXXX)
pids=()
cleanup() { exec 2>/dev/null; for p in "${pids[@]}"; do kill -9 "$p" || true; done; wait; rm -rf "$work"; }  # quietly: no "Killed" job notices
trap cleanup EXIT

source bench/lib.sh
wait_port() { for _ in $(seq 200); do (echo >/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.05; done; return 1; }
rss_kib() { awk '/VmRSS/ {print $2}' /proc/$1/status; }

redis_port=$(free_port)
taskset -c 1 redis-server --port "$redis_port" --bind 127.0.0.1 --unixsocket "$work/redis.sock" --save "" \
  --appendonly no --dir "$work" --loglevel warning >"$work/redis.log" 2>&1 &
pids+=($!)
wait_port "$redis_port"
redis_url=redis://127.0.0.1:$redis_port
[ "$transport" = unix ] && redis_url=unix://$work/redis.sock

declare -A port pid
for mode in shared local; do
  port[$mode]=$(free_port)
  SCALELAB_INSTANCE_ID=bench-$mode SCALELAB_LISTEN=127.0.0.1:${port[$mode]} SCALELAB_ADMIN_LISTEN=0 SCALELAB_STATE=$mode \
  SCALELAB_REDIS_URL=$redis_url SCALELAB_DATA_DIR="$work/$mode" \
  SCALELAB_RATE_LIMIT=1000000000 SCALELAB_DB_LATENCY_MS=0 \
    taskset -c 0 "$app" >"$work/app-$mode.log" 2>&1 &
  pid[$mode]=$!
  pids+=($!)
  wait_port "${port[$mode]}"
done

declare -A cookie
for mode in shared local; do
  cookie[$mode]=$(curl -s -D - -o /dev/null -X POST "http://127.0.0.1:${port[$mode]}/api/login" \
    -d '{"user":"bench"}' | tr -d '\r' | sed -n 's/^Set-Cookie: \(sid=[^;]*\).*/\1/p')
  curl -sf -H "Cookie: ${cookie[$mode]}" "http://127.0.0.1:${port[$mode]}/api/me" >/dev/null
  curl -sf "http://127.0.0.1:${port[$mode]}/api/items/1" >/dev/null  # warm the cache
done
declare -A idle_rss peak_rss
for mode in shared local; do idle_rss[$mode]=$(rss_kib "${pid[$mode]}"); peak_rss[$mode]=0; done

# The app's CPU time so far (user + system), in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' /proc/$1/stat; }

# One wrk run; prints "req/s p99_ms cpu_us_per_request". Samples the app's RSS while
# it runs. CPU per request is steadier than req/s on a noisy machine: it says what a
# request costs the app, whatever else the host was doing.
measure() {
  local mode=$1 path=$2 out ticks_before
  ticks_before=$(cpu_ticks "${pid[$mode]}")
  out=$(taskset -c 1 wrk -t1 -c"$connections" -d"${duration}s" --latency -H "Cookie: ${cookie[$mode]}" \
        "http://127.0.0.1:${port[$mode]}$path" & wrk_pid=$!
        while kill -0 $wrk_pid 2>/dev/null; do rss_kib "${pid[$mode]}" >>"$work/rss-$mode"; sleep 0.5; done
        wait $wrk_pid)
  local rps p99 requests cpu_us
  rps=$(wrk_rps "$out")
  requests=$(wrk_requests "$out")
  cpu_us=$(awk -v t="$(( $(cpu_ticks "${pid[$mode]}") - ticks_before ))" -v hz="$(getconf CLK_TCK)" -v n="$requests" \
    'BEGIN {print t * 1e6 / hz / n}')
  p99=$(wrk_p99_ms "$out")
  wrk_warn_non2xx "$out" "$mode" "$path"
  echo "$rps $p99 $cpu_us"
}


echo "scalelab-app shared vs local: wrk -t1 -c$connections -d${duration}s, $rounds alternating rounds, app on CPU 0, Redis over $transport"
printf '%-16s %12s %12s %8s %12s %12s %14s %14s\n' route "shared rps" "local rps" ratio "shared p99" "local p99" \
  "shared us/req" "local us/req"
for path in /api/me /api/items/1; do
  : >"$work/shared.txt"; : >"$work/local.txt"
  for _ in $(seq "$rounds"); do
    measure shared "$path" >>"$work/shared.txt"
    measure local "$path" >>"$work/local.txt"
  done
  s_rps=$(cut -d' ' -f1 "$work/shared.txt" | median); l_rps=$(cut -d' ' -f1 "$work/local.txt" | median)
  s_p99=$(cut -d' ' -f2 "$work/shared.txt" | median); l_p99=$(cut -d' ' -f2 "$work/local.txt" | median)
  s_cpu=$(cut -d' ' -f3 "$work/shared.txt" | median); l_cpu=$(cut -d' ' -f3 "$work/local.txt" | median)
  printf '%-16s %12.0f %12.0f %8.2f %10.2fms %10.2fms %14.1f %14.1f\n' "$path" "$s_rps" "$l_rps" \
    "$(awk -v a="$s_rps" -v b="$l_rps" 'BEGIN {print a/b}')" "$s_p99" "$l_p99" "$s_cpu" "$l_cpu"
done
for mode in shared local; do
  peak=$(sort -n "$work/rss-$mode" | tail -1)
  printf 'RSS %-7s idle %6.1f MiB, peak under load %6.1f MiB\n' "$mode" \
    "$(awk -v k="${idle_rss[$mode]}" 'BEGIN {print k/1024}')" "$(awk -v k="$peak" 'BEGIN {print k/1024}')"
done

#!/usr/bin/env bash
# bench/app/run.sh: scalelab-app in shared mode against local mode, side by side in one
# run, with wrk on loopback. Two routes: GET /api/me (a session lookup plus the
# per-user rate limit) and GET /api/items/1 (a cache hit). Rounds alternate between the
# modes so machine noise hits both; the figures are medians, the ratio shared/local.
# Also records the app's CPU time per request in each mode (from /proc), steadier than
# req/s on a noisy machine, and each instance's RSS when idle and its peak under load.
# --models runs the same rounds for each concurrency model named (one instance per model
# and mode, measured in turn) and ends with each model's CPU per request against the
# pool's. --baseline DIR also runs each model from another build (an older commit's
# build directory), as "MODEL@baseline", in the same alternating rounds: what a change
# costs or saves, measured side by side.
#
#   bench/app/run.sh [--duration S] [--rounds N] [--connections C] [--redis tcp|unix]
#                    [--models "pool event-loop"] [--baseline DIR]
# The app runs pinned to CPU 0; wrk and redis-server to CPU 1. --redis picks how the
# app reaches Redis: TCP on loopback (the default, as in the lab and compose), or a
# Unix domain socket, which shows how much of shared mode's cost is the TCP stack.
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=5 rounds=3 connections=16 transport=tcp models=pool baseline=""
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --redis) transport=$2; shift 2 ;;
    --models) models=$2; shift 2 ;;
    --baseline) baseline=$2; shift 2 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
case "$transport" in tcp|unix) ;; *) echo "run.sh: --redis is tcp or unix, not '$transport'" >&2; exit 2 ;; esac
for tool in wrk redis-server taskset; do
  command -v $tool >/dev/null || { echo "run.sh: $tool is missing (apt-get install wrk redis-server util-linux)" >&2; exit 2; }
done
app=build/bin/scalelab-app
[ -x "$app" ] || { echo "run.sh: build first (scripts/setup.sh)" >&2; exit 2; }
if [ -n "$baseline" ]; then
  [ -x "$baseline/bin/scalelab-app" ] || { echo "run.sh: no scalelab-app in '$baseline'" >&2; exit 2; }
fi
# What is measured: each model, and each model from the baseline build when asked for.
variants=""
for model in $models; do variants="$variants $model"; [ -z "$baseline" ] || variants="$variants $model@baseline"; done

work=$(mktemp -d /tmp/scalelab-bench-app.XXXX)
pids=()
cleanup() { exec 2>/dev/null; for p in "${pids[@]}"; do kill -9 "$p" || true; done; wait; rm -rf "$work"; }  # quietly: no "Killed" job notices
trap cleanup EXIT

source bench/lib.sh
rss_kib() { awk '/VmRSS/ {print $2}' /proc/$1/status; }

redis_port=$(free_port)
taskset -c 1 redis-server --port "$redis_port" --bind 127.0.0.1 --unixsocket "$work/redis.sock" --save "" \
  --appendonly no --dir "$work" --loglevel warning >"$work/redis.log" 2>&1 &
pids+=($!)
wait_port "$redis_port"
redis_url=redis://127.0.0.1:$redis_port
[ "$transport" = unix ] && redis_url=unix://$work/redis.sock

# One instance per variant and mode, keyed "variant/mode".
declare -A port pid
keys=()
for variant in $variants; do
  model=${variant%@baseline}
  binary=$app
  [ "$variant" = "$model" ] || binary=$baseline/bin/scalelab-app
  for mode in shared local; do
    key=$variant/$mode
    keys+=("$key")
    port[$key]=$(free_port)
    env $(bench_app_env "bench-$mode" "${port[$key]}" "$work/$variant-$mode") SCALELAB_STATE=$mode \
      SCALELAB_APP_MODEL=$model SCALELAB_REDIS_URL=$redis_url taskset -c 0 "$binary" >"$work/app-$variant-$mode.log" 2>&1 &
    pid[$key]=$!
    pids+=($!)
    wait_port "${port[$key]}"
  done
done

declare -A cookie
for key in "${keys[@]}"; do
  cookie[$key]=$(session_cookie "${port[$key]}")
  curl -sf -H "Cookie: ${cookie[$key]}" "http://127.0.0.1:${port[$key]}/api/me" >/dev/null
  curl -sf "http://127.0.0.1:${port[$key]}/api/items/1" >/dev/null  # warm the cache
done
declare -A idle_rss
for key in "${keys[@]}"; do idle_rss[$key]=$(rss_kib "${pid[$key]}"); done

# The app's CPU time so far (user + system), in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' /proc/$1/stat; }

# One wrk run; prints "req/s p99_ms cpu_us_per_request". Samples the app's RSS while
# it runs. CPU per request is steadier than req/s on a noisy machine: it says what a
# request costs the app, whatever else the host was doing.
measure() {
  local key=$1 path=$2 out ticks_before
  ticks_before=$(cpu_ticks "${pid[$key]}")
  out=$(taskset -c 1 wrk -t1 -c"$connections" -d"${duration}s" --latency -H "Cookie: ${cookie[$key]}" \
        "http://127.0.0.1:${port[$key]}$path" & wrk_pid=$!
        while kill -0 $wrk_pid 2>/dev/null; do rss_kib "${pid[$key]}" >>"$work/rss-${key/\//-}"; sleep 0.5; done
        wait $wrk_pid)
  local rps p99 requests cpu_us
  rps=$(wrk_rps "$out")
  requests=$(wrk_requests "$out")
  cpu_us=$(awk -v t="$(( $(cpu_ticks "${pid[$key]}") - ticks_before ))" -v hz="$(getconf CLK_TCK)" -v n="$requests" \
    'BEGIN {print t * 1e6 / hz / n}')
  p99=$(wrk_p99_ms "$out")
  wrk_warn_non2xx "$out" "$key" "$path"
  echo "$rps $p99 $cpu_us"
}


echo "scalelab-app shared vs local: wrk -t1 -c$connections -d${duration}s, $rounds alternating rounds, app on CPU 0," \
     "Redis over $transport, models: $models${baseline:+ (and each from $baseline, as MODEL@baseline)}"
printf '%-22s %-14s %10s %10s %6s %10s %10s %13s %13s\n' model route "shared rps" "local rps" ratio "shared p99" \
  "local p99" "shared us/req" "local us/req"
declare -A cpu_local
for path in /api/me /api/items/1; do
  for key in "${keys[@]}"; do : >"$work/${key/\//-}.txt"; done
  for _ in $(seq "$rounds"); do
    for key in "${keys[@]}"; do measure "$key" "$path" >>"$work/${key/\//-}.txt"; done
  done
  for model in $variants; do
    s=$work/$model-shared.txt l=$work/$model-local.txt
    s_rps=$(cut -d' ' -f1 "$s" | median); l_rps=$(cut -d' ' -f1 "$l" | median)
    s_p99=$(cut -d' ' -f2 "$s" | median); l_p99=$(cut -d' ' -f2 "$l" | median)
    s_cpu=$(cut -d' ' -f3 "$s" | median); l_cpu=$(cut -d' ' -f3 "$l" | median)
    cpu_local[$model$path]=$l_cpu
    printf '%-22s %-14s %10.0f %10.0f %6.2f %8.2fms %8.2fms %13.1f %13.1f\n' "$model" "$path" "$s_rps" "$l_rps" \
      "$(awk -v a="$s_rps" -v b="$l_rps" 'BEGIN {print a/b}')" "$s_p99" "$l_p99" "$s_cpu" "$l_cpu"
  done
done
for key in "${keys[@]}"; do
  peak=$(sort -n "$work/rss-${key/\//-}" | tail -1)
  printf 'RSS %-28s idle %6.1f MiB, peak under load %6.1f MiB\n' "$key" \
    "$(awk -v k="${idle_rss[$key]}" 'BEGIN {print k/1024}')" "$(awk -v k="$peak" 'BEGIN {print k/1024}')"
done
for model in $variants; do
  pool=pool
  [ "$model" = "${model%@baseline}" ] || pool=pool@baseline
  [ "$model" = "$pool" ] || [[ " $variants " != *" $pool "* ]] && continue
  for path in /api/me /api/items/1; do
    printf 'CPU per request, local mode, %s: %s / %s = %.2f\n' "$path" "$model" "$pool" \
      "$(awk -v a="${cpu_local[$model$path]}" -v b="${cpu_local[$pool$path]}" 'BEGIN {print a/b}')"
  done
done
if [ -n "$baseline" ]; then
  for model in $models; do
    for path in /api/me /api/items/1; do
      printf 'CPU per request, local mode, %s: %s / %s@baseline = %.2f\n' "$path" "$model" "$model" \
        "$(awk -v a="${cpu_local[$model$path]}" -v b="${cpu_local[$model@baseline$path]}" 'BEGIN {print a/b}')"
    done
  done
fi

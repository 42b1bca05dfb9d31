#!/usr/bin/env bash
# bench/app/models.sh: scalelab-app's concurrency models side by side in one run
# (services/app/concurrency_model.hpp). For each model and each number of concurrent
# connections, wrk drives GET /api/work: I/O-bound (io_ms, the request waits without
# using CPU) and CPU-bound (cpu_ms, it burns). Prints requests/s, p99, and the app's
# peak RSS and threads while wrk ran, with the ceiling Little's law gives each point.
#
#   bench/app/models.sh [--duration S] [--connections "10 100 1000"] [--io-ms 50] [--cpu-ms 5]
#                       [--models "pool thread-per-connection event-loop event-loops fibers"]
# The app runs pinned to CPU 0, wrk to CPU 1. Local state: no Redis or S3 is needed.
# On one core, event-loops (a loop per core) has its loops share that core, and
# fibers its threads.
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=4 connections="10 100 1000" io_ms=50 cpu_ms=5 models="pool thread-per-connection event-loop event-loops fibers"
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --io-ms) io_ms=$2; shift 2 ;;
    --cpu-ms) cpu_ms=$2; shift 2 ;;
    --models) models=$2; shift 2 ;;
    *) echo "models.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
for tool in wrk taskset curl; do
  command -v $tool >/dev/null || { echo "models.sh: $tool is missing (apt-get install wrk util-linux curl)" >&2; exit 2; }
done
app=build/bin/scalelab-app
[ -x "$app" ] || { echo "models.sh: build first (scripts/setup.sh)" >&2; exit 2; }
source bench/lib.sh
# wrk and the app each hold one descriptor per connection.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

work=$(mktemp -d /tmp/scalelab-bench-models.XXXX)
app_pid=
cleanup() { exec 2>/dev/null; [ -n "$app_pid" ] && kill -9 "$app_pid"; wait; rm -rf "$work"; }
trap cleanup EXIT

workers=32 max_threads=4096
# One point: the app started afresh in `model`, wrk at `c` connections on `query`.
# Prints "rps p99_ms peak_rss_mib peak_threads".
point() {
  local model=$1 c=$2 query=$3 port out rss=0 threads=0 r t
  port=$(free_port)
  env $(bench_app_env bench "$port" "$work/data") SCALELAB_STATE=local SCALELAB_APP_MODEL=$model \
    SCALELAB_WORKERS=$workers SCALELAB_MAX_THREADS=$max_threads SCALELAB_LOG_LEVEL=warn taskset -c 0 "$app" >"$work/app.log" 2>&1 &
  app_pid=$!
  for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.05; done
  kill -0 "$app_pid" 2>/dev/null || { echo "models.sh: the $model app did not start: $(tail -1 "$work/app.log")" >&2; exit 1; }
  taskset -c 1 wrk -t2 -c"$c" -d"${duration}s" --latency --timeout 10s "http://127.0.0.1:$port/api/work?$query" \
    >"$work/wrk.out" 2>&1 &
  local wrk_pid=$!
  while kill -0 $wrk_pid 2>/dev/null; do
    r=$(awk '/VmRSS/ {print $2}' /proc/$app_pid/status 2>/dev/null) ||
      { echo "models.sh: the $model app died under c=$c $query: $(tail -1 "$work/app.log")" >&2; exit 1; }
    t=$(awk '/Threads/ {print $2}' /proc/$app_pid/status)
    [ "$r" -gt "$rss" ] && rss=$r
    [ "$t" -gt "$threads" ] && threads=$t
    sleep 0.2
  done
  wait $wrk_pid || true
  out=$(cat "$work/wrk.out")
  wrk_warn_non2xx "$out" "$model" "c=$c" "$query"
  kill -9 "$app_pid"; wait "$app_pid" 2>/dev/null || true; app_pid=
  echo "$(wrk_rps "$out") $(wrk_p99_ms "$out") $(awk -v k="$rss" 'BEGIN {printf "%.1f", k / 1024}') $threads"
}

# The ceiling of a point: Little's law on the connections the model serves at once,
# over the request's time; CPU work at most one core's worth (the app is pinned to one).
ceiling() {
  local model=$1 c=$2 seconds=$3 cpu_seconds=$4 at_once=$2
  [ "$model" = pool ] && [ "$workers" -lt "$c" ] && at_once=$workers
  [ "$model" != pool ] && [ "$max_threads" -lt "$c" ] && at_once=$max_threads
  awk -v n="$at_once" -v s="$seconds" -v cpu="$cpu_seconds" 'BEGIN {
    v = n / s; if (cpu > 0 && 1 / cpu < v) v = 1 / cpu; printf "%.0f", v }'
}

echo "scalelab-app concurrency models: wrk -t2 -d${duration}s per point, app on CPU 0 (pool: $workers workers;" \
     "thread-per-connection: up to $max_threads threads; event loops: up to $max_threads fibers), wrk on CPU 1"
printf '%-22s %-10s %6s %10s %10s %8s %10s %9s %8s\n' model work conns "req/s" ceiling "eff." "p99" "peak RSS" threads
declare -A io_rps
for work_kind in io cpu; do
  for c in $connections; do
    for model in $models; do
      if [ "$work_kind" = io ]; then query="io_ms=$io_ms"; secs=$(awk -v m="$io_ms" 'BEGIN {print m / 1000}'); cpus=0
      else query="cpu_ms=$cpu_ms"; secs=$(awk -v m="$cpu_ms" 'BEGIN {print m / 1000}'); cpus=$secs; fi
      read -r rps p99 rss threads < <(point "$model" "$c" "$query")
      ceil=$(ceiling "$model" "$c" "$secs" "$cpus")
      [ "$work_kind" = io ] && io_rps[$model-$c]=$rps
      printf '%-22s %-10s %6s %10.0f %10s %7.0f%% %8.1fms %7sMiB %8s\n' "$model" "$query" "$c" "$rps" "$ceil" \
        "$(awk -v a="$rps" -v b="$ceil" 'BEGIN {print 100 * a / b}')" "$p99" "$rss" "$threads"
    done
  done
done
for c in $connections; do
  for model in $models; do
    [ "$model" = pool ] || [[ " $models " != *" pool "* ]] && continue
    printf 'I/O-bound at %s connections: %s / pool = %.2f\n' "$c" "$model" \
      "$(awk -v a="${io_rps[$model-$c]}" -v b="${io_rps[pool-$c]}" 'BEGIN {print a / b}')"
  done
done

#!/usr/bin/env bash
# bench/app/floor.sh: what one keep-alive request costs at the least on this machine,
# beside what it costs scalelab-app. nginx, one worker, answers a fixed copy of the app's
# GET /api/me answer (the same status line, headers and 92-byte body), once without an
# access log and once with a buffered one-line-a-request log, as the app writes. nginx
# parses the head and sends the answer and nothing else: its CPU per request is a floor
# for any event loop serving this load, and its system time is the kernel's part, which
# no server model can shed (a read and a send per request on loopback TCP). The app's
# models serve the same route in local mode, with the session lookup, the rate limit,
# the access line and the JSON body.
#
#   bench/app/floor.sh [--duration S] [--rounds N] [--connections C] [--models "pool event-loop"]
#
# Each server runs pinned to CPU 0 and wrk to CPU 1; rounds alternate between servers so
# the machine's noise hits them all. Prints, per server, the medians of req/s and of the
# user and system CPU microseconds per request (from /proc), and each against the pool.
# Needs: nginx (nginx-light), wrk, taskset, curl, and a built scalelab-app.
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=4 rounds=3 connections=16 models="pool event-loop"
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --models) models=$2; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "floor.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
for tool in nginx wrk taskset curl; do
  command -v $tool >/dev/null || { echo "floor.sh: '$tool' is not installed" >&2; exit 2; }
done
app=build/bin/scalelab-app
[ -x "$app" ] || { echo "floor.sh: build first (scripts/setup.sh)" >&2; exit 2; }
[[ " $models " == *" pool "* ]] || { echo "floor.sh: --models must include pool (the ratios are to it)" >&2; exit 2; }

source bench/lib.sh
work=$(mktemp -d /tmp/scalelab-bench-floor.XXXX)
pids=()
cleanup() { exec 2>/dev/null; for p in "${pids[@]}"; do kill -9 "$p" || true; done; wait; rm -rf "$work"; }
trap cleanup EXIT

declare -A port pid cookie
for model in $models; do
  port[$model]=$(free_port)
  env $(bench_app_env bench "${port[$model]}" "$work/$model") SCALELAB_STATE=local SCALELAB_APP_MODEL=$model \
    taskset -c 0 "$app" >"$work/app-$model.log" 2>&1 &
  pid[$model]=$!
  pids+=($!)
  wait_port "${port[$model]}" || { echo "floor.sh: the $model app did not start" >&2; exit 1; }
  cookie[$model]=$(session_cookie "${port[$model]}")
  [ -n "${cookie[$model]}" ] || { echo "floor.sh: no session from the $model app" >&2; exit 1; }
done

# The app's answer, copied: nginx adds Server, Date and Connection of its own, and writes
# the rest as given here.
body='{"created_by":"bench","requests":1,"served_by":"bench","session_age_seconds":0.026,"user":"bench"}'
for variant in nginx nginx+log; do
  port[$variant]=$(free_port)
  log="access_log off;"
  [ "$variant" = nginx ] || log="log_format line escape=json '{\"time\":\"\$time_iso8601\",\"method\":\"\$request_method\",\"path\":\"\$uri\",\"status\":\$status,\"bytes\":\$bytes_sent,\"duration_s\":\$request_time,\"request_id\":\"\$request_id\"}';
  access_log $work/$variant/access.log line buffer=64k flush=1s;"
  mkdir -p "$work/$variant"
  cat >"$work/$variant/nginx.conf" <<CONF
daemon off; master_process off; worker_processes 1;
pid $work/$variant/nginx.pid; error_log $work/$variant/error.log warn;
events { worker_connections 4096; }
http {
  $log
  keepalive_requests 1000000; keepalive_timeout 60s;
  client_body_temp_path $work/$variant; proxy_temp_path $work/$variant; fastcgi_temp_path $work/$variant;
  uwsgi_temp_path $work/$variant; scgi_temp_path $work/$variant;
  server {
    listen 127.0.0.1:${port[$variant]};
    location / {
      default_type application/json;
      add_header Server-Timing "parse;dur=0.000, route;dur=0.007, middleware;dur=0.014, handler;dur=0.007, serialize;dur=0.006";
      add_header X-DB-Queries 0; add_header X-Instance bench; add_header X-RateLimit-Limit 1000000000;
      add_header X-RateLimit-Remaining 999999999; add_header X-RateLimit-Window 1796699619;
      add_header X-Request-Id \$request_id; add_header X-Scalelab-State local;
      return 200 '$body';
    }
  }
}
CONF
  taskset -c 0 nginx -c "$work/$variant/nginx.conf" -p "$work/$variant" >"$work/$variant/out.log" 2>&1 &
  pid[$variant]=$!
  pids+=($!)
  wait_port "${port[$variant]}" || { echo "floor.sh: nginx did not start: $(cat "$work/$variant/error.log")" >&2; exit 1; }
  cookie[$variant]=sid=none
done
servers="$models nginx nginx+log"

# The server's user and system CPU time so far, in clock ticks.
cpu_ticks() { awk '{print $14, $15}' /proc/$1/stat; }
# One wrk run; prints "req/s user_us_per_request system_us_per_request".
measure() {
  local server=$1 out u0 s0 u1 s1 requests
  read -r u0 s0 < <(cpu_ticks "${pid[$server]}")
  out=$(taskset -c 1 wrk -t1 -c"$connections" -d"${duration}s" -H "Cookie: ${cookie[$server]}" \
        "http://127.0.0.1:${port[$server]}/api/me")
  read -r u1 s1 < <(cpu_ticks "${pid[$server]}")
  wrk_warn_non2xx "$out" "$server" /api/me
  requests=$(wrk_requests "$out")
  awk -v r="$(wrk_rps "$out")" -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v hz="$(getconf CLK_TCK)" -v n="$requests" \
    'BEGIN {printf "%s %f %f\n", r, u * 1e6 / hz / n, s * 1e6 / hz / n}'
}

for server in $servers; do  # a short warm-up each
  taskset -c 1 wrk -t1 -c"$connections" -d1s -H "Cookie: ${cookie[$server]}" "http://127.0.0.1:${port[$server]}/api/me" >/dev/null
  : >"$work/$server.txt"
done
for _ in $(seq "$rounds"); do
  for server in $servers; do measure "$server" >>"$work/$server.txt"; done
done

[ -s "$work/nginx+log/access.log" ] || echo "floor.sh: nginx+log wrote no access line" >&2

echo "GET /api/me, wrk -t1 -c$connections -d${duration}s, $rounds alternating rounds, server on CPU 0, wrk on CPU 1;" \
     "the app in local mode"
printf '%-12s %10s %9s %9s %9s %12s %14s\n' server "req/s" "user us" "sys us" "total us" "total/pool" "sys/pool total"
declare -A total
for server in $servers; do
  f=$work/$server.txt
  total[$server]=$(awk '{print $2 + $3}' "$f" | median)
done
for server in $servers; do
  f=$work/$server.txt
  sys=$(cut -d' ' -f3 "$f" | median)
  printf '%-12s %10.0f %9.1f %9.1f %9.1f %12.2f %14.2f\n' "$server" "$(cut -d' ' -f1 "$f" | median)" \
    "$(cut -d' ' -f2 "$f" | median)" "$sys" "${total[$server]}" \
    "$(awk -v a="${total[$server]}" -v b="${total[pool]}" 'BEGIN {print a / b}')" \
    "$(awk -v a="$sys" -v b="${total[pool]}" 'BEGIN {print a / b}')"
done

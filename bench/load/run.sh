#!/usr/bin/env bash
# Is `scalelab load` fast enough to measure the lab rather than itself? Its target is at
# least 0.9x wrk's request rate, one thread each. This runs both, alternately and in one
# go, against the same trivial endpoint (nginx-light answering a static 200 from memory
# on loopback), with the same number of keep-alive connections, and prints each round
# and the ratio of the medians. nginx runs one worker pinned to CPU 0 and the client to
# CPU 1, so the two do not fight over a core on a 2-core machine.
#
# Each round also reports the client's own CPU time per request (user + sys, from
# /usr/bin/time): on a busy machine the rates move with the neighbours' load, the CPU
# cost per request much less.
#
# Usage: bench/load/run.sh [BUILD_DIR]      (default: build)
# Env:   CONNECTIONS (64), DURATION seconds per run (5), ROUNDS (5)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/bench/lib.sh"
build=${1:-$root/build}
load_bin=$build/bin/scalelab
connections=${CONNECTIONS:-64}
duration=${DURATION:-5}
rounds=${ROUNDS:-5}
for tool in nginx wrk jq taskset curl /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench/load: $tool is missing (apt-get install nginx-light wrk jq util-linux curl)" >&2; exit 2; }
done
[ -x "$load_bin" ] || { echo "bench/load: $load_bin not built (ninja -C $build scalelab)" >&2; exit 2; }

tmp=$(mktemp -d)
nginx_pid=
cleanup() {
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

port=$(free_port)
mkdir -p "$tmp/logs" "$tmp/tmp"
cat >"$tmp/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $tmp/nginx.pid;
error_log $tmp/logs/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  client_body_temp_path $tmp/tmp;
  proxy_temp_path $tmp/tmp;
  fastcgi_temp_path $tmp/tmp;
  uwsgi_temp_path $tmp/tmp;
  scgi_temp_path $tmp/tmp;
  server {
    listen 127.0.0.1:$port;
    location / { return 200 "ok\n"; }
  }
}
CONF
taskset -c 0 nginx -p "$tmp" -c "$tmp/nginx.conf" &
nginx_pid=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.1; done
url="http://127.0.0.1:$port/"

echo "nginx $(nginx -v 2>&1 | sed 's/.*\///') on CPU 0; clients on CPU 1; $connections connections; ${duration}s per run; $rounds rounds"
wrk_rates=()
load_rates=()
ratios=()
wrk_cpus=()
load_cpus=()
for round in $(seq "$rounds"); do
  w=$(/usr/bin/time -f '%U %S' -o "$tmp/wrk.cpu" taskset -c 1 wrk -t1 -c"$connections" -d"${duration}s" "$url" |
      awk '/Requests\/sec/ {print $2}')
  l=$(/usr/bin/time -f '%U %S' -o "$tmp/load.cpu" taskset -c 1 "$load_bin" --dir "$tmp/no-lab" load --target "127.0.0.1:$port" --threads 1 \
        --users "$connections" --duration "${duration}s" --mix get=1 --path / --output json --progress none |
      jq '.totals.rps')
  # CPU microseconds per request: (user + sys) / (rate * duration).
  wc=$(awk -v r="$w" -v d="$duration" '{print ($1 + $2) * 1e6 / (r * d)}' "$tmp/wrk.cpu")
  lc=$(awk -v r="$l" -v d="$duration" '{print ($1 + $2) * 1e6 / (r * d)}' "$tmp/load.cpu")
  printf 'round %d: wrk %8.0f req/s (%.2f us CPU/req)   scalelab load %8.0f req/s (%.2f us CPU/req)   ratio %.3f\n' \
    "$round" "$w" "$wc" "$l" "$lc" "$(awk -v a="$l" -v b="$w" 'BEGIN {print a / b}')"
  wrk_rates+=("$w")
  load_rates+=("$l")
  ratios+=("$(awk -v a="$l" -v b="$w" 'BEGIN {print a / b}')")
  wrk_cpus+=("$wc")
  load_cpus+=("$lc")
done
mw=$(median "${wrk_rates[@]}")
ml=$(median "${load_rates[@]}")
# Two readings of the same rounds: the ratio of the median rates, and the median of the
# per-round ratios (each pair ran back to back, so it shares the neighbours' load).
printf 'median: wrk %.0f req/s, scalelab load %.0f req/s, ratio of medians %.3f, median ratio %.3f (goal >= 0.9)\n' \
  "$mw" "$ml" "$(awk -v a="$ml" -v b="$mw" 'BEGIN {print a / b}')" "$(median "${ratios[@]}")"
printf 'median CPU per request: wrk %.2f us, scalelab load %.2f us\n' "$(median "${wrk_cpus[@]}")" "$(median "${load_cpus[@]}")"

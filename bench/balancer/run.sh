#!/usr/bin/env bash
# Benchmark: scalelab-balancer against HAProxy 2.6 and nginx 1.22, in one run, on the
# same three trivial nginx backends. Round robin, keep-alive on both sides, one
# thread/worker per proxy; the proxy pinned to CPU 0, the backends and wrk to CPU 1.
# Reports req/s and p99 for each, the ratios to HAProxy, and the balancer's RSS under
# load. Loopback only; every run is bounded by -d.
#
#   bench/balancer/run.sh [--duration SECONDS] [--connections N] [--build DIR] [--rounds N]
#
# Needs: nginx (nginx-light), haproxy, wrk, taskset, and a built scalelab-balancer
# (default build dir: build-balancer, else build).
set -euo pipefail
cd "$(dirname "$0")/../.."

duration=10
connections=64
rounds=1
build=""
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$build" ]; then
  for d in build-balancer build; do [ -x "$d/bin/scalelab-balancer" ] && { build=$d; break; }; done
fi
balancer_bin="$build/bin/scalelab-balancer"
[ -x "$balancer_bin" ] || { echo "run.sh: no scalelab-balancer in '$build' (build it first)" >&2; exit 1; }
for tool in nginx haproxy wrk taskset; do
  command -v "$tool" >/dev/null || { echo "run.sh: '$tool' is not installed" >&2; exit 1; }
done

work=$(mktemp -d /tmp/scalelab-bench-balancer-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }

# Three trivial backends: one nginx worker, three ports, a fixed 200 answer.
b1=$(free_port); b2=$(free_port); b3=$(free_port)
mkdir -p "$work/backends"
cat > "$work/backends/nginx.conf" <<CONF
daemon off; worker_processes 1; pid $work/backends/nginx.pid; error_log $work/backends/error.log;
events { worker_connections 4096; }
http {
  access_log off; keepalive_requests 1000000; keepalive_timeout 60s;
  client_body_temp_path $work/backends; proxy_temp_path $work/backends;
  fastcgi_temp_path $work/backends; uwsgi_temp_path $work/backends; scgi_temp_path $work/backends;
  server { listen 127.0.0.1:$b1; location / { return 200 "ok\n"; } }
  server { listen 127.0.0.1:$b2; location / { return 200 "ok\n"; } }
  server { listen 127.0.0.1:$b3; location / { return 200 "ok\n"; } }
}
CONF
taskset -c 1 nginx -c "$work/backends/nginx.conf" -p "$work/backends" & pids+=($!)
wait_port "$b1" && wait_port "$b2" && wait_port "$b3"

run_wrk() {  # port label -> appends "label req_s p99_ms" to results
  local port=$1 label=$2 out
  taskset -c 1 wrk -t1 -c"$connections" -d2s "http://127.0.0.1:$port/" >/dev/null  # warm-up
  out=$(taskset -c 1 wrk -t1 -c"$connections" -d"${duration}s" --latency "http://127.0.0.1:$port/")
  echo "$out" > "$work/wrk-$label.txt"
  local rps p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; print v}' <<<"$out")
  errors=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
  echo "$label $rps $p99 ${errors:-none}" >> "$work/results"
}

rss_during() {  # pid port -> peak VmRSS (KiB) sampled while wrk runs
  local pid=$1 port=$2 peak=0 v
  ( taskset -c 1 wrk -t1 -c"$connections" -d3s "http://127.0.0.1:$port/" >/dev/null ) &
  local w=$!
  while kill -0 "$w" 2>/dev/null; do
    v=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    [ "${v:-0}" -gt "$peak" ] && peak=$v
    sleep 0.2
  done
  echo "$peak"
}

for round in $(seq "$rounds"); do
  # scalelab-balancer: one event loop, access log on (to a file), pinned to CPU 0.
  p=$(free_port); a=$(free_port)
  taskset -c 0 "$balancer_bin" --listen "127.0.0.1:$p" --admin-listen "127.0.0.1:$a" --threads 1 \
    --backend "b1=127.0.0.1:$b1" --backend "b2=127.0.0.1:$b2" --backend "b3=127.0.0.1:$b3" \
    --max-conns-per-backend 64 --health-path / 2>"$work/balancer.log" & bpid=$!; pids+=($bpid)
  wait_port "$p"
  run_wrk "$p" "scalelab-balancer"
  rss=$(rss_during "$bpid" "$p")
  echo "$rss" > "$work/rss"
  kill "$bpid"; wait "$bpid" 2>/dev/null || true

  # HAProxy 2.6: one thread, round robin, keep-alive both sides.
  p=$(free_port)
  cat > "$work/haproxy.cfg" <<CONF
global
  nbthread 1
  maxconn 10000
defaults
  mode http
  option http-keep-alive
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  option forwardfor
frontend fe
  bind 127.0.0.1:$p
  default_backend be
backend be
  balance roundrobin
  http-reuse always
  server b1 127.0.0.1:$b1
  server b2 127.0.0.1:$b2
  server b3 127.0.0.1:$b3
CONF
  taskset -c 0 haproxy -f "$work/haproxy.cfg" -db >/dev/null 2>&1 & hpid=$!; pids+=($hpid)
  wait_port "$p"
  run_wrk "$p" "haproxy"
  kill "$hpid"; wait "$hpid" 2>/dev/null || true

  # nginx 1.22: one worker, upstream keepalive, round robin.
  p=$(free_port)
  mkdir -p "$work/nginx"
  cat > "$work/nginx/nginx.conf" <<CONF
daemon off; worker_processes 1; pid $work/nginx/nginx.pid; error_log $work/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off; keepalive_requests 1000000;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx;
  fastcgi_temp_path $work/nginx; uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  upstream be { server 127.0.0.1:$b1; server 127.0.0.1:$b2; server 127.0.0.1:$b3; keepalive 64; }
  server {
    listen 127.0.0.1:$p;
    location / {
      proxy_pass http://be; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    }
  }
}
CONF
  taskset -c 0 nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" & npid=$!; pids+=($npid)
  wait_port "$p"
  run_wrk "$p" "nginx"
  kill "$npid"; wait "$npid" 2>/dev/null || true
done

echo "balancer benchmark: wrk -t1 -c$connections -d${duration}s, 3 nginx backends, proxy on CPU 0, backends+wrk on CPU 1, rounds=$rounds"
awk -v rss="$(cat "$work/rss")" '
  { label[NR]=$1; rps[NR]=$2; p99[NR]=$3; err[NR]=""; for (i=4;i<=NF;i++) err[NR]=err[NR] " " $i
    if ($1=="haproxy") { hr+=$2; hp+=$3; hn++ } }
  END {
    hr/=hn; hp/=hn
    printf "%-18s %12s %10s %12s %12s  %s\n", "proxy", "req/s", "p99 ms", "req/s ratio", "p99 ratio", "errors"
    for (i=1;i<=NR;i++) printf "%-18s %12.0f %10.3f %12.2f %12.2f %s\n", label[i], rps[i], p99[i], rps[i]/hr, p99[i]/hp, err[i]
    printf "scalelab-balancer RSS under load: %.1f MiB\n", rss/1024
  }' "$work/results"

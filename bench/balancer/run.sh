#!/usr/bin/env bash
# Benchmark: scalelab-balancer against HAProxy 2.6 and nginx 1.22, in one run, on the
# same three trivial nginx backends. Round robin, keep-alive on both sides, one
# thread/worker per proxy; the proxy pinned to CPU 0, the backends and wrk to CPU 1.
# Reports req/s and p99 for each, the ratios to HAProxy, and RSS under load. Loopback only; every run is bounded by -d.
#
#   bench/balancer/run.sh [--duration SECONDS] [--connections N] [--build DIR] [--rounds N]
#
# Each round runs wrk against the three proxies in turn; the summary gives medians,
# including the proxy's CPU time per request (from /proc, robust to noisy neighbours).
#
# Needs: nginx (nginx-light), haproxy, wrk, taskset, and a built scalelab-balancer
# (default build dir: build-balancer, else build).
set -euo pipefail
cd "$(dirname "$0")/../.."

duration=5
connections=64
rounds=3
build=""
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
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

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # utime + stime, in clock ticks
clk_tck=$(getconf CLK_TCK)

run_wrk() {  # label port pid -> appends "label rps p99_ms cpu_us_per_req peak_rss_kib errors" to results
  local label=$1 port=$2 pid=$3 out before after peak=0 v
  before=$(cpu_ticks "$pid")
  taskset -c 1 wrk -t1 -c"$connections" -d"${duration}s" --latency "http://127.0.0.1:$port/" > "$work/wrk.out" &
  local w=$!
  while kill -0 "$w" 2>/dev/null; do
    v=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    [ "${v:-0}" -gt "$peak" ] && peak=$v
    sleep 0.25
  done
  wait "$w"
  after=$(cpu_ticks "$pid")
  out=$(cat "$work/wrk.out")
  echo "$out" >> "$work/wrk-$label.txt"
  local rps p99 total errors
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  total=$(awk '/requests in/ {print $1}' <<<"$out")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; print v}' <<<"$out")
  errors=$(awk '/Non-2xx|Socket errors/ {gsub(/ +/," "); printf "%s;", $0}' <<<"$out")
  local cpu_us
  cpu_us=$(awk -v t=$((after - before)) -v hz="$clk_tck" -v n="$total" 'BEGIN { printf "%.2f", t / hz * 1e6 / n }')
  echo "$label $rps $p99 $cpu_us $peak ${errors:-none}" >> "$work/results"
}

# scalelab-balancer: one event loop, access log on (to a file), pinned to CPU 0.
bp=$(free_port); ba=$(free_port)
taskset -c 0 "$balancer_bin" --listen "127.0.0.1:$bp" --admin-listen "127.0.0.1:$ba" --threads 1 \
  --backend "b1=127.0.0.1:$b1" --backend "b2=127.0.0.1:$b2" --backend "b3=127.0.0.1:$b3" \
  --max-conns-per-backend 64 --health-path / 2>"$work/balancer.log" & bpid=$!; pids+=($bpid)

# HAProxy 2.6: one thread, round robin, keep-alive both sides, X-Forwarded-For added.
hp=$(free_port)
cat > "$work/haproxy.cfg" <<CONF
global
  nbthread 1
  maxconn 4096
defaults
  mode http
  option http-keep-alive
  option forwardfor
  timeout connect 2s
  timeout client 60s
  timeout server 60s
frontend fe
  bind 127.0.0.1:$hp
  default_backend be
backend be
  balance roundrobin
  http-reuse always
  server b1 127.0.0.1:$b1
  server b2 127.0.0.1:$b2
  server b3 127.0.0.1:$b3
CONF
taskset -c 0 haproxy -f "$work/haproxy.cfg" -db >/dev/null 2>&1 & hpid=$!; pids+=($hpid)

# nginx 1.22: one worker process (no master), upstream keepalive, round robin.
np=$(free_port)
mkdir -p "$work/nginx"
cat > "$work/nginx/nginx.conf" <<CONF
daemon off; master_process off; worker_processes 1; pid $work/nginx/nginx.pid; error_log $work/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off; keepalive_requests 1000000;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx;
  fastcgi_temp_path $work/nginx; uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  upstream be { server 127.0.0.1:$b1; server 127.0.0.1:$b2; server 127.0.0.1:$b3; keepalive 64; }
  server {
    listen 127.0.0.1:$np;
    location / {
      proxy_pass http://be; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    }
  }
}
CONF
taskset -c 0 nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" & npid=$!; pids+=($npid)

wait_port "$bp" && wait_port "$hp" && wait_port "$np"
for port in "$bp" "$hp" "$np"; do taskset -c 1 wrk -t1 -c"$connections" -d2s "http://127.0.0.1:$port/" >/dev/null; done  # warm-up

# Rounds alternate the three proxies so each sees the same neighbours' noise.
for round in $(seq "$rounds"); do
  run_wrk scalelab-balancer "$bp" "$bpid"
  run_wrk haproxy "$hp" "$hpid"
  run_wrk nginx "$np" "$npid"
done

echo "balancer benchmark: wrk -t1 -c$connections -d${duration}s x $rounds rounds, 3 nginx backends, proxy on CPU 0, backends+wrk on CPU 1, load average $(cut -d' ' -f1 /proc/loadavg)"
echo "per round:"
awk '{printf "  %-18s %10.0f req/s  p99 %7.3f ms  %6.2f CPU us/req  %s\n", $1, $2, $3, $4, ($6=="none" ? "" : $6)}' "$work/results"
echo "medians:"
awk -v rounds="$rounds" '
  function median(arr, n,   i, j, t) { for (i=1;i<=n;i++) for (j=i+1;j<=n;j++) if (arr[j] < arr[i]) { t=arr[i]; arr[i]=arr[j]; arr[j]=t }
                                      return (n % 2) ? arr[(n+1)/2] : (arr[n/2] + arr[n/2+1]) / 2 }
  { n[$1]++; r[$1, n[$1]] = $2; p[$1, n[$1]] = $3; c[$1, n[$1]] = $4; if ($5 > rss[$1]) rss[$1] = $5; order[$1] = order[$1] ? order[$1] : NR }
  END {
    split("scalelab-balancer haproxy nginx", labels, " ")
    for (k=1;k<=3;k++) { l=labels[k]; delete a; delete b; delete d
      for (i=1;i<=n[l];i++) { a[i]=r[l,i]; b[i]=p[l,i]; d[i]=c[l,i] }
      mr[l]=median(a, n[l]); mp[l]=median(b, n[l]); mc[l]=median(d, n[l]) }
    printf "  %-18s %10s %9s %10s %12s %10s %12s\n", "proxy", "req/s", "p99 ms", "CPU us/req", "req/s ratio", "p99 ratio", "peak RSS MiB"
    for (k=1;k<=3;k++) { l=labels[k]
      printf "  %-18s %10.0f %9.3f %10.2f %12.2f %10.2f %12.1f\n", l, mr[l], mp[l], mc[l], mr[l]/mr["haproxy"], mp[l]/mp["haproxy"], rss[l]/1024 }
  }' "$work/results"

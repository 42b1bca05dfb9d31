#!/usr/bin/env bash
# Benchmark: scalelab-balancer against HAProxy 2.6 and nginx 1.22, in one run, on the
# same three trivial nginx backends. Round robin, keep-alive on both sides, one
# thread/worker per proxy; the proxy pinned to CPU 0, the backends and wrk to CPU 1.
# Reports req/s and p99 for each, the ratios to HAProxy, and RSS under load. Loopback only; every run is bounded by -d.
#
#   bench/balancer/run.sh [--duration SECONDS] [--connections N] [--build DIR] [--rounds N]
#                         [--baseline DIR]
#
# --baseline DIR also runs the scalelab-balancer of another build (an older commit)
# in every round, as "baseline": what a change costs, measured side by side.
# Each round runs wrk against the three proxies in turn; the summary gives medians,
# including the proxy's CPU time per request (from /proc, robust to noisy neighbours),
# its user-space share, and the backends' CPU per request (what the proxy's way of
# sending costs its peers). Instruction and allocation counts: callgrind.sh.
#
# Needs: nginx (nginx-light), haproxy, wrk, taskset, and a built scalelab-balancer
# (default build dir: build-balancer, else build).
set -euo pipefail
cd "$(dirname "$0")/../.."

duration=5
connections=64
rounds=3
build=""
baseline=""
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --baseline) baseline=$2; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
. bench/balancer/common.sh
bench_init bench-balancer "$build" nginx haproxy wrk taskset python3

start_backends taskset -c 1
backend_worker=$(pgrep -P "${pids[0]}" | awk 'NR == 1')  # the backends' one nginx worker

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # utime + stime, in clock ticks
user_ticks() { awk '{print $14}' "/proc/$1/stat"; }       # utime alone: the proxy's own code
clk_tck=$(getconf CLK_TCK)

# Appends "label rps p99_ms cpu_us_per_req user_us_per_req backend_us_per_req
# peak_rss_kib errors" to results. The backends' CPU per request shows what a proxy's
# sending pattern costs its peers: each send that finds the receiver asleep wakes it.
run_wrk() {  # label port pid
  local label=$1 port=$2 pid=$3 out before after ubefore uafter bbefore bafter peak=0 v
  before=$(cpu_ticks "$pid"); ubefore=$(user_ticks "$pid"); bbefore=$(cpu_ticks "$backend_worker")
  taskset -c 1 wrk -t1 -c"$connections" -d"${duration}s" --latency "http://127.0.0.1:$port/" > "$work/wrk.out" &
  local w=$!
  while kill -0 "$w" 2>/dev/null; do
    v=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    [ "${v:-0}" -gt "$peak" ] && peak=$v
    sleep 0.25
  done
  wait "$w"
  after=$(cpu_ticks "$pid"); uafter=$(user_ticks "$pid"); bafter=$(cpu_ticks "$backend_worker")
  out=$(cat "$work/wrk.out")
  echo "$out" >> "$work/wrk-$label.txt"
  local rps p99 total errors
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  total=$(awk '/requests in/ {print $1}' <<<"$out")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; print v}' <<<"$out")
  errors=$(awk '/Non-2xx|Socket errors/ {gsub(/ +/," "); printf "%s;", $0}' <<<"$out")
  per_req() { awk -v t="$1" -v hz="$clk_tck" -v n="$total" 'BEGIN { printf "%.2f", t / hz * 1e6 / n }'; }
  echo "$label $rps $p99 $(per_req $((after - before))) $(per_req $((uafter - ubefore))) $(per_req $((bafter - bbefore))) $peak ${errors:-none}" >> "$work/results"
}

# scalelab-balancer: one event loop, access log on (to a file), pinned to CPU 0.
bp=$(free_port); ba=$(free_port)
balancer_command "$balancer_bin" "$bp" "$ba"
taskset -c 0 "${balancer_cmd[@]}" 2>"$work/balancer.log" & bpid=$!; pids+=($bpid)

# The baseline build, configured alike, when asked for.
if [ -n "$baseline" ]; then
  [ -x "$baseline/bin/scalelab-balancer" ] || { echo "run.sh: no scalelab-balancer in '$baseline'" >&2; exit 1; }
  lp=$(free_port); la=$(free_port)
  balancer_command "$baseline/bin/scalelab-balancer" "$lp" "$la"
  taskset -c 0 "${balancer_cmd[@]}" 2>"$work/baseline.log" & lpid=$!; pids+=($lpid)
  wait_port "$lp"
fi

# HAProxy 2.6: one thread, round robin, keep-alive both sides, X-Forwarded-For added.
hp=$(free_port)
write_haproxy_config "$work/haproxy.cfg" "$hp"
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
for port in "$bp" "$hp" "$np" ${lp:-}; do taskset -c 1 wrk -t1 -c"$connections" -d2s "http://127.0.0.1:$port/" >/dev/null; done  # warm-up

# Rounds alternate the three proxies so each sees the same neighbours' noise.
for round in $(seq "$rounds"); do
  run_wrk scalelab-balancer "$bp" "$bpid"
  run_wrk haproxy "$hp" "$hpid"
  run_wrk nginx "$np" "$npid"
  [ -z "$baseline" ] || run_wrk baseline "$lp" "$lpid"
done

echo "balancer benchmark: wrk -t1 -c$connections -d${duration}s x $rounds rounds, 3 nginx backends, proxy on CPU 0, backends+wrk on CPU 1, load average $(cut -d' ' -f1 /proc/loadavg)"
echo "per round:"
awk '{e=$8; for (i=9;i<=NF;i++) e=e" "$i
      printf "  %-18s %8.0f req/s  p99 %7.3f ms  %6.2f CPU us/req (user %5.2f)  backends %5.2f us/req  %s\n", $1, $2, $3, $4, $5, $6, (e=="none" ? "" : e)}' "$work/results"
echo "medians:"
labels="scalelab-balancer haproxy nginx"
[ -z "$baseline" ] || labels="$labels baseline"
awk -v rounds="$rounds" -v labels="$labels" '
  function median(arr, n,   i, j, t) { for (i=1;i<=n;i++) for (j=i+1;j<=n;j++) if (arr[j] < arr[i]) { t=arr[i]; arr[i]=arr[j]; arr[j]=t }
                                      return (n % 2) ? arr[(n+1)/2] : (arr[n/2] + arr[n/2+1]) / 2 }
  { n[$1]++; r[$1, n[$1]] = $2; p[$1, n[$1]] = $3; c[$1, n[$1]] = $4; u[$1, n[$1]] = $5; bk[$1, n[$1]] = $6; if ($7 > rss[$1]) rss[$1] = $7 }
  END {
    nl = split(labels, names, " ")
    for (k=1;k<=nl;k++) { l=names[k]; delete a; delete b; delete d; delete e; delete f
      for (i=1;i<=n[l];i++) { a[i]=r[l,i]; b[i]=p[l,i]; d[i]=c[l,i]; e[i]=u[l,i]; f[i]=bk[l,i] }
      mr[l]=median(a, n[l]); mp[l]=median(b, n[l]); mc[l]=median(d, n[l]); mu[l]=median(e, n[l]); mb[l]=median(f, n[l]) }
    printf "  %-18s %8s %8s %10s %11s %14s %11s %9s %9s %12s\n", "proxy", "req/s", "p99 ms", "CPU us/req", "user us/req", "backends us/req", "req/s ratio", "p99 ratio", "CPU ratio", "peak RSS MiB"
    for (k=1;k<=nl;k++) { l=names[k]
      printf "  %-18s %8.0f %8.3f %10.2f %11.2f %14.2f %11.2f %9.2f %9.2f %12.1f\n", l, mr[l], mp[l], mc[l], mu[l], mb[l], mr[l]/mr["haproxy"], mp[l]/mp["haproxy"], mc[l]/mc["haproxy"], rss[l]/1024 }
  }' "$work/results"

# Sourced by the balancer benchmarks (run.sh, callgrind.sh): the pieces both need, so
# the proxies they measure see the same backends and the same configuration.

# Checks the tools and the balancer binary, then makes the scratch directory `work` and
# the array `pids`, whose processes are killed on exit (KEEP=1 keeps `work`). Arguments:
# the script's name, the build directory (empty: build-balancer, else build), the tools.
bench_init() {
  local name=$1 build=$2 tool d
  shift 2
  if [ -z "$build" ]; then
    for d in build-balancer build; do [ -x "$d/bin/scalelab-balancer" ] && { build=$d; break; }; done
  fi
  balancer_bin="$build/bin/scalelab-balancer"
  [ -x "$balancer_bin" ] || { echo "$name: no scalelab-balancer in '$build' (build it first)" >&2; exit 1; }
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "$name: '$tool' is not installed" >&2; exit 1; }
  done
  work=$(mktemp -d "/tmp/scalelab-$name-XXXXXX")
  pids=()
  trap bench_cleanup EXIT
}
bench_cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}

# free_port, wait_port, callgrind_count and the rest every benchmark shares.
. bench/lib.sh

# Three trivial backends: one nginx worker, three ports, a fixed 200 answer. Sets b1, b2
# and b3. Arguments: a command prefix (e.g. "taskset -c 1"), possibly empty.
start_backends() {
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
  "$@" nginx -c "$work/backends/nginx.conf" -p "$work/backends" & pids+=($!)
  wait_port "$b1" && wait_port "$b2" && wait_port "$b3"
}

# The scalelab-balancer command line both benchmarks run (one event loop, access log
# on), into the array balancer_cmd. Arguments: the binary, the proxy port, the admin port.
balancer_command() {
  balancer_cmd=("$1" --listen "127.0.0.1:$2" --admin-listen "127.0.0.1:$3" --threads 1
    --backend "b1=127.0.0.1:$b1" --backend "b2=127.0.0.1:$b2" --backend "b3=127.0.0.1:$b3"
    --max-conns-per-backend 64 --health-path /)
}

# HAProxy 2.6: one thread, round robin, keep-alive both sides, X-Forwarded-For added.
# Arguments: the config file to write, the port.
write_haproxy_config() {
  cat > "$1" <<CONF
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
  bind 127.0.0.1:$2
  default_backend be
backend be
  balance roundrobin
  http-reuse always
  server b1 127.0.0.1:$b1
  server b2 127.0.0.1:$b2
  server b3 127.0.0.1:$b3
CONF
}

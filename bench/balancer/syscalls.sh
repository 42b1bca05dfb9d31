#!/usr/bin/env bash
# System calls per request, for scalelab-balancer (and another build with --baseline)
# beside HAProxy 2.6, at full speed: perf counts the kernel's syscall tracepoints on
# each proxy while wrk drives it. The kernel's share of a proxy's CPU is mostly system
# calls (each costs about 1.5 to 3 us on this virtual machine), so this count explains
# the CPU figures of run.sh; unlike them it barely moves with the neighbours' load,
# except for the reads that find nothing yet (EAGAIN), which depend on timing.
#
#   bench/balancer/syscalls.sh [--duration S] [--build DIR] [--baseline DIR]
#
# Same shape as run.sh: three trivial nginx backends on CPU 1 with wrk, the proxy on
# CPU 0, one thread, round robin, keep-alive both sides, 64 connections.
# Needs: perf (with the syscalls tracepoints, i.e. as root), nginx, haproxy, wrk, taskset.
set -euo pipefail
cd "$(dirname "$0")/../.."

duration=5
build=""
baseline=""
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --baseline) baseline=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "syscalls.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
. bench/balancer/common.sh
bench_init syscalls-balancer "$build" perf nginx haproxy wrk taskset
if [ -n "$baseline" ] && [ ! -x "$baseline/bin/scalelab-balancer" ]; then
  echo "syscalls.sh: no scalelab-balancer in '$baseline'" >&2
  exit 1
fi
case "$(perf list tracepoint 2>/dev/null)" in
  *syscalls:sys_enter_recvfrom*) ;;
  *) echo "syscalls.sh: perf cannot see the syscalls tracepoints (run as root)" >&2; exit 1 ;;
esac

start_backends taskset -c 1
calls=(recvfrom recvmsg read readv sendto sendmsg write writev epoll_wait epoll_ctl timerfd_settime accept4 accept close)
events=$(printf 'syscalls:sys_enter_%s,' "${calls[@]}")
events=${events%,}

# Counts one proxy's system calls over a wrk run and prints them per request.
count() {  # label port pid
  local label=$1 port=$2 pid=$3 perf_pid requests
  wait_port "$port"
  taskset -c 1 wrk -t1 -c64 -d2s "http://127.0.0.1:$port/" >/dev/null  # warm-up: pools filled
  perf stat -x, -e "$events" -p "$pid" -o "$work/$label.perf" & perf_pid=$!
  sleep 0.3
  taskset -c 1 wrk -t1 -c64 -d"${duration}s" "http://127.0.0.1:$port/" > "$work/$label.wrk"
  kill -INT "$perf_pid"
  wait "$perf_pid" || true
  requests=$(awk '/requests in/ {print $1}' "$work/$label.wrk")
  echo "$label: $requests requests, $(awk '/Requests\/sec/ {print $2}' "$work/$label.wrk") req/s; system calls per request:"
  awk -F, -v r="$requests" '$1 ~ /^[0-9]+$/ && $1 > 0 {
      name = $3; sub("syscalls:sys_enter_", "", name); printf "  %-16s %6.3f\n", name, $1 / r; total += $1 }
    END { printf "  %-16s %6.3f\n", "total", total / r }' "$work/$label.perf"
  kill "$pid" 2>/dev/null || true
}

run_balancer() {  # label binary
  local port admin
  port=$(free_port); admin=$(free_port)
  balancer_command "$2" "$port" "$admin"
  taskset -c 0 "${balancer_cmd[@]}" >/dev/null 2>&1 & pids+=($!)
  count "$1" "$port" "$!"
}

run_balancer scalelab-balancer "$balancer_bin"
[ -n "$baseline" ] && run_balancer baseline "$baseline/bin/scalelab-balancer"
hp=$(free_port)
write_haproxy_config "$work/haproxy.cfg" "$hp"
taskset -c 0 haproxy -f "$work/haproxy.cfg" -db >/dev/null 2>&1 & pids+=($!)
count haproxy "$hp" "$!"

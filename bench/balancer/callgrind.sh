#!/usr/bin/env bash
# Instructions and heap allocations per request, for scalelab-balancer and HAProxy 2.6,
# counted by callgrind over a fixed number of keep-alive GETs (bench/fixed_load.py). Unlike
# req/s on this shared 2-core machine, these counts do not move with the neighbours'
# load: they are the figures to compare changes by. They cover user space only (the
# kernel's TCP work is the same for both proxies; run.sh's CPU us/req includes it).
#
#   bench/balancer/callgrind.sh [--requests N] [--connections N] [--build DIR] [--proxy balancer|haproxy|both]
#
# Same shape as run.sh: three trivial nginx backends, round robin, keep-alive both
# sides, one thread, the balancer with its access log on. Counting starts after a
# warm-up (callgrind_control -z) and stops after the last answer (callgrind_control -d),
# so start-up and shutdown are excluded. Allocations are calls to malloc, calloc,
# realloc and the aligned variants (operator new goes through malloc).
#
# Needs: valgrind, nginx, haproxy, python3, and a built scalelab-balancer.
set -euo pipefail
cd "$(dirname "$0")/../.."

requests=20000
connections=64
build=""
which=both
while [ $# -gt 0 ]; do
  case "$1" in
    --requests) requests=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --proxy) which=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "callgrind.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
. bench/balancer/common.sh
bench_init callgrind-balancer "$build" valgrind callgrind_control nginx haproxy python3

start_backends

measure() {  # label port pid dumpprefix
  callgrind_count "$1" "$2" "$3" "$4" "$requests" "$connections"
  kill "$3" 2>/dev/null || true
}

vg=(valgrind --tool=callgrind --dump-instr=no --collect-jumps=no)

if [ "$which" = both ] || [ "$which" = balancer ]; then
  bp=$(free_port); ba=$(free_port)
  balancer_command "$balancer_bin" "$bp" "$ba"
  "${vg[@]}" --callgrind-out-file="$work/balancer.cg" "${balancer_cmd[@]}" 2>"$work/balancer.log" & bpid=$!
  pids+=($bpid)
  measure scalelab-balancer "$bp" "$bpid" "$work/balancer.cg"
fi

if [ "$which" = both ] || [ "$which" = haproxy ]; then
  hp=$(free_port)
  write_haproxy_config "$work/haproxy.cfg" "$hp"
  "${vg[@]}" --callgrind-out-file="$work/haproxy.cg" haproxy -f "$work/haproxy.cfg" -db >/dev/null 2>&1 & hpid=$!
  pids+=($hpid)
  measure haproxy "$hp" "$hpid" "$work/haproxy.cg"
fi

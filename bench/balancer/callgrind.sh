#!/usr/bin/env bash
# Instructions and heap allocations per request, for scalelab-balancer and HAProxy 2.6,
# counted by callgrind over a fixed number of keep-alive GETs (fixed_load.py). Unlike
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
load="bench/balancer/fixed_load.py"

start_backends

# Sums the totals of a callgrind dump: instructions (the "totals:" line) and the calls
# into the allocation functions (each "calls=N" line that follows a cfn= naming one).
summarize() {  # label dumpfile
  python3 - "$1" "$2" "$requests" <<'PY'
import re, sys
label, path, requests = sys.argv[1], sys.argv[2], int(sys.argv[3])
alloc = {"malloc", "calloc", "realloc", "memalign", "posix_memalign", "aligned_alloc"}
names, total, allocs, cfn = {}, 0, 0, None
for line in open(path, errors="replace"):
    if line.startswith("totals:") or line.startswith("summary:"):
        total = int(line.split()[1])
    # Function names are compressed: "(id) name" the first time, "(id)" after, with
    # one id space shared by fn= and cfn= lines.
    m = re.match(r"(c?fn)=\((\d+)\)(?: (.*))?", line)
    if m:
        if m.group(3):
            names[m.group(2)] = m.group(3).strip()
        cfn = names.get(m.group(2), "") if m.group(1) == "cfn" else None
        continue
    if line.startswith("calls=") and cfn is not None:
        if cfn.split("'")[0] in alloc:
            allocs += int(line.split("=")[1].split()[0])
        cfn = None
print(f"{label:18s} {total / requests:10.0f} instructions/request {allocs / requests:8.2f} allocations/request")
PY
}

measure() {  # label port pid dumpprefix
  local label=$1 port=$2 pid=$3 out=$4
  wait_port "$port"
  python3 "$load" "$port" --requests 2000 --connections "$connections" >/dev/null  # warm-up
  callgrind_control -z "$pid" >/dev/null 2>&1
  python3 "$load" "$port" --requests "$requests" --connections "$connections" >/dev/null
  callgrind_control -d "$pid" >/dev/null 2>&1
  # The dump lands in "$out.1" once the process notices the command; wait until its
  # size settles.
  local size=-1
  for _ in $(seq 300); do
    [ -s "$out.1" ] && [ "$(stat -c %s "$out.1")" = "$size" ] && break
    size=$(stat -c %s "$out.1" 2>/dev/null || echo -1)
    sleep 0.2
  done
  summarize "$label" "$out.1"
  kill "$pid" 2>/dev/null || true
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

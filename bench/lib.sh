# Sourced by the benchmarks under bench/: the few shell pieces several of them need, so
# that every figure in RESULTS.md is read and summarised the same way.

# A port nothing listens on, from a random start between 20000 and the kernel's
# ephemeral range. Above it, a port can be held by a client connection of the run
# before (wrk's thousand connections linger in TIME_WAIT), and a server that binds it
# fails to start.
free_port() {
  local low=32768
  [ -r /proc/sys/net/ipv4/ip_local_port_range ] && read -r low _ </proc/sys/net/ipv4/ip_local_port_range
  local span=$(( low > 22000 ? low - 21000 : 1000 ))
  local p=$(( 20000 + RANDOM % span ))
  while (echo >/dev/tcp/127.0.0.1/$p) 2>/dev/null; do p=$((p + 1)); done
  echo $p
}

# Waits until something listens on 127.0.0.1:PORT, up to 60 s (a server under valgrind
# takes seconds to start); fails after that.
wait_port() { for _ in $(seq 1200); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }

# The median of numbers given as arguments, or one per line on stdin when none are.
median() {
  if [ "$#" -gt 0 ]; then printf '%s\n' "$@"; else cat; fi |
    sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'
}

# The environment every benchmark gives scalelab-app, as NAME=value words for env(1):
# instance ID, listening on 127.0.0.1:PORT with no admin listener, its data under DIR,
# and neither the per-user rate limit nor the simulated catalog latency in the way.
# Arguments: ID PORT DIR (no spaces in them).
bench_app_env() {
  echo "SCALELAB_INSTANCE_ID=$1 SCALELAB_LISTEN=127.0.0.1:$2 SCALELAB_ADMIN_LISTEN=0 SCALELAB_DATA_DIR=$3" \
       "SCALELAB_RATE_LIMIT=1000000000 SCALELAB_DB_LATENCY_MS=0"
}

# Logs in as "bench" on the scalelab-app at 127.0.0.1:PORT and prints its session
# cookie ("sid=..."), or nothing when no session came back.
session_cookie() {
  curl -s -D - -o /dev/null -X POST "http://127.0.0.1:$1/api/login" -d '{"user":"bench"}' |
    tr -d '\r' | sed -n 's/^Set-Cookie: \(sid=[^;]*\).*/\1/p'
}

# Readings of one `wrk --latency` output, given as the argument: requests per second,
# the 99th percentile in milliseconds (wrk prints us, ms or s), the request count.
wrk_rps() { awk '/Requests\/sec/ {print $2}' <<<"$1"; }
wrk_p99_ms() {
  awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub("us","",v); v/=1000} else if (v ~ /ms$/) {sub("ms","",v)} else if (v ~ /s$/) {sub("s","",v); v*=1000}; print v}' <<<"$1"
}
wrk_requests() { awk '/requests in/ {print $1}' <<<"$1"; }

# Says on stderr when a wrk run saw answers other than 2xx (the benchmarks measure
# successes). Arguments: the wrk output, then words naming the run.
wrk_warn_non2xx() {
  local out=$1
  shift
  if grep -q "Non-2xx" <<<"$out"; then echo "$(basename "$0"): non-2xx answers from $*" >&2; grep Non-2xx <<<"$out" >&2; fi
  return 0
}

# Sums the totals of a callgrind dump: instructions (the "totals:" line) and the calls
# into the allocation functions (each "calls=N" line that follows a cfn= naming one).
callgrind_summary() {  # label dumpfile requests
  python3 - "$1" "$2" "$3" <<'PY'
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
print(f"{label:28s} {total / requests:10.0f} instructions/request {allocs / requests:8.2f} allocations/request")
PY
}

# Counts what a server under `valgrind --tool=callgrind --callgrind-out-file=DUMP` does
# for a fixed number of keep-alive GETs (bench/fixed_load.py): a warm-up of 2000, then
# the counters zeroed (callgrind_control -z), the requests, and a dump (-d), so
# start-up and shutdown are left out. Prints callgrind_summary's line. Arguments: the
# label, the port, the server's pid, DUMP, the requests, the connections, then any
# further fixed_load.py options (--path, --header).
callgrind_count() {
  local label=$1 port=$2 pid=$3 out=$4 requests=$5 connections=$6
  shift 6
  wait_port "$port"
  python3 bench/fixed_load.py "$port" --requests 2000 --connections "$connections" "$@" >/dev/null  # warm-up
  callgrind_control -z "$pid" >/dev/null 2>&1
  python3 bench/fixed_load.py "$port" --requests "$requests" --connections "$connections" "$@" >/dev/null
  callgrind_control -d "$pid" >/dev/null 2>&1
  # The dump lands in "$out.1" once the process notices the command; wait until its
  # size settles.
  local size=-1
  for _ in $(seq 300); do
    [ -s "$out.1" ] && [ "$(stat -c %s "$out.1")" = "$size" ] && break
    size=$(stat -c %s "$out.1" 2>/dev/null || echo -1)
    sleep 0.2
  done
  callgrind_summary "$label" "$out.1" "$requests"
}

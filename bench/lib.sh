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

# The median of numbers given as arguments, or one per line on stdin when none are.
median() {
  if [ "$#" -gt 0 ]; then printf '%s\n' "$@"; else cat; fi |
    sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'
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

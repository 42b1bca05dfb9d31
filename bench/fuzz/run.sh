#!/usr/bin/env bash
# Fuzz campaign: each libFuzzer target for a number of executions (10 million by
# default), from the seeds in seeds.sh plus whatever corpus earlier campaigns left in
# the work folder. Prints, per target: executions, seconds, executions per second,
# coverage (cov, ft) and corpus size, as libFuzzer reports them; any crash fails the
# run, and its input is kept in the work folder. Record the figures in RESULTS.md.
#
#   bench/fuzz/run.sh [--runs N] [--time SECONDS] [--jobs J] [--build DIR] [--work DIR] [TARGET...]
#
# Targets (default: all): balancer_fuzz_request (the request parser, whole buffers),
# balancer_fuzz_stream (header read and body relay, in pieces), common_fuzz_request_gate
# (the request gate in front of the app and the supervisor, in pieces). --time stops each target after that many seconds
# even if the runs are not done (CI runs each for 60 s). --jobs J runs J fuzzers side
# by side per target, sharing the corpus, each for its share of the runs. Needs clang
# (Debian's clang and libclang-rt-14-dev).
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=10000000
seconds_cap=0
jobs=1
build=build
work=""
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --time) seconds_cap=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    -*) echo "run.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(balancer_fuzz_request balancer_fuzz_stream common_fuzz_request_gate)
work=${work:-$build/fuzz}
mkdir -p "$work"
build=$(cd "$build" && pwd)
work=$(cd "$work" && pwd)
. bench/fuzz/seeds.sh
command -v clang++ >/dev/null || { echo "run.sh: clang++ is not installed" >&2; exit 1; }
if ! cmake --build "$build" --target "${targets[@]}" > "$work/build.log" 2>&1; then
  tail -30 "$work/build.log" >&2
  echo "run.sh: building the fuzz targets failed (log: $work/build.log)" >&2
  exit 1
fi

for t in "${targets[@]}"; do
  corpus="$work/$t/corpus"
  write_seeds "$t" "$corpus"
  mkdir -p "$work/$t/crashes"
  start=$(date +%s)
  per_job=$(( runs / jobs ))
  pids=()
  for j in $(seq 1 "$jobs"); do
    ( cd "$work/$t/crashes" && exec "$build/bin/$t" "$corpus" -runs="$per_job" -max_len=65536 \
        -max_total_time="$seconds_cap" -print_final_stats=1 ) > "$work/$t/job-$j.log" 2>&1 &
    pids+=($!)
  done
  status=0
  for p in "${pids[@]}"; do wait "$p" || status=1; done
  seconds=$(( $(date +%s) - start ))
  executed=$(awk '/stat::number_of_executed_units/ {s += $NF} END {print s + 0}' "$work/$t"/job-*.log)
  last=$(grep -h "DONE\|pulse" "$work/$t"/job-*.log | tail -1)
  printf '%s: %s executions in %s s (%s/s, %s jobs); %s; corpus %s files; %s\n' "$t" "$executed" "$seconds" \
    "$(( executed / (seconds > 0 ? seconds : 1) ))" "$jobs" \
    "$(echo "$last" | grep -o 'cov: [0-9]* ft: [0-9]*' || echo 'cov: ?')" "$(ls "$corpus" | wc -l)" \
    "$([ $status -eq 0 ] && echo 'no crash' || echo "CRASH: see $work/$t/crashes and job logs")"
  if [ $status -ne 0 ]; then
    # the cause, the first frames of the sanitizer's report, and the input (a full Asio
    # stack is thousands of characters a frame)
    grep -h -E "Assertion|ERROR|SUMMARY|^ +#[0-4] |Test unit written|^Base64" "$work/$t"/job-*.log | cut -c1-300 | head -40 >&2
    exit 1
  fi
done

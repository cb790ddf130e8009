#!/usr/bin/env bash
# Runs every fuzz target of a PIPE_FUZZ build for SECONDS each, one after the
# other (one core), and prints executions per target.  New corpus entries go
# to BUILD/fuzz/corpus/<target> (the repository's seeds stay as they are);
# an input that crashes, leaks, hits UB, runs out of memory or times out is
# saved as BUILD/fuzz/findings/<target>/crash-*: fix the parser, then move
# the input to fuzz/regressions/<target>/ so every build replays it.
# Usage: fuzz/run.sh BUILD SECONDS [TARGET...]
set -uo pipefail
cd "$(dirname "$0")/.."
build=$1
seconds=$2
shift 2
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(image_decode pipeline_yaml set_override manifest idx safetensors store_db dataset_file)

# Longest input per target: the largest seed with room to grow (the store's
# seed is a 10 KB SQLite file, an image seed 2 KB).
max_len() {
  case $1 in
    store_db) echo 32768 ;;
    image_decode) echo 16384 ;;
    *) echo 8192 ;;
  esac
}

failed=()
printf '%-14s %12s %10s  %s\n' target executions "execs/s" result
for t in "${targets[@]}"; do
  corpus=$build/fuzz/corpus/$t
  findings=$build/fuzz/findings/$t
  mkdir -p "$corpus" "$findings"
  log=$build/fuzz/$t.log
  # -rss_limit_mb: ASan's own memory included; a single allocation above
  # malloc_limit_mb (a size taken from a header) is a finding.
  "$build/fuzz/fuzz_$t" "$corpus" fuzz/seeds/$t $( [ -d fuzz/regressions/$t ] && echo fuzz/regressions/$t ) \
    -max_total_time="$seconds" -max_len="$(max_len "$t")" -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$findings/" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  if [ $rc -eq 0 ]; then
    printf '%-14s %12s %10s  %s\n' "$t" "${execs:-?}" "${rate:-?}" ok
  else
    printf '%-14s %12s %10s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "FAILED (exit $rc; see $log)"
    grep -m3 -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | sed 's/^/    /'
    ls "$findings" | sed "s|^|    $findings/|"
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "pipe: error: fuzzing found inputs that fail: ${failed[*]}" >&2
  echo "  fix the parser, then move each input to fuzz/regressions/<target>/ (make test replays them)" >&2
  exit 1
fi

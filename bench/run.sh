#!/usr/bin/env bash
# pipe against the reference PyTorch scripts, on the same models and shapes, in one run.
# Usage: bench/run.sh BUILD_DIR [CASE ...]          (called by `make bench`; default: every case)
#
# Prints one line per case on stdout:
#   bench <case> pipe <value> <unit> reference <value|-> <unit> speedup <x|->
# speedup = reference / pipe for times, pipe / reference for rates (> 1: pipe is ahead).
# Each side runs every case with 1 and with 2 threads, in separate processes, and keeps its
# faster setting. The reference runs in the tuned setup of ../shared/bench/reference.sh:
# OpenBLAS unpacked from the Debian package into a cache folder (nothing installed system-wide),
# glibc malloc tunables, channels_last for the CNNs. Without an importable torch it prints `-`.
# Raw JSON of every measurement goes to bench/out/ (git-ignored).
#
# Other bench binaries in BUILD_DIR (image_bench, ...) are run when they exist; every line they
# print that starts with "bench " is passed through as it is.
# Environment: BENCH_THREADS (default "1 2"), BENCH_REPS (timed repetitions, default 3).
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:?usage: bench/run.sh BUILD_DIR [CASE ...]}" && pwd)"
shift
nn_cases=(cnn_train_epoch cnn_infer mlp_train_epoch rnn_train_epoch hiero_train_epoch eng_train_step)
cases=("$@")
[ ${#cases[@]} -eq 0 ] && cases=("${nn_cases[@]}" ingest_clean dedup train_stage_cnn_epoch train_stage_cnn_epoch_aug cached_rerun
                                  multiscript_peak_rss rss_growth)
threads=(${BENCH_THREADS:-1 2})
reps="${BENCH_REPS:-3}"
out="$root/bench/out"
mkdir -p "$out"
log="$out/$(date +%Y%m%d-%H%M%S)"
python=/usr/bin/python3
wanted() { local c; for c in "${cases[@]}"; do [ "$c" = "$1" ] && return 0; done; return 1; }
say() { echo "bench: $*" >&2; }

# ---- the tuned reference environment -------------------------------------------------------
cache="${XDG_CACHE_HOME:-$HOME/.cache}/pipe-reference"
ob="$cache/openblas/usr/lib/x86_64-linux-gnu/openblas-pthread"
ref_env=(GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296:glibc.malloc.hugetlb=1
         OPENBLAS_NUM_THREADS=1)
if [ ! -e "$ob/libblas.so.3" ]; then
  (mkdir -p "$cache/deb" && cd "$cache/deb" && apt-get download -qq libopenblas0-pthread >/dev/null 2>&1 &&
   dpkg -x "$cache"/deb/libopenblas0-pthread_*.deb "$cache/openblas") ||
    say "could not unpack OpenBLAS into $cache; the reference runs without it"
fi
[ -e "$ob/libblas.so.3" ] && ref_env+=(LD_LIBRARY_PATH="$ob")
have_torch=0
[ -x "$python" ] && "$python" -c "import torch" 2>/dev/null && have_torch=1
[ $have_torch = 1 ] || say "torch is not importable by $python (apt-get install python3-torch); reference: -"

# ---- helpers --------------------------------------------------------------------------------
# field JSON KEY: a flat string or number field of a one-line JSON object.
field() {
  sed -n 's/.*"'"$2"'": *\("\([^"]*\)"\|\([-+0-9.eE]*\|null\|true\|false\)\).*/\2\3/p' <<<"$1" | head -n 1
}
# best UNIT FILE CASE: the best value of CASE over the JSON lines in FILE (min time, max rate).
best() {
  local unit="$1" file="$2" c="$3" line v b="" bl=""
  while IFS= read -r line; do
    [ "$(field "$line" case)" = "$c" ] || continue
    v="$(field "$line" value)"
    case "$v" in ""|null) continue;; esac
    if [ -z "$b" ] || awk -v v="$v" -v b="$b" -v u="$unit" 'BEGIN{exit !(u~/\/s$/ ? v>b : v<b)}'; then
      b="$v"; bl="$line"
    fi
  done < <(cat "$file" 2>/dev/null)
  printf '%s\n' "$bl"
}
# cpu_median FILE CASE THREADS: median process CPU seconds of CASE's timed runs with THREADS threads.
cpu_median() {
  local line
  while IFS= read -r line; do
    [ "$(field "$line" case)" = "$2" ] && [ "$(field "$line" threads)" = "$3" ] || continue
    sed -n 's/.*"cpu_s": *\[\([^]]*\)\].*/\1/p' <<<"$line" | tr ',' '\n' | sort -g |
      awk '{v[NR]=$1} END{if (NR) printf "%.4f", NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'
    return
  done < <(cat "$1" 2>/dev/null)
}
# line CASE UNIT PIPE_VALUE REF_VALUE: the bench line.
line() {
  local c="$1" unit="$2" p="${3:--}" r="${4:--}" s="-"
  fmt() { [ "$1" = - ] && echo - || awk -v v="$1" 'BEGIN{ printf (v >= 100 ? "%.0f" : v >= 1 ? "%.3g" : "%.3f"), v }'; }
  p="$(fmt "$p")"; r="$(fmt "$r")"
  if [ "$p" != - ] && [ "$r" != - ]; then
    s="$(awk -v p="$p" -v r="$r" -v u="$unit" 'BEGIN{ if (u ~ /\/s$|^of-peak$/) x = p / r; else x = r / p;
                                                    printf "%.2f", x }')"
  fi
  echo "bench $c pipe $p $unit reference $r $unit speedup $s"
}

# ---- the nn cases: reference and pipe, each with 1 and 2 threads ----------------------------
nn_bench="$build/nn_bench"
[ -x "$nn_bench" ] || say "$nn_bench not built; pipe: -"
declare -A unit_of=([cnn_infer]=img/s)
for c in "${nn_cases[@]}"; do
  wanted "$c" || continue
  for t in "${threads[@]}"; do
    if [ $have_torch = 1 ]; then
      env "${ref_env[@]}" OMP_NUM_THREADS="$t" "$python" "$root/bench/torch_reference.py" --threads "$t" \
        --channels-last --reps "$reps" "$c" >>"$log.reference.jsonl" 2>>"$log.stderr" ||
        say "reference $c with $t threads failed (see $log.stderr)"
    fi
    if [ -x "$nn_bench" ]; then
      OMP_NUM_THREADS="$t" "$nn_bench" --threads "$t" --reps "$reps" "$c" >>"$log.pipe.jsonl" 2>>"$log.stderr" ||
        say "nn_bench $c with $t threads failed (see $log.stderr)"
    fi
  done
  u="${unit_of[$c]:-s}"
  pl="$(best "$u" "$log.pipe.jsonl" "$c")"
  rl="$(best "$u" "$log.reference.jsonl" "$c")"
  line "$c" "$u" "$(field "$pl" value)" "$(field "$rl" value)"
  [ -n "$pl" ] && say "$c: pipe best with $(field "$pl" threads) threads; reference best with $(field "$rl" threads)"
  # A loaded host stretches wall time; one-thread CPU time shows the same comparison less distorted.
  pc="$(cpu_median "$log.pipe.jsonl" "$c" 1)"; rc="$(cpu_median "$log.reference.jsonl" "$c" 1)"
  [ -n "$pc" ] && [ -n "$rc" ] &&
    say "$c: one-thread CPU seconds: pipe $pc, reference $rc, ratio $(awk -v p="$pc" -v r="$rc" 'BEGIN{printf "%.2f", r/p}')"
  if [ "$c" = cnn_train_epoch ] && [ -n "$pl" ]; then
    # Arithmetic rate of the CNN epoch, and how much of the measured sgemm peak it is.
    flop="$(field "$pl" train_flop_per_image)"; n="$(field "$pl" images)"
    pg="$(awk -v f="$flop" -v n="$n" -v s="$(field "$pl" value)" 'BEGIN{printf "%.1f", f*n/s/1e9}')"
    rg=-
    [ -n "$rl" ] && rg="$(awk -v f="$flop" -v n="$n" -v s="$(field "$rl" value)" 'BEGIN{printf "%.1f", f*n/s/1e9}')"
    line cnn_train_gflops GFLOP/s "$pg" "$rg"
    # The fraction of the sgemm peak by one-thread CPU time on both sides (a loaded host stretches
    # wall time, and not evenly between the epoch and the sgemm measured after it).
    p1="$(while IFS= read -r l; do [ "$(field "$l" case)" = cnn_train_epoch ] && [ "$(field "$l" threads)" = 1 ] &&
            field "$l" sgemm_peak_cpu_gflops; done < "$log.pipe.jsonl" | head -n 1)"
    pc="$(cpu_median "$log.pipe.jsonl" cnn_train_epoch 1)"; rc="$(cpu_median "$log.reference.jsonl" cnn_train_epoch 1)"
    if [ -n "$p1" ] && [ -n "$pc" ]; then
      frac() { awk -v f="$flop" -v n="$n" -v c="$1" -v p="$p1" 'BEGIN{printf "%.3f", f*n/c/1e9/p}'; }
      pf="$(frac "$pc")"; rf=-
      [ -n "$rc" ] && rf="$(frac "$rc")"
      line cnn_train_sgemm_fraction of-peak "$pf" "$rf"
      say "$(awk -v f="$flop" -v n="$n" -v c="$pc" -v p="$p1" 'BEGIN{printf "cnn_train_epoch on one thread: %.1f GFLOP/s by CPU time; oneDNN sgemm 2048^3 peak %.1f GFLOP/s (one thread, CPU time)", f*n/c/1e9, p}')"
    fi
  fi
  if [ "$c" = cnn_train_epoch ] && wanted rss_growth && [ -n "$pl" ]; then
    g="$(field "$pl" rss_growth_mb)"
    [ -n "$g" ] && echo "bench rss_growth pipe $g MB reference - MB speedup -"
  fi
done

# ---- other areas' bench binaries ------------------------------------------------------------
if wanted ingest_clean && [ -x "$build/image_bench" ]; then
  OMP_NUM_THREADS=1 "$build/image_bench" ingest_clean png_decode 2>>"$log.stderr" | tee -a "$log.image.txt" | grep '^bench ' ||
    say "image_bench printed no bench line (see $log.stderr)"
elif wanted ingest_clean; then
  say "$build/image_bench not built; ingest_clean skipped"
fi
if wanted dedup && [ -x "$build/image_bench" ]; then
  "$build/image_bench" dedup 2>>"$log.stderr" | tee -a "$log.image.txt" | grep '^bench ' ||
    say "image_bench dedup printed no bench line (see $log.stderr)"
elif wanted dedup; then
  say "$build/image_bench not built; dedup skipped"
fi

# ---- the pipe binary on the default experiment ----------------------------------------------
pipe="$build/pipe"
exp="$root/experiments/multiscript.yaml"
if { wanted cached_rerun || wanted multiscript_peak_rss; } && [ -x "$pipe" ] && [ -e "$exp" ] && [ -x "$nn_bench" ]; then
  results="$(mktemp -d)"
  # nn_bench --exec runs a command and prints its wall time and peak RSS as JSON.
  first="$("$nn_bench" --exec -- "$pipe" run "$exp" --results "$results" 2>>"$log.stderr")"
  echo "$first" >>"$log.pipe.jsonl"
  if [ "$(field "$first" exit_code)" = 0 ]; then
    wanted multiscript_peak_rss &&
      echo "bench multiscript_peak_rss pipe $(awk -v v="$(field "$first" peak_rss_mb)" 'BEGIN{printf "%.0f", v}') MB reference - MB speedup -"
    if wanted cached_rerun; then
      for i in 1 2 3; do
        again="$("$nn_bench" --exec -- "$pipe" run "$exp" --results "$results" 2>>"$log.stderr")"
        echo "$again" >>"$log.pipe.jsonl"
        field "$again" seconds
      done | sort -g | sed -n 2p | while read -r s; do
        echo "bench cached_rerun pipe $(awk -v s="$s" 'BEGIN{printf "%.3f", s}') s reference - s speedup -"
      done
    fi
  else
    say "pipe run $exp failed (exit $(field "$first" exit_code); see $log.stderr)"
  fi
  rm -rf "$results"
elif wanted cached_rerun || wanted multiscript_peak_rss; then
  say "needs $pipe, $exp and $nn_bench; cached_rerun and multiscript_peak_rss skipped"
fi
# The CNN epoch through the train stage (loader, metrics) on the multiscript data: the stage logs
# "epoch k/N ... <rate> img/s" for its training part; the median epoch, scaled to 17,556
# images, against nn_bench's cnn_train_epoch (the "reference" column of this line).
# train_stage_cnn_epoch_aug: the same with the `best` variant's online augmentation, against the
# plain train stage: a speedup near 1 means the background loader hides the augmentation.
pipeline="$root/pipelines/multiscript.yaml"
# stage_epoch_rate TAG [--set KEY=VALUE]...: the train stage's best median img/s over the thread counts.
stage_epoch_rate() {
  local tag="$1" t rate best_rate="" results
  shift
  results="$(mktemp -d)"
  for t in "${threads[@]}"; do
    OMP_NUM_THREADS="$t" "$pipe" run "$pipeline" --set train.model="$root/pipelines/models/cnn.yaml" \
      --set train.epochs=4 --set train.batch=128 "$@" --threads "$t" --force train --results "$results" \
      >/dev/null 2>"$log.$tag.$t.txt" || { say "pipe run $pipeline failed (see $log.$tag.$t.txt)"; continue; }
    rate="$(awk 'match($0, /epoch [0-9]+\//) { k = substr($0, RSTART + 6, RLENGTH - 7) + 0
               if (k >= 1 && match($0, /[0-9.]+ img\/s/)) print substr($0, RSTART, RLENGTH - 6) }' \
              "$log.$tag.$t.txt" | sort -g | awk '{v[NR]=$1} END{if (NR) print v[int((NR+1)/2)]}')"
    [ -n "$rate" ] && { [ -z "$best_rate" ] || awk -v a="$rate" -v b="$best_rate" 'BEGIN{exit !(a>b)}'; } && best_rate="$rate"
  done
  rm -rf "$results"
  echo "$best_rate"
}
if { wanted train_stage_cnn_epoch || wanted train_stage_cnn_epoch_aug; } && [ -x "$pipe" ] && [ -e "$pipeline" ]; then
  plain_rate="$(stage_epoch_rate train_stage)"
  if [ -z "$plain_rate" ]; then
    say "the train stage logged no epoch rate; train_stage_cnn_epoch skipped"
  elif wanted train_stage_cnn_epoch; then
    pl="$(best s "$log.pipe.jsonl" cnn_train_epoch)"
    line train_stage_cnn_epoch s "$(awk -v r="$plain_rate" 'BEGIN{print 17556 / r}')" "$(field "$pl" value)"
  fi
  if wanted train_stage_cnn_epoch_aug && [ -n "$plain_rate" ]; then
    aug_rate="$(stage_epoch_rate train_stage_aug --set "augment.ops=[{rotate: 8}, {shift: 0.06}, {zoom: 0.08},
      {aspect: 0.2}, {shear: 6}, {elastic: {alpha: 6, sigma: 4, p: 0.3}}, {stroke: {amount: 0.5, p: 0.3}}]")"
    [ -n "$aug_rate" ] && line train_stage_cnn_epoch_aug s "$(awk -v r="$aug_rate" 'BEGIN{print 17556 / r}')" \
                               "$(awk -v r="$plain_rate" 'BEGIN{print 17556 / r}')"
  fi
elif wanted train_stage_cnn_epoch || wanted train_stage_cnn_epoch_aug; then
  say "needs $pipe and $pipeline; train_stage_cnn_epoch skipped"
fi
say "raw measurements: $log.*"

#!/usr/bin/env bash
# The long fuzzing run of bench/RESULTS.md: every fuzz target in turn, in slices of SLICE seconds, the
# corpus kept between slices, until the executions of all slices together reach TOTAL.
# Usage: fuzz/long_run.sh BUILD_DIR WORK_DIR [TOTAL (default 1e8)] [SLICE (default 300)]
# BUILD_DIR is a tools/asan/test.sh build (clang, ASan + UBSan, libFuzzer). WORK_DIR gets one corpus
# folder per target, artifacts/ with any crash, timeout or out-of-memory input, the log of each slice
# and slices.tsv (target, slice, executions, seconds, peak RSS, edges, exit code). A failing slice
# does not stop the run (its log and artifact are kept); the script exits 1 if any slice failed.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/slices.sh"
build=$1 work=$2
total=$(printf '%.0f' "${3:-1e8}")
slice=${4:-300}
targets=(fuzz_header fuzz_open_header fuzz_model_spec fuzz_tokenizer fuzz_npy fuzz_trace fuzz_dequant fuzz_check)
mkdir -p "$work/logs"
table="$work/slices.tsv"
slices_header "$table"
done_so_far=$(awk -F'\t' 'NR > 1 { s += $3 } END { printf "%d", s }' "$table")
failed=0
round=0
while [ "$done_so_far" -lt "$total" ]; do
  round=$((round + 1))
  for t in "${targets[@]}"; do
    log="$work/logs/$t.$round.log"
    start=$(date +%s)
    "$here/run.sh" "$build/fuzz/$t" "$here/seeds/$t" "$work/corpus/$t" -max_total_time="$slice" \
      -seed="$round" >"$log" 2>&1
    rc=$?
    seconds=$(( $(date +%s) - start ))
    [ "$rc" -eq 0 ] || failed=1
    executions=$(record_slice "$table" "$log" "$t" "$round" "$seconds" "$rc")
    done_so_far=$(( done_so_far + executions ))
    [ "$done_so_far" -lt "$total" ] || break
  done
done
echo "fuzz: $done_so_far executions in total, see $table"
exit "$failed"

#!/usr/bin/env bash
# The long fuzzing run on a machine with many cores: several processes per target at once, each for
# SECONDS, sharing the target's corpus folder (libFuzzer names new inputs by their hash). Writes the same
# WORK_DIR/slices.tsv as fuzz/long_run.sh (one row per process, its slice number the round given).
# Usage: fuzz/parallel_run.sh BIN_DIR WORK_DIR SECONDS ROUND "TARGET:PROCESSES ..."
#   BIN_DIR holds the fuzz_* programs of a tools/asan/test.sh build (clang, ASan + UBSan, libFuzzer).
# Exits 1 if any process found a crash, timeout, leak or out-of-memory input (kept in WORK_DIR/artifacts).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/slices.sh"
bin=$1 work=$2 seconds=$3 round=$4 plan=$5
mkdir -p "$work/logs"
table="$work/slices.tsv"
slices_header "$table"
pids=() logs=() names=()
for spec in $plan; do
  t=${spec%%:*} n=${spec##*:}
  for ((p = 0; p < n; ++p)); do
    log="$work/logs/$t.$round.p$p.log"
    "$here/run.sh" "$bin/$t" "$here/seeds/$t" "$work/corpus/$t" -max_total_time="$seconds" \
      -seed="$((round * 100 + p + 1))" >"$log" 2>&1 &
    pids+=($!) logs+=("$log") names+=("$t")
  done
done
failed=0 total=0
for i in "${!pids[@]}"; do
  wait "${pids[$i]}"
  rc=$?
  [ "$rc" -eq 0 ] || failed=1
  executions=$(record_slice "$table" "${logs[$i]}" "${names[$i]}" "$round" "$seconds" "$rc")
  total=$((total + executions))
done
echo "fuzz: $total executions in this round, ${#pids[@]} processes; exit $failed"
exit "$failed"

# Sourced by fuzz/long_run.sh and fuzz/parallel_run.sh: the table of fuzzing slices they both write.
# slices_header TABLE: creates TABLE with its header line unless it exists.
# record_slice TABLE LOG TARGET SLICE SECONDS EXIT: appends the slice's row, read from libFuzzer's LOG
# (-print_final_stats=1), and prints its executions (0 when the log has none).
slices_header() {
  [ -f "$1" ] || printf 'target\tslice\texecutions\tseconds\tpeak_rss_mb\tedges\texit\n' >"$1"
}
record_slice() {
  local table=$1 log=$2 target=$3 slice=$4 seconds=$5 rc=$6 executions rss edges
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
  edges=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  printf '%s\t%d\t%s\t%d\t%s\t%s\t%d\n' "$target" "$slice" "${executions:-0}" "$seconds" "${rss:-?}" \
    "${edges:-?}" "$rc" >>"$table"
  echo "${executions:-0}"
}

#!/usr/bin/env bash
# Runs one fuzz target over its seed corpus: run.sh TARGET SEEDS WORK [libFuzzer options...].
# New inputs go to WORK (the seeds in the tree are not touched); a crash, timeout or out-of-memory input
# is saved in WORK/../artifacts/ and fails the run. Memory per input: 2 GB; time per input: 60 s of
# wall clock (a hang, not a slow input on a loaded machine: fuzz_check takes ~0.2 s of CPU per input).
set -euo pipefail
target=$1 seeds=$2 work=$3
shift 3
artifacts="$(dirname "$work")/artifacts/$(basename "$target")/"
mkdir -p "$work" "$artifacts"
exec "$target" -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=60 -print_final_stats=1 \
  -artifact_prefix="$artifacts" "$@" "$work" "$seeds"

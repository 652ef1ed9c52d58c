#!/usr/bin/env bash
# One call on the GPU machine that does the most with little device time: build, then at once the long
# fuzzing run on 14 of the 16 cores (fuzz/parallel_run.sh, binaries carried in build-fuzzpack/) and, on
# the GPU, the decode profile (graphs on and off), the dequantization benchmark and the GPU tests.
#   bash bench/cuda/device_round.sh OUT [FUZZ_SECONDS (default 270)]
# carry: .devdeps (gpu_session.sh) and build-fuzzpack (tar of build-fuzzbin/: fuzz_* programs, corpus/)
set -uo pipefail
out=${1:?out dir}
seconds=${2:-270}
bash bench/cuda/gpu_session.sh "$out" notests > "$out/session.txt" 2>&1
tail -3 "$out/session.txt"
fuzz_pid=
if [ -f build-fuzzpack/fuzzbin.tar.xz ]; then
  tar xJf build-fuzzpack/fuzzbin.tar.xz -C /tmp
  mkdir -p /tmp/fuzzwork && cp -r /tmp/build-fuzzbin/corpus /tmp/fuzzwork/
  (nice -n 5 bash fuzz/parallel_run.sh /tmp/build-fuzzbin /tmp/fuzzwork "$seconds" 2 \
     "${FUZZ_PLAN:-fuzz_npy:1 fuzz_header:3 fuzz_open_header:2 fuzz_model_spec:3 fuzz_tokenizer:3 fuzz_trace:2}" \
     > "$out/fuzz.txt" 2>&1
   cp /tmp/fuzzwork/slices.tsv "$out/fuzz-slices.tsv"
   mkdir -p "$out/fuzz-logs" && cp -r /tmp/fuzzwork/artifacts "$out/fuzz-logs/" 2>/dev/null
   for f in /tmp/fuzzwork/logs/*; do tail -15 "$f" > "$out/fuzz-logs/$(basename "$f")"; done) &
  fuzz_pid=$!
fi
export OMP_NUM_THREADS=2
for t in cuda_forward_tests cuda_cli_tests; do
  s=$(date +%s)
  timeout 150 "build-gpu/tests/cuda/$t" > "$out/$t.log" 2>&1
  echo "$t: exit $? in $(( $(date +%s) - s )) s; $(grep -E 'test cases' "$out/$t.log" | tail -1)"
done
grep -B3 -A10 "ERROR" "$out/cuda_forward_tests.log" | head -40
timeout 100 bash bench/cuda/decode_profile.sh build-gpu "$out/decode" qwen2.5-0.5b:q8_0 tinyllama-1.1b:q4_k_m \
  > "$out/decode.log" 2>&1
grep -v '^ ' "$out/decode/decode.txt"
timeout 40 build-gpu/bench/cuda/bench_cuda_dequant --values 67108864 --repeats 3 > "$out/dequant.md" 2>&1
grep -E "^\| (TQ|NVFP4|Q1_0|Q2_0|IQ1|IQ2_XXS|IQ3_S) " "$out/dequant.md"
[ -n "$fuzz_pid" ] && wait "$fuzz_pid"
cat "$out/fuzz.txt"

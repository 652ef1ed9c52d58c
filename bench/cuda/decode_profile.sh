#!/usr/bin/env bash
# Where a generated token's time goes on the GPU (issue 21): for each preset and mix, the wall time per
# token of greedy decode (bench_cuda_forward) beside the GPU's kernel time per token from Nsight Systems,
# its kernel launches per token, and the weight-read floor (weight bytes / device copy bandwidth).
#   bench/cuda/decode_profile.sh BUILD_DIR OUT_DIR [PRESET:MIX ...]
# (default: qwen2.5-0.5b:q8_0 tinyllama-1.1b:f16 tinyllama-1.1b:q8_0 tinyllama-1.1b:q4_k_m)
set -uo pipefail
build=${1:?build dir}; out=${2:?out dir}; shift 2
specs=${*:-qwen2.5-0.5b:q8_0 tinyllama-1.1b:f16 tinyllama-1.1b:q8_0 tinyllama-1.1b:q4_k_m}
work=${BENCH_WORK:-/tmp/gguf-doctor-bench}
mkdir -p "$out" "$work"
nsys=$(command -v nsys || ls /usr/local/cuda/bin/nsys /opt/nvidia/nsight-systems/*/bin/nsys 2>/dev/null | head -1)
decode=64
for spec in $specs; do
  preset=${spec%%:*} mix=${spec##*:}
  model="$work/$preset-$mix.gguf"
  echo "== $preset $mix" | tee -a "$out/decode.txt"
  [ -f "$model" ] || "$build/bench/cuda/bench_cuda_model" make --preset "$preset" --mix "$mix" --out "$model" >/dev/null || continue
  echo "weights: $(stat -c %s "$model") bytes" | tee -a "$out/decode.txt"
  for graphs in 0 1; do
    "$build/bench/cuda/bench_cuda_forward" --model "$model" --prefill 16 --decode "$decode" --repeats 3 \
      --step-graphs $graphs | tee -a "$out/decode.txt"
  done
  if [ -n "$nsys" ]; then
    rep="$work/$preset-$mix"
    "$nsys" profile -t cuda -o "$rep" -f true "$build/bench/cuda/bench_cuda_forward" --model "$model" --prefill 16 \
      --decode "$decode" --repeats 1 --step-graphs 0 >/dev/null 2>&1
    # Kernel time and launches of the whole run (prefill of 16 once, then the decode steps).
    "$nsys" stats -q -r cuda_gpu_kern_sum -f csv "$rep.nsys-rep" > "$out/$preset-$mix-kernels.csv" 2>/dev/null
    "$nsys" stats -q -r cuda_api_sum -f csv "$rep.nsys-rep" > "$out/$preset-$mix-api.csv" 2>/dev/null
    python3 - "$out/$preset-$mix-kernels.csv" "$decode" <<'EOF' | tee -a "$out/decode.txt"
import csv, sys
rows = list(csv.DictReader(l for l in open(sys.argv[1]) if "," in l))
total_ns = sum(float(r["Total Time (ns)"]) for r in rows)
launches = sum(int(r["Instances"]) for r in rows)
steps = int(sys.argv[2]) + 1
print(f"kernels: {total_ns / 1e6:.2f} ms over the run, {launches} launches; per step ~{total_ns / 1e6 / steps:.3f} ms, {launches / steps:.0f} launches")
for r in sorted(rows, key=lambda r: -float(r["Total Time (ns)"]))[:8]:
    print(f"  {float(r['Total Time (ns)']) / 1e6:8.2f} ms {int(r['Instances']):7d}x  {r['Name'][:90]}")
EOF
  else
    echo "no nsys on this machine: kernel times not measured" | tee -a "$out/decode.txt"
  fi
done

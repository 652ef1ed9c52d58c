#!/usr/bin/env bash
# Every GPU benchmark of bench/RESULTS.md's cuda section, on the GPU machine, after a build:
#   bench/cuda/run_benchmarks.sh BUILD_DIR OUT_DIR [dequant] [forward] [check7b] [shaped] [stats]
# Writes OUT_DIR/dequant.md, OUT_DIR/forward.jsonl, OUT_DIR/forward.md, OUT_DIR/check7b.txt, and
# OUT_DIR/stats.txt (bench/dequant's stats-vs-cat benchmark on this machine's 16 cores, then on 2 of them).
set -uo pipefail
build=${1:?build dir}; out=${2:?out dir}; shift 2
parts=${*:-dequant forward check7b}
here=$(cd "$(dirname "$0")" && pwd)
work=${BENCH_WORK:-/tmp/gguf-doctor-bench}
mkdir -p "$out" "$work"
elapsed() { python3 -c 'import sys, time; print(f"{time.time() - float(sys.argv[1]):.2f}")' "$1"; }

if [[ " $parts " == *" dequant "* ]]; then
  echo "== dequant throughput"
  "$build/bench/cuda/bench_cuda_dequant" | tee "$out/dequant.md"
  [ -n "${PACK:-}" ] && eval "$PACK"
fi

if [[ " $parts " == *" forward "* ]]; then
  : > "$out/forward.jsonl"
  for preset in qwen2.5-0.5b tinyllama-1.1b; do
    for mix in f16 q8_0 q4_k_m; do
      model="$work/$preset-$mix.gguf"
      echo "== $preset $mix"
      t0=$(date +%s.%N)
      "$build/bench/cuda/bench_cuda_model" make --preset "$preset" --mix "$mix" --out "$model" || { echo "make failed"; continue; }
      echo "   generated in $(elapsed "$t0") s, $(du -m "$model" | cut -f1) MB"
      ours=$("$build/bench/cuda/bench_cuda_forward" --model "$model" --save-logits "$work/ours.npy") || { echo "ours failed"; continue; }
      tf32=$("$build/bench/cuda/bench_cuda_forward" --model "$model" --precision tf32) || tf32='{}'
      "$build/bench/cuda/bench_cuda_model" export --model "$model" --out "$work/weights" || { echo "export failed"; continue; }
      peer=$(PYTHONUNBUFFERED=1 python3 "$here/torch_peer.py" --weights "$work/weights" --compare "$work/ours.npy" \
               2> "$out/torch-$preset-$mix.log") || { peer='{}'; echo "   torch failed:"; tail -5 "$out/torch-$preset-$mix.log"; }
      rm -rf "$work/weights"
      line="{\"preset\":\"$preset\",\"mix\":\"$mix\",\"ours\":$ours,\"ours_tf32\":$tf32,\"torch\":$peer}"
      echo "$line" | tee -a "$out/forward.jsonl"
      [ -n "${PACK:-}" ] && eval "$PACK"
      [ "$preset" = "tinyllama-1.1b" ] && [ "$mix" = "q4_k_m" ] || rm -f "$model"
    done
  done
  python3 "$here/forward_table.py" "$out/forward.jsonl" | tee "$out/forward.md"
fi

if [[ " $parts " == *" check7b "* ]]; then
  model="$work/llama2-7b-q4_k_m.gguf"
  echo "== check --gpu on a Llama-2-7B-shaped Q4_K_M model"
  t0=$(date +%s.%N)
  "$build/bench/cuda/bench_cuda_model" make --preset llama2-7b --mix q4_k_m --out "$model" || exit 1
  echo "generated in $(elapsed "$t0") s, $(du -m "$model" | cut -f1) MB" | tee "$out/check7b.txt"
  cat "$model" > /dev/null  # in the page cache, as a file just written or read would be
  for run in 1 2; do
    t0=$(date +%s.%N)
    "$build/gguf-doctor" check "$model" --gpu > "$out/check7b-report-$run.txt" 2>&1
    rc=$?
    echo "check --gpu run $run: exit $rc, $(elapsed "$t0") s wall" | tee -a "$out/check7b.txt"
  done
  tail -25 "$out/check7b-report-1.txt" | tee -a "$out/check7b.txt"
  rm -f "$model"
fi

if [[ " $parts " == *" shaped "* ]]; then
  # check --gpu on full-size shaped files of the newer architectures (issue 15's measure), each made,
  # read once into the page cache, checked twice, then removed.
  for spec in ${SHAPED:-gemma3-1b:q8_0 qwen3.5-4b:q4_k_m gpt-oss-20b:q8_0 qwen3-30b-a3b:q4_k_m}; do
    preset=${spec%%:*} mix=${spec##*:}
    model="$work/$preset-$mix.gguf"
    echo "== check --gpu on $preset $mix" | tee -a "$out/shaped.txt"
    t0=$(date +%s.%N)
    "$build/bench/cuda/bench_cuda_model" make --preset "$preset" --mix "$mix" --out "$model" || { echo "make failed" | tee -a "$out/shaped.txt"; continue; }
    echo "generated in $(elapsed "$t0") s, $(du -m "$model" | cut -f1) MB" | tee -a "$out/shaped.txt"
    cat "$model" > /dev/null
    for run in 1 2; do
      t0=$(date +%s.%N)
      "$build/gguf-doctor" check "$model" --gpu > "$out/shaped-$preset-$run.txt" 2>&1
      echo "check --gpu run $run: exit $?, $(elapsed "$t0") s wall" | tee -a "$out/shaped.txt"
    done
    grep -E "forward pass|counterfactual|verdict|FAIL|PASS" "$out/shaped-$preset-1.txt" | head -6 | tee -a "$out/shaped.txt"
    rm -f "$model"
    eval "${PACK:-true}"
  done
fi

if [[ " $parts " == *" stats "* ]]; then
  echo "== stats over a 1 GB Q8_0 file against cat, all cores"
  "$build/bench/dequant/bench_stats" "$work/q8_0-1g.gguf" | tee "$out/stats.txt"
  # The CI machine has 2 cores: the same benchmark held to two of these (cat, the library and the
  # command all under one taskset; OMP_NUM_THREADS so no thread shares a core).
  echo "== the same on 2 cores (taskset -c 0,1)" | tee -a "$out/stats.txt"
  OMP_NUM_THREADS=2 taskset -c 0,1 "$build/bench/dequant/bench_stats" "$work/q8_0-1g.gguf" | tee -a "$out/stats.txt"
  rm -f "$work/q8_0-1g.gguf"
fi

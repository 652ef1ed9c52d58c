#!/usr/bin/env bash
# `gguf-doctor check` on the Llama-2-7B-shaped Q4_K_M preset on this machine's CPU, end to end, against
# llama.cpp (CPU, node-llama-cpp) evaluating the same 128 tokens in one batch: the work of its perplexity
# over them. Both on THREADS threads (taskset to the first THREADS cores), model in the page cache.
#   bench/forward/check7b_cpu.sh BUILD_DIR [THREADS (default 2)]
# Needs the reference (tests/reference/install.sh) and node; the model (3.9 GB) is kept in
# BUILD_DIR/bench-cache/forward. Prints both times and the ratio.
set -euo pipefail
build=$(cd "${1:?build dir}" && pwd)
threads=${2:-2}
root=$(cd "$(dirname "$0")/../.." && pwd)
cache="$build/bench-cache/forward"
model="$cache/llama2-7b-q4_k_m.gguf"
mkdir -p "$cache"
[ -f "$model" ] || "$build/gguf-samples" --preset llama2-7b --type q4_k_m --output "$model" >/dev/null
cores=$(seq -s, 0 $((threads - 1)))
now() { date +%s.%N; }
cat "$model" >/dev/null

# The text check measures perplexity on, cut to the same 128 tokens for llama.cpp.
text="$cache/check7b-text.txt"
python3 - "$root/validate/forward/src/sanity.cpp" "$text" <<'EOF'
import re, sys
src = open(sys.argv[1]).read()
body = src[src.index("builtin_text()"):]
body = body[body.index("text =") + 6:body.index(";")]
open(sys.argv[2], "w").write("".join(eval(s) for s in re.findall(r'"(?:[^"\\]|\\.)*"', body)))
EOF
"$build/gguf-doctor" tokenize "$model" --text-file "$text" --ids |
  python3 -c 'import json, sys; print(json.dumps(json.loads(sys.stdin.read())[:128]))' > "$cache/check7b-ids.json"

t0=$(now)
OMP_NUM_THREADS=$threads taskset -c "$cores" "$build/gguf-doctor" check "$model" --text "$text" --text-tokens 128 \
  > "$cache/check7b-report.txt" 2>&1 || true
t1=$(now)
peer=$(taskset -c "$cores" node "$root/.cache/reference/llama_time.mjs" "$model" "$cache/check7b-ids.json" "$threads" 1)
python3 - "$t0" "$t1" "$peer" <<'EOF'
import json, sys
ours = float(sys.argv[2]) - float(sys.argv[1])
peer = json.loads(sys.argv[3])["median_s"]
print(f"check (end to end): {ours:.1f} s; llama.cpp on the same 128 tokens: {peer:.1f} s; ratio {ours / peer:.2f}x")
EOF
grep -E "forward pass|counterfactual|PASS|FAIL" "$cache/check7b-report.txt" | head -5

#!/usr/bin/env bash
# docs/audit.md's engine examples (docs/examples/engine_dump.{cpp,py,rs}), so the doc cannot rot.
#   doc_examples_test.sh snippets SOURCE_DIR
#     every code block of docs/audit.md marked "<!-- docs/examples/FILE -->" is a verbatim part of FILE
#   doc_examples_test.sh cxx|python|rust SOURCE_DIR BINARY_DIR WORK_DIR TOOL
#     TOOL (the C++ compiler, python3 or rustc) builds/runs the example on a generated model's
#     token_embd.weight: its dump and trace pass `gguf-doctor audit` (exit 0), and the same values
#     scaled by 0.05 are diagnosed as "scaled" (exit 1). Exit 77 (skipped) when TOOL is absent.
set -euo pipefail
mode=$1
src=$2

if [ "$mode" = snippets ]; then
  doc="$src/docs/audit.md"
  blocks=0
  file=""
  block=""
  in_block=0
  while IFS= read -r line || [ -n "$line" ]; do
    if [ $in_block = 1 ]; then
      if [ "$line" = '```' ]; then
        in_block=0
        text=$(cat "$src/$file")
        if [[ "$text" != *"$block"* ]]; then
          echo "docs/audit.md: a block marked $file is not part of that file:" >&2
          printf '%s\n' "$block" >&2
          exit 1
        fi
        blocks=$((blocks + 1))
        file=""
      else
        block+="${block:+$'\n'}$line"
      fi
    elif [[ "$line" =~ ^'<!-- '(docs/examples/[A-Za-z0-9_./-]+|tests/audit/[A-Za-z0-9_./-]+)' -->'$ ]]; then
      file=${BASH_REMATCH[1]}
    elif [ -n "$file" ] && [[ "$line" == '```'* ]]; then
      in_block=1
      block=""
    fi
  done < "$doc"
  if [ $blocks -lt 6 ]; then
    echo "docs/audit.md: only $blocks marked example blocks found" >&2
    exit 1
  fi
  echo "$blocks example blocks of docs/audit.md are verbatim parts of their files"
  exit 0
fi

bin=$3
work=$4
tool=${5:-}
if [ -z "$tool" ] || [[ "$tool" == *NOTFOUND ]] || ! command -v "$tool" >/dev/null; then
  echo "no $mode toolchain ('$tool'): skipped"
  exit 77
fi
doctor="$bin/gguf-doctor"
rm -rf "$work"
mkdir -p "$work"
"$bin/gguf-samples" --preset tiny-qwen2 --type q4_k_m -o "$work/model.gguf" >/dev/null
"$doctor" dump "$work/model.gguf" --tensor token_embd.weight --out "$work/token_embd.npy"

case "$mode" in
  cxx)
    "$tool" -std=c++17 -O2 "$src/docs/examples/engine_dump.cpp" -o "$work/engine_dump"
    run=("$work/engine_dump") ;;
  python)
    run=("$tool" "$src/docs/examples/engine_dump.py") ;;
  rust)
    "$tool" -O "$src/docs/examples/engine_dump.rs" -o "$work/engine_dump"
    run=("$work/engine_dump") ;;
  *) echo "unknown mode $mode" >&2; exit 3 ;;
esac

# expect CODE PATTERN COMMAND...: the command exits with CODE and prints PATTERN (a fixed string).
expect() {
  local code=$1 pattern=$2
  shift 2
  local out rc=0
  out=$("$@" 2>&1) || rc=$?
  if [ "$rc" != "$code" ] || [[ "$out" != *"$pattern"* ]]; then
    echo "FAILED: $* (exit $rc, expected $code and '$pattern'):" >&2
    echo "$out" >&2
    exit 1
  fi
  echo "ok: exit $rc: $*"
}

"${run[@]}" "$work/token_embd.npy" "$work/good" 1,17,42,99
expect 0 "PASS  1 tensors match" "$doctor" audit "$work/model.gguf" --dump "$work/good" --only token_embd.weight
expect 0 "PASS  1 activations agree" "$doctor" audit "$work/model.gguf" --trace "$work/good/trace.json"

"${run[@]}" "$work/token_embd.npy" "$work/bad" 1,17,42,99 0.05
expect 1 "20x too small" "$doctor" audit "$work/model.gguf" --dump "$work/bad" --only token_embd.weight
expect 1 "FIRST DIVERGENCE at embedding" "$doctor" audit "$work/model.gguf" --trace "$work/bad/trace.json"
rm -rf "$work"

#!/usr/bin/env bash
# Installs the reference implementation for the differential tests: llama.cpp's own prebuilt
# libraries and its JS bindings, from npm (node-llama-cpp@3.22.1, llama.cpp release "v0.5.0").
# Idempotent; prints the library folder. Usage: tests/reference/install.sh [--cuda] [CACHE_DIR]
# --cuda also installs llama.cpp's CUDA build of the same release (@node-llama-cpp/linux-x64-cuda,
# about 180 MB; it needs the CUDA 13 runtime, libcudart.so.13 and libcublas.so.13, at run time) for
# tests/reference/deploy_fit_gpu_test.cpp, which loads it from
# CACHE_DIR/node_modules/@node-llama-cpp/linux-x64-cuda/bins/linux-x64-cuda.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cuda=0
if [ "${1:-}" = "--cuda" ]; then cuda=1; shift; fi
cache=${1:-$root/.cache/reference}
lib="$cache/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64"
if [ ! -f "$lib/libggml-base.so" ] || [ ! -d "$cache/node_modules/node-llama-cpp" ]; then
  command -v npm >/dev/null || { echo "npm is required to install the reference (apt-get install npm)" >&2; exit 1; }
  mkdir -p "$cache"
  [ -f "$cache/package.json" ] || echo '{"name":"gguf-doctor-reference","private":true,"type":"module"}' > "$cache/package.json"
  (cd "$cache" && npm install --no-audit --no-fund --omit=optional --loglevel=error \
      node-llama-cpp@3.22.1 @node-llama-cpp/linux-x64@3.22.1 >&2)
fi
[ -f "$lib/libggml-base.so" ] || { echo "reference install failed: $lib/libggml-base.so missing" >&2; exit 1; }
if [ "$cuda" = 1 ]; then
  cuda_lib="$cache/node_modules/@node-llama-cpp/linux-x64-cuda/bins/linux-x64-cuda"
  if [ ! -f "$cuda_lib/libggml-cuda.so" ]; then
    # The CPU packages are named again so that npm keeps them (it prunes what the install does not name
    # or package.json does not list).
    (cd "$cache" && npm install --no-audit --no-fund --omit=optional --loglevel=error \
        node-llama-cpp@3.22.1 @node-llama-cpp/linux-x64@3.22.1 @node-llama-cpp/linux-x64-cuda@3.22.1 >&2)
  fi
  [ -f "$cuda_lib/libggml-cuda.so" ] || { echo "CUDA reference install failed: $cuda_lib/libggml-cuda.so missing" >&2; exit 1; }
  echo "CUDA build: $cuda_lib" >&2
fi

# Real tokenizer vocabularies (vocab-only GGUF files from llama.cpp's own test data) travel inside the
# package's llama.cpp source bundle. They are extracted here for the tokenizer differential tests and
# are never committed to this project.
vocab="$cache/vocab"
if [ ! -f "$vocab/ggml-vocab-qwen2.gguf" ]; then
  command -v git >/dev/null || { echo "git is required to extract the reference vocabularies" >&2; exit 1; }
  scratch=$(mktemp -d)
  git -C "$scratch" init -q
  git -C "$scratch" fetch -q "$cache/node_modules/node-llama-cpp/llama/gitRelease.bundle"
  mkdir -p "$vocab.tmp"
  for v in llama-spm qwen2 llama-bpe gpt-2 phi-3 deepseek-llm; do
    for ext in gguf gguf.inp gguf.out; do
      git -C "$scratch" show "FETCH_HEAD:models/ggml-vocab-$v.$ext" > "$vocab.tmp/ggml-vocab-$v.$ext" 2>/dev/null || rm -f "$vocab.tmp/ggml-vocab-$v.$ext"
    done
  done
  rm -rf "$scratch" "$vocab" && mv "$vocab.tmp" "$vocab"
fi
echo "$lib"

#!/usr/bin/env bash
# The clang build with AddressSanitizer and UndefinedBehaviorSanitizer (GGUF_DOCTOR_SANITIZE) and the
# libFuzzer targets (GGUF_DOCTOR_FUZZ): builds with Debian's clang, runs the tests under the
# sanitizers, then every fuzz target for GGUF_DOCTOR_FUZZ_SECONDS (default 30) from its seed corpus.
# CUDA is off in this build (nvcc's host compiler stays g++ in the default build; ASan does not cover
# device code). Installs clang and libclang-rt-dev (libFuzzer, sanitizer runtimes) when missing.
# Usage: tools/asan/test.sh [BUILD_DIR]      (default build-asan)
# GGUF_DOCTOR_ASAN_TESTS="prog ...": build and run only these test programs (and every fuzz target),
# as tools/asan/ci.sh does for CI.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build-asan}
seconds=${GGUF_DOCTOR_FUZZ_SECONDS:-30}

missing=()
for p in clang libclang-rt-dev libomp-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "asan: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -gline-tables-only -DNDEBUG" \
  -DGGUF_DOCTOR_SANITIZE=ON -DGGUF_DOCTOR_FUZZ=ON -DGGUF_DOCTOR_FUZZ_SECONDS="$seconds" \
  -DGGUF_DOCTOR_CUDA=OFF -DGGUF_DOCTOR_BENCH=OFF "${launcher[@]}" >/dev/null
jobs=$(nproc 2>/dev/null || echo 2)
tests=(${GGUF_DOCTOR_ASAN_TESTS:-})  # split on blanks and newlines
if [ ${#tests[@]} -gt 0 ]; then
  fuzzers=$(cd fuzz && ls fuzz_*.cpp | sed 's/\.cpp$//')
  cmake --build "$build" -j"$jobs" --target "${tests[@]}" $fuzzers
  selection=(-R "^($(IFS='|'; echo "${tests[*]}"))$")
else
  cmake --build "$build" -j"$jobs"
  selection=(-LE "fuzz|reference|gpu")
fi
# Every report is fatal; leaks count (LeakSanitizer). The differential tests are left to the default
# build: llama.cpp's prebuilt libraries are not built with the sanitizers.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$build" --output-on-failure -j"$jobs" "${selection[@]}"
ctest --test-dir "$build" --output-on-failure -j"$jobs" -L fuzz

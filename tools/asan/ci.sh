#!/usr/bin/env bash
# What CI runs of tools/asan/test.sh (./test.sh calls it): a clang 14 build with AddressSanitizer,
# UndefinedBehaviorSanitizer and libFuzzer of the code that parses untrusted bytes (libgguf, dequant,
# the tokenizer, ModelSpec and schemas, the value rules, the audit readers) with its unit-test programs
# and every fuzz target; then those tests under the sanitizers, and each fuzz target for
# GGUF_DOCTOR_FUZZ_SECONDS (default 30) from its seed corpus, with a fixed libFuzzer seed. The whole
# tree under the sanitizers is tools/asan/test.sh, run by hand: on CI's 2 cores it would take longer
# than the rest of the suite together.
# Usage: tools/asan/ci.sh [BUILD_DIR]      (default build-asan-ci)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build-asan-ci}
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
tests=(libgguf_tests dequant_tests tokenizer_tests model_tests model_spec_tests rules_metadata_tests
       rules_failure_classes_tests audit_dump_tests audit_manifest_tests)
fuzzers=$(cd fuzz && ls fuzz_*.cpp | sed 's/\.cpp$//')
jobs=$(nproc 2>/dev/null || echo 2)
cmake --build "$build" -j"$jobs" --target "${tests[@]}" $fuzzers
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
regex="^($(IFS='|'; echo "${tests[*]}"))$"
ctest --test-dir "$build" --output-on-failure -j"$jobs" -R "$regex"
ctest --test-dir "$build" --output-on-failure -j"$jobs" -L fuzz

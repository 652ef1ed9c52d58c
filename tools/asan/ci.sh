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
GGUF_DOCTOR_ASAN_TESTS="libgguf_tests dequant_tests tokenizer_tests model_tests model_spec_tests rules_metadata_tests
                        rules_failure_classes_tests audit_dump_tests audit_manifest_tests" \
  exec tools/asan/test.sh "${1:-build-asan-ci}"

#!/usr/bin/env bash
# Runs the whole test suite: installs the dependencies and builds (setup.sh), installs the reference
# implementation for the differential tests (tests/reference/install.sh: llama.cpp's prebuilt libraries
# from npm), then runs CTest. GPU tests report themselves as skipped on a machine without a GPU. Then
# the clang sanitizer build of the parsers and the fuzz smoke runs (tools/asan/ci.sh).
set -euo pipefail
cd "$(dirname "$0")"
./setup.sh
if ! command -v npm >/dev/null; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get install -y -qq --no-install-recommends npm >/dev/null
fi
# The HTML reports are opened in a real browser (tests/report/html_browser_test.cpp): Debian's Chromium.
if ! command -v chromium >/dev/null; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
tests/reference/install.sh >/dev/null
cmake -S . -B build >/dev/null   # picks up the reference libraries
cmake --build build -j"$(nproc 2>/dev/null || echo 2)"
ctest --test-dir build --output-on-failure -j"$(nproc 2>/dev/null || echo 2)"
# clang with AddressSanitizer, UndefinedBehaviorSanitizer and libFuzzer: the parsers' unit tests and a
# smoke run of every fuzz target (docs/hardening.md).
tools/asan/ci.sh

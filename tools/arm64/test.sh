#!/usr/bin/env bash
# Cross-compiles gguf-doctor for aarch64 with Debian's toolchain and runs the unit tests under
# qemu-user. Installs what it needs (root or sudo): g++-aarch64-linux-gnu, qemu-user, and the arm64
# builds of the libraries through multiarch (dpkg --add-architecture arm64).
# Usage: tools/arm64/test.sh [BUILD_DIR]      (default build-arm64)
#
# Not run here: tests that start another program (the CLI tests, the samples tool, the manifest and
# package tests), because qemu-user runs one emulated process and without binfmt_misc (containers
# usually lack it) an aarch64 child cannot be started; the differential tests against llama.cpp,
# whose prebuilt libraries are x86-64; and the GPU tests (no CUDA in this build).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build-arm64}

sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
arm_packages=(libboost-program-options-dev:arm64 libfmt-dev:arm64 libxxhash-dev:arm64 libssl-dev:arm64
              libexpat1-dev:arm64 libcurl4-openssl-dev:arm64)
host_packages=(g++-aarch64-linux-gnu qemu-user libeigen3-dev doctest-dev nlohmann-json3-dev cmake ninja-build
               pkg-config)
missing=()
for p in "${host_packages[@]}" "${arm_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "arm64: installing ${missing[*]}" >&2
  dpkg --print-foreign-architectures | grep -qx arm64 || $sudo dpkg --add-architecture arm64
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$build" -G Ninja -DCMAKE_TOOLCHAIN_FILE=tools/arm64/toolchain.cmake -DCMAKE_BUILD_TYPE=Release \
  -DGGUF_DOCTOR_CUDA=OFF -DGGUF_DOCTOR_BENCH=OFF -DGGUF_DOCTOR_REFERENCE_DIR=/nonexistent "${launcher[@]}" >/dev/null
jobs=$(nproc 2>/dev/null || echo 2)
cmake --build "$build" -j"$jobs"
file "$build/gguf-doctor" | grep -q "ARM aarch64" || { echo "arm64: $build/gguf-doctor is not an aarch64 program" >&2; exit 1; }
# CTest runs each test through the toolchain's CMAKE_CROSSCOMPILING_EMULATOR (qemu-aarch64).
ctest --test-dir "$build" --output-on-failure -j"$jobs" -LE "cli|apps|gpu|reference|package|docs|samples_tool" \
  -E "cli|manifest|samples_tool"

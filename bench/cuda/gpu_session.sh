#!/usr/bin/env bash
# One session on the GPU machine (this workplace's device tool; ../shared/device/README.md): build, the
# GPU tests, then the benchmarks asked for. Everything lands in a results folder that is packed into
# OUT/results.tgz after each stage (the device returns few files; a stage cut short keeps the earlier ones).
#   bash bench/cuda/gpu_session.sh OUT [dequant] [forward] [check7b] [shaped] [stats] [notests | quicktests]
# (quicktests: only the dequant and kernel test programs, the quick ones)
# .devdeps comes from ../shared/device/fetch-debs.sh, plus two packages that script does not bring:
#   (cd .devdeps/root && apt-get download libssl-dev libexpat1-dev)   # OpenSSL (hash), expat (tests)
# gguf-doctor also links libcurl (remote/): Debian's libcurl needs runtime libraries the GPU machine
# (Ubuntu 24.04) lacks or has under other sonames (libssh2, libldap-2.5, librtmp...). Bring them once:
#   mkdir -p .devdeps/curlrt && (cd .devdeps/curlrt && apt-get download libssh2-1 librtmp1 libldap-2.5-0 \
#     libsasl2-2 libsasl2-modules-db libpsl5 libnghttp2-14 libbrotli1 libunistring2 libidn2-0 libgnutls30 \
#     libnettle8 libhogweed6 libgmp10 libp11-kit0 libtasn1-6 libgssapi-krb5-2 libkrb5-3 libk5crypto3 \
#     libkrb5support0 libkeyutils1 libcom-err2 libffi8 libzstd1)
# Only the shared objects whose file name the machine does not have are installed, so its own
# libraries (the same sonames, newer builds) stay in place.
set -uo pipefail
out=${1:?out dir}; shift
res=/tmp/gguf-doctor-results
mkdir -p "$out" "$res"
export PACK="tar czf '$out/results.tgz' -C '$res' ."
bash .devdeps/unpack.sh > /dev/null
if [ -d .devdeps/curlrt ]; then
  libdir=/usr/lib/x86_64-linux-gnu
  for deb in .devdeps/curlrt/*.deb; do
    x=$(mktemp -d) && dpkg -x "$deb" "$x"
    for so in $(find "$x" -name '*.so.*' \( -type f -o -type l \)); do
      [ -e "$libdir/$(basename "$so")" ] || [ -e "/lib/x86_64-linux-gnu/$(basename "$so")" ] || cp -a "$so" "$libdir/"
    done
    rm -rf "$x"
  done
  ldconfig
fi
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv,noheader | tee "$res/gpu.txt"
t0=$(date +%s)
if [ ! -f build-gpu/build.ninja ]; then
  cmake -S . -B build-gpu -G Ninja -DCMAKE_PREFIX_PATH=/opt/bw/usr -DCMAKE_CUDA_ARCHITECTURES=90 \
        -DGGUF_DOCTOR_BENCH=ON -DCMAKE_BUILD_TYPE=Release > "$res/configure.log" 2>&1 || { tail -30 "$res/configure.log"; eval "$PACK"; exit 1; }
fi
cmake --build build-gpu -j16 --target gguf-doctor cuda_dequant_tests cuda_kernel_tests cuda_forward_tests \
      cuda_cli_tests bench_cuda_dequant bench_cuda_forward bench_cuda_model bench_stats > "$res/build.log" 2>&1 \
  || { grep -E "error|FAILED" -A5 "$res/build.log" | head -60; eval "$PACK"; exit 1; }
echo "build: $(( $(date +%s) - t0 )) s"
tests="cuda_dequant_tests cuda_kernel_tests cuda_forward_tests cuda_cli_tests"
[[ " $* " == *" quicktests "* ]] && tests="cuda_dequant_tests cuda_kernel_tests"
if [[ " $* " != *" notests "* ]]; then
  for t in $tests; do
    t1=$(date +%s)
    build-gpu/tests/cuda/$t > "$res/$t.log" 2>&1
    echo "$t: exit $? ($(( $(date +%s) - t1 )) s)"
    eval "$PACK"
  done
  for t in $tests; do
    [ "$t" = cuda_forward_tests ] && continue
    grep -E "test cases|ERROR|SKIPPED|values|bits" "$res/$t.log" | head -12
  done
  [ -f "$res/cuda_forward_tests.log" ] && grep -v "^\[doctest\]" "$res/cuda_forward_tests.log" | head -90
fi
parts=""
for p in dequant forward check7b shaped stats; do [[ " $* " == *" $p "* ]] && parts="$parts $p"; done
[ -n "$parts" ] && bash bench/cuda/run_benchmarks.sh build-gpu "$res" $parts
eval "$PACK"
exit 0

#!/usr/bin/env bash
# One session on the GPU machine (this workplace's device tool; ../shared/device/README.md): build, the
# GPU tests, then the benchmarks asked for. Everything lands in a results folder that is packed into
# OUT/results.tgz after each stage (the device returns few files; a stage cut short keeps the earlier ones).
#   bash bench/cuda/gpu_session.sh OUT [dequant] [forward] [check7b] [shaped] [stats] [notests | quicktests]
# (quicktests: only the dequant and kernel test programs, the quick ones)
# .devdeps comes from ../shared/device/fetch-debs.sh, plus two packages that script does not bring:
#   (cd .devdeps/root && apt-get download libssl-dev libexpat1-dev)   # OpenSSL (hash), expat (tests)
# gguf-doctor also links libcurl (remote/): the Debian libcurl deb needs its own runtime libraries
# (libssh2, libldap...) on the GPU machine, which these debs do not bring yet, so gguf-doctor and
# cuda_cli_tests fail to link there; the other GPU test programs build and run (bench/RESULTS.md).
set -uo pipefail
out=${1:?out dir}; shift
res=/tmp/gguf-doctor-results
mkdir -p "$out" "$res"
export PACK="tar czf '$out/results.tgz' -C '$res' ."
bash .devdeps/unpack.sh > /dev/null
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

// RMSNorm (ggml_rms_norm followed by ggml_mul with the norm weight), one row per block. As on the CPU,
// the sum of squares is accumulated in double; the scale and the two products are float, rounded
// separately (x * scale, then * weight). eps comes from the file (attention.layer_norm_rms_epsilon).
#include <cstdint>

#include "kernels.hpp"
#include "launch.cuh"

namespace gguf::cuda {
namespace {

constexpr int kThreads = 256;

__global__ void __launch_bounds__(kThreads) rmsnorm_kernel(float* out, const float* x, const float* __restrict__ weight,
                                                           std::uint64_t width, float eps) {
    const float* in = x + blockIdx.x * width;
    float* o = out + blockIdx.x * width;
    double sum = 0;
    for (std::uint64_t i = threadIdx.x; i < width; i += kThreads) {
        const double v = in[i];
        sum = fma(v, v, sum);
    }
    for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_xor_sync(0xFFFFFFFFu, sum, offset);
    __shared__ double warp_sums[kThreads / 32];
    __shared__ float scale;
    if (threadIdx.x % 32 == 0) warp_sums[threadIdx.x / 32] = sum;
    __syncthreads();
    if (threadIdx.x == 0) {
        double total = 0;
        for (double s : warp_sums) total += s;
        const float mean = static_cast<float>(total / static_cast<double>(width));
        scale = __fdiv_rn(1.0f, __fsqrt_rn(__fadd_rn(mean, eps)));
    }
    __syncthreads();
    for (std::uint64_t i = threadIdx.x; i < width; i += kThreads) o[i] = __fmul_rn(__fmul_rn(in[i], scale), weight[i]);
}

}  // namespace

// ----------------------------------------------------------------------------
// Kernel launchers

void rmsnorm_forward(float* out, const float* x, const float* weight, std::uint64_t rows, std::uint64_t width, float eps,
                     cudaStream_t stream) {
    if (rows == 0) return;
    if (rows > 0x7FFFFFFFu) fail("rmsnorm: too many rows", "rmsnorm_forward", __FILE__, __LINE__);
    rmsnorm_kernel<<<static_cast<unsigned>(rows), kThreads, 0, stream>>>(out, x, weight, width, eps);
    check_launch();
}

}  // namespace gguf::cuda

// gpt-oss's clamped SwiGLU (ggml_swiglu_oai, ops::swiglu_clamped): x = min(gate, limit),
// y = clamp(up, -limit, limit), out = x / (1 + exp(-alpha x)) * (y + 1), each operation rounded as on the
// CPU (exp itself may differ from the host's in the last bit).
#include <cstdint>

#include "kernels.hpp"
#include "launch.cuh"

namespace gguf::cuda {
namespace {

constexpr int kThreads = 256;

__global__ void swiglu_clamped_kernel(float* out, const float* gate, const float* __restrict__ up, std::uint64_t n, float alpha,
                                      float limit) {
    for (std::uint64_t i = blockIdx.x * static_cast<std::uint64_t>(kThreads) + threadIdx.x; i < n;
         i += static_cast<std::uint64_t>(gridDim.x) * kThreads) {
        const float x = fminf(gate[i], limit);
        const float y = fminf(fmaxf(up[i], -limit), limit);
        const float glu = __fdiv_rn(x, __fadd_rn(1.0f, expf(__fmul_rn(alpha, -x))));
        out[i] = __fmul_rn(glu, __fadd_rn(y, 1.0f));
    }
}

}  // namespace

// ----------------------------------------------------------------------------
// Kernel launchers

void swiglu_clamped_forward(float* out, const float* gate, const float* up, std::uint64_t n, float alpha, float limit,
                            cudaStream_t stream) {
    if (n == 0) return;
    launch_grid_stride(swiglu_clamped_kernel, kThreads, n, kThreads, stream, out, gate, up, n, alpha, limit);
    check_launch();
}

}  // namespace gguf::cuda

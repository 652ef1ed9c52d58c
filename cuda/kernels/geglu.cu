// GEGLU of Gemma's feed-forward block (ggml_geglu_split) as ggml's CPU backend computes it: GELU read
// from a table of every half-precision input (built on the host from the CPU's own formula, so the two
// agree exactly), 0 below -10 and the input itself above 10, times up.
#include <cuda_fp16.h>

#include <cstdint>

#include "kernels.hpp"
#include "launch.cuh"

namespace gguf::cuda {
namespace {

constexpr int kThreads = 256;

__global__ void geglu_kernel(float* out, const float* gate, const float* __restrict__ up,
                             const float* __restrict__ table, std::uint64_t n) {
    for (std::uint64_t i = blockIdx.x * static_cast<std::uint64_t>(kThreads) + threadIdx.x; i < n;
         i += static_cast<std::uint64_t>(gridDim.x) * kThreads) {
        const float g = gate[i];
        const float gelu = g <= -10.0f ? 0.0f : g >= 10.0f ? g : table[__half_as_ushort(__float2half_rn(g))];
        out[i] = __fmul_rn(gelu, up[i]);
    }
}

}  // namespace

// ----------------------------------------------------------------------------
// Kernel launchers

void geglu_forward(float* out, const float* gate, const float* up, const float* gelu_table, std::uint64_t n,
                   cudaStream_t stream) {
    if (n == 0) return;
    launch_grid_stride(geglu_kernel, kThreads, n, kThreads, stream, out, gate, up, gelu_table, n);
    check_launch();
}

}  // namespace gguf::cuda

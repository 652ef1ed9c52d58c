// SwiGLU of the feed-forward block (ggml_swiglu_split): silu(gate) * up with silu(g) = g / (1 + exp(-g)),
// each operation rounded separately as on the CPU (exp itself may differ from Eigen's in the last bit).
#include <cstdint>

#include "kernels.hpp"
#include "launch.cuh"

namespace gguf::cuda {
namespace {

constexpr int kThreads = 256;

__global__ void swiglu_kernel(float* out, const float* gate, const float* __restrict__ up, std::uint64_t n) {
    for (std::uint64_t i = blockIdx.x * static_cast<std::uint64_t>(kThreads) + threadIdx.x; i < n;
         i += static_cast<std::uint64_t>(gridDim.x) * kThreads) {
        const float g = gate[i];
        out[i] = __fmul_rn(__fdiv_rn(g, __fadd_rn(1.0f, expf(-g))), up[i]);
    }
}

}  // namespace

// ----------------------------------------------------------------------------
// Kernel launchers

void swiglu_forward(float* out, const float* gate, const float* up, std::uint64_t n, cudaStream_t stream) {
    if (n == 0) return;
    launch_grid_stride(swiglu_kernel, kThreads, n, kThreads, stream, out, gate, up, n);
    check_launch();
}

}  // namespace gguf::cuda

// qwen35's gated full attention: the split of the query projection into query and gate heads, and the
// sigmoid gate of the attention output (ops::sigmoid_gate; expf may differ from the host's in the last bit).
#include <cstdint>

#include "kernels.hpp"
#include "launch.cuh"

namespace gguf::cuda {
namespace {

constexpr int kThreads = 256;

__global__ void sigmoid_gate_kernel(float* out, const float* in, const float* __restrict__ gate, std::uint64_t n) {
    for (std::uint64_t i = blockIdx.x * static_cast<std::uint64_t>(kThreads) + threadIdx.x; i < n;
         i += static_cast<std::uint64_t>(gridDim.x) * kThreads)
        out[i] = __fmul_rn(in[i], __fdiv_rn(1.0f, __fadd_rn(1.0f, expf(-gate[i]))));
}

// Element i of the output: token-head (i / head_dim), value (i % head_dim).
__global__ void split_heads_kernel(float* __restrict__ first, float* __restrict__ second, const float* __restrict__ in,
                                   std::uint64_t n, std::uint64_t head_dim) {
    for (std::uint64_t i = blockIdx.x * static_cast<std::uint64_t>(kThreads) + threadIdx.x; i < n;
         i += static_cast<std::uint64_t>(gridDim.x) * kThreads) {
        const std::uint64_t head = i / head_dim, at = i % head_dim;
        first[i] = in[2 * head * head_dim + at];
        second[i] = in[2 * head * head_dim + head_dim + at];
    }
}

}  // namespace

// ----------------------------------------------------------------------------
// Kernel launchers

void sigmoid_gate_forward(float* out, const float* in, const float* gate, std::uint64_t n, cudaStream_t stream) {
    if (n == 0) return;
    launch_grid_stride(sigmoid_gate_kernel, kThreads, n, kThreads, stream, out, in, gate, n);
    check_launch();
}

void split_heads_forward(float* first, float* second, const float* in, std::uint64_t n_tokens, std::uint64_t n_heads,
                         std::uint64_t head_dim, cudaStream_t stream) {
    const std::uint64_t n = n_tokens * n_heads * head_dim;
    if (n == 0) return;
    launch_grid_stride(split_heads_kernel, kThreads, n, kThreads, stream, first, second, in, n, head_dim);
    check_launch();
}

}  // namespace gguf::cuda

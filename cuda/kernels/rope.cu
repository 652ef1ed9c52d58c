// RoPE as ggml's rope_ext: pairs (2i, 2i+1) for the normal style (llama.cpp's order of llama Q/K rows),
// (i, i + n_rot/2) for NeoX (qwen2, qwen3). The angles (with the file's base, linear or YaRN scaling
// and frequency factors) come from the CPU's ops::rope_angles, so both passes rotate by the same
// cos/sin bits; the rotation rounds each product separately, as the CPU does.
#include <cstdint>

#include "kernels.hpp"
#include "launch.cuh"

namespace gguf::cuda {
namespace {

constexpr int kThreads = 256;

// One thread per rotated pair (token, head, i).
__global__ void rope_kernel(float* x, std::uint64_t n_tokens, std::uint64_t n_heads, std::uint64_t head_dim,
                            std::uint32_t n_pairs, bool neox, const float* __restrict__ cos, const float* __restrict__ sin) {
    const std::uint64_t total = n_tokens * n_heads * n_pairs;
    for (std::uint64_t idx = blockIdx.x * static_cast<std::uint64_t>(kThreads) + threadIdx.x; idx < total;
         idx += static_cast<std::uint64_t>(gridDim.x) * kThreads) {
        const std::uint64_t i = idx % n_pairs, h = idx / n_pairs % n_heads, t = idx / (n_pairs * n_heads);
        float* head = x + (t * n_heads + h) * head_dim;
        float* a = head + (neox ? i : 2 * i);
        float* b = a + (neox ? n_pairs : 1);
        const float c = cos[t * n_pairs + i], s = sin[t * n_pairs + i];
        const float x0 = *a, x1 = *b;
        *a = __fsub_rn(__fmul_rn(x0, c), __fmul_rn(x1, s));
        *b = __fadd_rn(__fmul_rn(x0, s), __fmul_rn(x1, c));
    }
}

}  // namespace

// ----------------------------------------------------------------------------
// Kernel launchers

void rope_forward(float* x, std::uint64_t n_tokens, std::uint64_t n_heads, std::uint64_t head_dim, std::uint32_t n_rot,
                  bool neox, const float* cos, const float* sin, cudaStream_t stream) {
    if (n_rot % 2 != 0 || n_rot > head_dim) fail("rope: n_rot must be even and <= head_dim", "rope_forward", __FILE__, __LINE__);
    const std::uint64_t total = n_tokens * n_heads * (n_rot / 2);
    if (total == 0) return;
    launch_grid_stride(rope_kernel, kThreads, total, kThreads, stream,
                       x, n_tokens, n_heads, head_dim, n_rot / 2, neox, cos, sin);
    check_launch();
}

}  // namespace gguf::cuda

// A run of columns of every token's row (forward::Slice): gemma4's per-block share of its per-layer inputs.
#include <cstdint>

#include "kernels.hpp"
#include "launch.cuh"

namespace gguf::cuda {
namespace {

constexpr int kThreads = 256;

__global__ void slice_kernel(float* __restrict__ out, const float* __restrict__ in, std::uint64_t in_width,
                             std::uint64_t offset, std::uint64_t width, std::uint64_t n) {
    for (std::uint64_t i = blockIdx.x * static_cast<std::uint64_t>(kThreads) + threadIdx.x; i < n;
         i += static_cast<std::uint64_t>(gridDim.x) * kThreads) {
        const std::uint64_t t = i / width, j = i % width;
        out[i] = in[t * in_width + offset + j];
    }
}

}  // namespace

// ----------------------------------------------------------------------------
// Kernel launchers

void slice_forward(float* out, const float* in, std::uint64_t n_tokens, std::uint64_t in_width, std::uint64_t offset,
                   std::uint64_t width, cudaStream_t stream) {
    const std::uint64_t n = n_tokens * width;
    if (n == 0) return;
    launch_grid_stride(slice_kernel, kThreads, n, kThreads, stream, out, in, in_width, offset, width, n);
    check_launch();
}

}  // namespace gguf::cuda

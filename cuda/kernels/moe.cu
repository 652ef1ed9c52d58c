// The mixture-of-experts pieces around the experts' products (ops_moe.hpp's twins): gathering the rows
// of the tokens an expert multiplies, the weighted sum of each token's expert outputs in routing order,
// and qwen2moe's shared-expert gate. Each operation is rounded separately as on the CPU.
#include <cstdint>

#include "kernels.hpp"
#include "launch.cuh"

namespace gguf::cuda {
namespace {

constexpr int kThreads = 256;

__global__ void gather_rows_kernel(float* out, const float* __restrict__ x, const std::int32_t* __restrict__ rows,
                                   std::uint64_t n, std::uint64_t width) {
    for (std::uint64_t i = blockIdx.x * static_cast<std::uint64_t>(kThreads) + threadIdx.x; i < n;
         i += static_cast<std::uint64_t>(gridDim.x) * kThreads)
        out[i] = x[static_cast<std::uint64_t>(rows[i / width]) * width + i % width];
}

__global__ void combine_experts_kernel(float* out, const float* __restrict__ y, const std::int32_t* __restrict__ position,
                                       const float* __restrict__ weights, std::uint64_t weight_stride, std::uint64_t k,
                                       std::uint64_t n, std::uint64_t width) {
    for (std::uint64_t i = blockIdx.x * static_cast<std::uint64_t>(kThreads) + threadIdx.x; i < n;
         i += static_cast<std::uint64_t>(gridDim.x) * kThreads) {
        const std::uint64_t t = i / width, c = i % width;
        float sum = 0.0f;
        for (std::uint64_t r = 0; r < k; ++r) {
            const float term = __fmul_rn(y[static_cast<std::uint64_t>(position[t * k + r]) * width + c], weights[t * weight_stride + r]);
            sum = r == 0 ? term : __fadd_rn(sum, term);
        }
        out[i] = sum;
    }
}

__global__ void shared_expert_gate_kernel(float* x, const float* __restrict__ gate, std::uint64_t n, std::uint64_t width,
                                          bool plain_sigmoid) {
    for (std::uint64_t i = blockIdx.x * static_cast<std::uint64_t>(kThreads) + threadIdx.x; i < n;
         i += static_cast<std::uint64_t>(gridDim.x) * kThreads) {
        const float g = gate[i / width];
        const float e = __fadd_rn(1.0f, expf(-g));
        x[i] = __fmul_rn(x[i], plain_sigmoid ? __fdiv_rn(1.0f, e) : __fdiv_rn(__fdiv_rn(g, e), g));
    }
}

}  // namespace

// ----------------------------------------------------------------------------
// Kernel launchers

void gather_rows_forward(float* out, const float* x, const std::int32_t* rows, std::uint64_t n_rows, std::uint64_t width,
                         cudaStream_t stream) {
    const std::uint64_t n = n_rows * width;
    if (n == 0) return;
    launch_grid_stride(gather_rows_kernel, kThreads, n, kThreads, stream, out, x, rows, n, width);
    check_launch();
}

void combine_experts_forward(float* out, const float* y, const std::int32_t* position, const float* weights,
                             std::uint64_t weight_stride, std::uint64_t n_tokens, std::uint64_t k, std::uint64_t width,
                             cudaStream_t stream) {
    const std::uint64_t n = n_tokens * width;
    if (n == 0 || k == 0) return;
    launch_grid_stride(combine_experts_kernel, kThreads, n, kThreads, stream, out, y, position, weights, weight_stride, k, n,
                       width);
    check_launch();
}

void shared_expert_gate_forward(float* x, const float* gate, std::uint64_t n_tokens, std::uint64_t width, bool plain_sigmoid,
                                cudaStream_t stream) {
    const std::uint64_t n = n_tokens * width;
    if (n == 0) return;
    launch_grid_stride(shared_expert_gate_kernel, kThreads, n, kThreads, stream, x, gate, n, width, plain_sigmoid);
    check_launch();
}

}  // namespace gguf::cuda

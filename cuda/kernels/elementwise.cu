// The residual additions and the bias additions of the projections (ggml_add), exact in float; scaling
// (ggml_scale) and soft-capping (ops::softcap; tanhf may differ from the host's in the last bit).
#include <cstdint>

#include "kernels.hpp"
#include "launch.cuh"

namespace gguf::cuda {
namespace {

constexpr int kThreads = 256;

__global__ void add_kernel(float* out, const float* a, const float* b, std::uint64_t n) {
    for (std::uint64_t i = blockIdx.x * static_cast<std::uint64_t>(kThreads) + threadIdx.x; i < n;
         i += static_cast<std::uint64_t>(gridDim.x) * kThreads)
        out[i] = __fadd_rn(a[i], b[i]);
}

__global__ void add_bias_kernel(float* x, const float* __restrict__ bias, std::uint64_t n, std::uint64_t width) {
    for (std::uint64_t i = blockIdx.x * static_cast<std::uint64_t>(kThreads) + threadIdx.x; i < n;
         i += static_cast<std::uint64_t>(gridDim.x) * kThreads)
        x[i] = __fadd_rn(x[i], bias[i % width]);
}

__global__ void scale_kernel(float* x, float factor, std::uint64_t n) {
    for (std::uint64_t i = blockIdx.x * static_cast<std::uint64_t>(kThreads) + threadIdx.x; i < n;
         i += static_cast<std::uint64_t>(gridDim.x) * kThreads)
        x[i] = __fmul_rn(x[i], factor);
}

__global__ void softcap_kernel(float* x, float inverse, float cap, std::uint64_t n) {
    for (std::uint64_t i = blockIdx.x * static_cast<std::uint64_t>(kThreads) + threadIdx.x; i < n;
         i += static_cast<std::uint64_t>(gridDim.x) * kThreads)
        x[i] = __fmul_rn(tanhf(__fmul_rn(x[i], inverse)), cap);
}

}  // namespace

// ----------------------------------------------------------------------------
// Kernel launchers

void scale_forward(float* x, float factor, std::uint64_t n, cudaStream_t stream) {
    if (n == 0) return;
    launch_grid_stride(scale_kernel, kThreads, n, kThreads, stream, x, factor, n);
    check_launch();
}

void softcap_forward(float* x, float cap, std::uint64_t n, cudaStream_t stream) {
    if (n == 0) return;
    if (!(cap > 0.0f)) fail("softcap: the cap must be positive", "softcap_forward", __FILE__, __LINE__);
    launch_grid_stride(softcap_kernel, kThreads, n, kThreads, stream, x, 1.0f / cap, cap, n);
    check_launch();
}

void add_forward(float* out, const float* a, const float* b, std::uint64_t n, cudaStream_t stream) {
    if (n == 0) return;
    launch_grid_stride(add_kernel, kThreads, n, kThreads, stream, out, a, b, n);
    check_launch();
}

void add_bias_forward(float* x, const float* bias, std::uint64_t rows, std::uint64_t width, cudaStream_t stream) {
    if (rows == 0 || width == 0) return;
    launch_grid_stride(add_bias_kernel, kThreads, rows * width, kThreads, stream, x, bias, rows * width, width);
    check_launch();
}

}  // namespace gguf::cuda

namespace gguf::cuda {

cudaError_t kernel_image_status() {
    cudaFuncAttributes attributes{};
    return cudaFuncGetAttributes(&attributes, add_kernel);
}

}  // namespace gguf::cuda

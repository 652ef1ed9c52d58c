// llama 4's attention temperature tuning of the queries (ops::scale_by_temperature): the factor of each
// token from its position, in the CPU's float and double steps.
#include <cstdint>

#include "kernels.hpp"
#include "launch.cuh"

namespace gguf::cuda {
namespace {

constexpr int kThreads = 256;

__global__ void temperature_kernel(float* x, std::uint64_t width, std::uint64_t n, std::uint64_t first_position,
                                   float scale, std::uint64_t interval) {
    for (std::uint64_t i = blockIdx.x * static_cast<std::uint64_t>(kThreads) + threadIdx.x; i < n;
         i += static_cast<std::uint64_t>(gridDim.x) * kThreads) {
        const auto position = static_cast<float>(first_position + i / width);
        const float steps = floorf(__fdiv_rn(position, static_cast<float>(interval)));
        const auto factor = static_cast<float>(log(static_cast<double>(steps) + 1.0) * static_cast<double>(scale) + 1.0);
        x[i] = __fmul_rn(x[i], factor);
    }
}

}  // namespace

void temperature_forward(float* x, std::uint64_t n_tokens, std::uint64_t width, std::uint64_t first_position, float scale,
                         std::uint64_t interval, cudaStream_t stream) {
    const std::uint64_t n = n_tokens * width;
    if (n == 0) return;
    if (interval == 0) fail("attention temperature: the interval must be positive", "temperature_forward", __FILE__, __LINE__);
    launch_grid_stride(temperature_kernel, kThreads, n, kThreads, stream, x, width, n, first_position, scale, interval);
    check_launch();
}

}  // namespace gguf::cuda

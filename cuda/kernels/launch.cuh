// Small helpers shared by the launchers.
#pragma once

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdint>
#include <utility>

#include "../check.hpp"

namespace gguf::cuda {

// Multiprocessors of the current device (grids of grid-stride kernels are a multiple of it).
inline int multiprocessor_count() {
    int device = 0, count = 0;
    GGUF_CUDA_CHECK(cudaGetDevice(&device));
    GGUF_CUDA_CHECK(cudaDeviceGetAttribute(&count, cudaDevAttrMultiProcessorCount, device));
    return count;
}

// Blocks for a grid-stride loop of `kernel` over `work` items of `per_block` each: as many as the
// device holds at once (from the kernel's real occupancy), never more than the work needs. A fixed
// guess of blocks per multiprocessor is wrong for a kernel that uses more registers: the blocks that do
// not fit run as a second, partial wave, and the whole pass waits for them.
template <class Kernel>
unsigned grid_for(Kernel kernel, int threads, std::uint64_t work, std::uint64_t per_block) {
    int resident = 0;
    GGUF_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&resident, kernel, threads, 0));
    const std::uint64_t needed = (work + per_block - 1) / per_block;
    const std::uint64_t fill = static_cast<std::uint64_t>(multiprocessor_count()) * static_cast<std::uint64_t>(std::max(1, resident));
    return static_cast<unsigned>(std::max<std::uint64_t>(1, std::min(needed, fill)));
}

// kernel<<<grid_for(...), threads, 0, stream>>>(args...) for a grid-stride kernel over `work` items.
template <class... Params, class... Args>
void launch_grid_stride(void (*kernel)(Params...), int threads, std::uint64_t work, std::uint64_t per_block,
                        cudaStream_t stream, Args&&... args) {
    kernel<<<grid_for(kernel, threads, work, per_block), threads, 0, stream>>>(std::forward<Args>(args)...);
}

inline void check_launch() { GGUF_CUDA_CHECK(cudaGetLastError()); }

}  // namespace gguf::cuda

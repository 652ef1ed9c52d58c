// Small helpers shared by the launchers.
#pragma once

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdint>
#include <utility>

#include "../check.hpp"

namespace gguf::cuda {

// Multiprocessors of the current device, and how many blocks of `threads` threads of `kernel` one of
// them holds at once (its real occupancy: registers, shared memory). Both are asked of the driver once
// per device and kernel and remembered (launch.cu): a pass launches thousands of kernels per token.
int multiprocessor_count();
int resident_blocks(const void* kernel, int threads);

// Blocks for a grid-stride loop of `kernel` over `work` items of `per_block` each: as many as the
// device holds at once, never more than the work needs. A fixed guess of blocks per multiprocessor is
// wrong for a kernel that uses more registers: the blocks that do not fit run as a second, partial
// wave, and the whole pass waits for them.
template <class... Params>
unsigned grid_for(void (*kernel)(Params...), int threads, std::uint64_t work, std::uint64_t per_block) {
    const std::uint64_t needed = (work + per_block - 1) / per_block;
    const std::uint64_t fill = static_cast<std::uint64_t>(multiprocessor_count()) *
                               static_cast<std::uint64_t>(resident_blocks(reinterpret_cast<const void*>(kernel), threads));
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

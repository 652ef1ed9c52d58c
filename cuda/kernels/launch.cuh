// Small helpers shared by the launchers.
#pragma once

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdint>

#include "../check.hpp"

namespace gguf::cuda {

// Multiprocessors of the current device (grids of grid-stride kernels are a multiple of it).
inline int multiprocessor_count() {
    int device = 0, count = 0;
    GGUF_CUDA_CHECK(cudaGetDevice(&device));
    GGUF_CUDA_CHECK(cudaDeviceGetAttribute(&count, cudaDevAttrMultiProcessorCount, device));
    return count;
}

// Blocks for a grid-stride loop over `work` items of `per_block` each: enough to fill the device
// (`waves` resident blocks per multiprocessor), never more than the work needs.
inline unsigned grid_for(std::uint64_t work, std::uint64_t per_block, int waves = 8) {
    const std::uint64_t needed = (work + per_block - 1) / per_block;
    const std::uint64_t fill = static_cast<std::uint64_t>(multiprocessor_count()) * static_cast<std::uint64_t>(waves);
    return static_cast<unsigned>(std::max<std::uint64_t>(1, std::min(needed, fill)));
}

inline void check_launch() { GGUF_CUDA_CHECK(cudaGetLastError()); }

}  // namespace gguf::cuda

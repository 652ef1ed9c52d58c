// Large host memory copies on several threads: the pass moves weights from the mapped file into pinned
// staging buffers, and logits from pinned buffers into the caller's vectors. One thread copies a few
// GB/s; the PCIe link and the memory system take several times that.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gguf::cuda {

void parallel_copy(void* dst, const void* src, std::uint64_t bytes);

}  // namespace gguf::cuda

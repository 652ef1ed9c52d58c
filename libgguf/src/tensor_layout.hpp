// Structural facts about where tensor data lies: sizes from the type registry, bounds, alignment,
// overlaps, gaps and the packed layout ggml expects. Facts become issues; parsing goes on.
#pragma once

#include <vector>

#include "gguf/container.hpp"

namespace gguf {

// Fills n_bytes, file_offset, shard and data_valid of every tensor and appends what it finds.
void check_tensor_layout(const Shard& shard, std::uint32_t shard_index, std::vector<TensorInfo>& tensors,
                         std::vector<StructuralIssue>& issues);

}  // namespace gguf

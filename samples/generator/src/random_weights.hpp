// Seeded random weights at the scale of real checkpoints. Each value depends only on the seed, the
// tensor's name and the element's index (a counter-based generator), so any chunk of any tensor can be
// produced on its own, in any order, on any thread, with the same result.
#pragma once

#include <cstdint>
#include <span>

#include "tensor_plan.hpp"

namespace gguf::samples::detail {

// Rows [first_row, first_row + out.size() / row_length) of `tensor`.
void fill_random(const ModelConfig& config, const PlannedTensor& tensor, std::uint64_t first_row, std::span<float> out);

}  // namespace gguf::samples::detail

// Everything compute_stats derives from the fine histogram (65536 bins of the values' top 16 bits)
// once all threads' counts are merged: percentiles, the linear and log-magnitude histograms, the raw
// exponent histogram of float tensors, and the subnormal count.
#pragma once

#include <cstdint>

#include "gguf/stats.hpp"

namespace gguf::dequant::detail {

// Reads stats.type, finite_count, zero_count, nan_count, inf counts, min and max; fills percentiles,
// histogram, log_histogram, raw_exponents and subnormal_count.
void summarize_histogram(const std::uint64_t* fine, std::uint32_t linear_bins, TensorStats& stats);

}  // namespace gguf::dequant::detail

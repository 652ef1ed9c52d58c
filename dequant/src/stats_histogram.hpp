// Everything compute_stats derives from the fine histogram (65536 bins of the values' top 16 bits)
// once all threads' counts are merged: percentiles, the linear and log-magnitude histograms, the raw
// exponent histogram of float tensors, and the subnormal count.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "gguf/stats.hpp"

namespace gguf::dequant::detail {

// Reads stats.type, finite_count, zero_count, nan_count, inf counts, min and max; fills percentiles,
// histogram, log_histogram, raw_exponents and subnormal_count.
void summarize_histogram(const std::uint64_t* fine, std::uint32_t linear_bins, TensorStats& stats);

// The finite values of a fine histogram, given as its non-empty bins (top 16 bits, count) in ascending
// value order, in `n_bins` equal bins over [min, max] (their exact extremes): each fine bin's count goes
// to the bin holding the fine bin's centre. Empty when there is no bin.
std::vector<std::uint64_t> linear_histogram(const std::vector<std::pair<std::uint32_t, std::uint64_t>>& ascending_bins,
                                            std::uint32_t n_bins, double min, double max);

}  // namespace gguf::dequant::detail

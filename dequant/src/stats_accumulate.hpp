// The per-value work of compute_stats: moments, extremes, value classes and the fine histogram of a
// run of decoded floats, and the statistics of block scales. Each thread owns its accumulators;
// stats.cpp merges them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "kernels.hpp"
#include "simd.hpp"

namespace gguf::dequant::detail {

// The fine histogram: one bin per value of a float's top 16 bits (sign, exponent, 7 mantissa bits).
inline constexpr std::size_t kFineBins = 65536;
// The histogram is kept as kHistogramCopies tables of kFineBins counts, values going to them in turn:
// two neighbouring values often fall into the same bin, and with one table the second increment
// waits for the first to be stored. The copies are summed when they are flushed.
inline constexpr std::size_t kHistogramCopies = 2;
inline constexpr std::size_t kHistogramCounts = kFineBins * kHistogramCopies;

// Count, mean and sum of squared deviations, merged across runs with Chan et al.'s formula, so no
// sum of squares of large numbers is ever subtracted from another.
struct Moments {
    std::uint64_t n = 0;
    double mean = 0.0;
    double m2 = 0.0;

    void merge(const Moments& other);
    double variance() const { return n ? m2 / static_cast<double>(n) : 0.0; }
    double mean_square() const { return variance() + mean * mean; }
};

// Sums over one run of values (a piece of a row): shifted by `shift` (the run's first finite value)
// so that a tensor far from zero with a small spread (norm weights) loses no precision.
struct RunSums {
    double shift = 0.0;
    std::uint64_t n_finite = 0;
    double s1 = 0.0;  // sum of (x - shift) over the finite values
    double s2 = 0.0;  // sum of (x - shift)^2
    float min = std::numeric_limits<float>::infinity();
    float max = -std::numeric_limits<float>::infinity();
    std::uint64_t zeros = 0;
    std::uint64_t nan = 0, pos_inf = 0, neg_inf = 0;

    std::uint64_t nonfinite() const { return nan + pos_inf + neg_inf; }
    Moments moments() const;
};

// Accumulates x[0, n) into `run` and `histogram` (kHistogramCounts counts of finite values, the bin of
// a value in any of the copies; 32-bit so that the part in use stays in L1: the caller moves them to
// 64-bit totals before they can overflow; nullptr: no histogram).
// The scalar version handles every value and is the reference; the AVX2 one stops before the first
// group of 8 values holding a NaN or Inf and returns how many values it took (the caller passes the
// rest to the scalar one).
void accumulate_scalar(const float* x, std::size_t n, RunSums& run, std::uint32_t* histogram);
#if GGUF_DEQUANT_X86
std::size_t accumulate_finite_avx2(const float* x, std::size_t n, RunSums& run, std::uint32_t* histogram);
#endif

// Both, as simd_enabled() decides (or the scalar one alone).
void accumulate(const float* x, std::size_t n, RunSums& run, std::uint32_t* histogram, bool use_simd);

// One scale field over many blocks.
struct ScaleAccumulator {
    ScaleField field;
    std::uint64_t count = 0, nan = 0, inf = 0, zero = 0, subnormal = 0, negative = 0;
    Moments finite;  // of the finite scales
    double min = std::numeric_limits<double>::infinity();
    double max = -std::numeric_limits<double>::infinity();
    // The finite scales by their float32 top 16 bits, like the values' fine histogram, kept by binade
    // (sign and exponent field, 128 counts each): a tensor's scales span a few binades, and only those
    // are allocated, so each thread's accumulator stays small.
    std::array<std::vector<std::uint64_t>, 512> binades;

    // `blocks`: little-endian whole blocks of `block_bytes` each.
    void add_blocks(const std::byte* blocks, std::size_t n_blocks, std::size_t block_bytes);
    void merge(const ScaleAccumulator& other);
    // The non-empty fine bins (top 16 bits, count) in ascending value order, as linear_histogram takes them.
    std::vector<std::pair<std::uint32_t, std::uint64_t>> fine_bins_ascending() const;
};

}  // namespace gguf::dequant::detail

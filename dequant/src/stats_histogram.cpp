#include "stats_histogram.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "gguf/float_formats.hpp"
#include "gguf/types.hpp"
#include "stats_accumulate.hpp"

namespace gguf::dequant::detail {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

int exponent_field(std::uint32_t bin) { return static_cast<int>((bin >> 7) & 0xFF); }

// The range of values whose top 16 bits are `bin`, in value order: [lower, upper].
struct BinRange {
    double lower;
    double upper;
};
// The bins of +-0 also hold the subnormals below 2^-133; they are taken as exactly 0, so that zeros
// (common) come out exact and those tiny values are off by less than 2^-133.
BinRange bin_range(std::uint32_t bin) {
    const std::uint32_t magnitude = bin & 0x7FFF;
    if (magnitude == 0) return {0.0, 0.0};
    const double small = float_from_bits(magnitude << 16);
    const double large = float_from_bits(((magnitude + 1) << 16) - 1);  // the largest value in the bin
    return bin & 0x8000 ? BinRange{-large, -small} : BinRange{small, large};
}

// Finite bins in ascending value order: negatives from the largest magnitude down, then positives.
template <class F>
void for_each_bin_ascending(const std::uint64_t* fine, F&& f) {
    for (std::uint32_t bin = 0xFF7F; bin >= 0x8000; --bin)
        if (fine[bin]) f(bin, fine[bin]);
    for (std::uint32_t bin = 0; bin <= 0x7F7F; ++bin)
        if (fine[bin]) f(bin, fine[bin]);
}

// The fine bins as a sorted list of (bin, count) runs, for rank queries.
struct RankedBin {
    std::uint32_t bin;
    std::uint64_t first_rank;  // rank of the first value in the bin (0-based, ascending)
    std::uint64_t count;
};

// Estimate of the order statistic of rank r: its position within its bin, spread evenly.
double value_at_rank(const std::vector<RankedBin>& bins, std::uint64_t r) {
    const auto it = std::upper_bound(bins.begin(), bins.end(), r,
                                     [](std::uint64_t rank, const RankedBin& b) { return rank < b.first_rank; });
    const RankedBin& b = *std::prev(it);
    const BinRange range = bin_range(b.bin);
    const double position = (static_cast<double>(r - b.first_rank) + 0.5) / static_cast<double>(b.count);
    return range.lower + position * (range.upper - range.lower);
}

void percentiles(const std::uint64_t* fine, TensorStats& s) {
    std::vector<RankedBin> bins;
    std::uint64_t rank = 0;
    for_each_bin_ascending(fine, [&](std::uint32_t bin, std::uint64_t count) {
        bins.push_back({bin, rank, count});
        rank += count;
    });
    for (std::size_t k = 0; k < kPercentiles.size(); ++k) {
        s.percentiles[k].p = kPercentiles[k];
        if (rank == 0) {
            s.percentiles[k].value = kNaN;
            continue;
        }
        // NumPy's default ("linear"): between the order statistics around p/100 * (n - 1).
        const double h = kPercentiles[k] / 100.0 * static_cast<double>(rank - 1);
        const auto below = static_cast<std::uint64_t>(std::floor(h));
        const std::uint64_t above = std::min(below + 1, rank - 1);
        const double lo = value_at_rank(bins, below), hi = value_at_rank(bins, above);
        // The exact extremes bound every order statistic; clamping only moves an estimate closer.
        s.percentiles[k].value = std::clamp(lo + (h - static_cast<double>(below)) * (hi - lo), s.min, s.max);
    }
}

void log_histogram(const std::uint64_t* fine, TensorStats& s) {
    std::vector<std::uint64_t> by_field(256, 0);  // float32 exponent field, both signs
    for (std::uint32_t bin = 0; bin < kFineBins; ++bin) by_field[exponent_field(bin)] += fine[bin];
    // Field 0 holds the zeros and the float32 subnormals.
    const std::uint64_t f32_subnormals = by_field[0] - s.zero_count;
    s.log_histogram.clear();
    if (f32_subnormals) s.log_histogram.push_back({-127, f32_subnormals});
    for (int field = 1; field < 255; ++field)
        if (by_field[field]) s.log_histogram.push_back({field - 127, by_field[field]});

    // Subnormal in the storage format: F16 below 2^-14 (float32 field < 113), else float32 subnormal.
    const bool f16 = s.type == static_cast<std::uint32_t>(TypeId::F16);
    std::uint64_t below = 0;
    for (int field = 0; field < (f16 ? 113 : 1); ++field) below += by_field[field];
    s.subnormal_count = below - s.zero_count;

    // Raw exponent fields of float tensors: float32/bfloat16 share the float32 field; an F16 value's
    // field is its float32 field - 112, with every value below 2^-14 in field 0. Inf/NaN: the top bin.
    s.raw_exponents.clear();
    if (f16) {
        s.raw_exponents.assign(32, 0);
        s.raw_exponents[0] = below;
        for (int field = 113; field <= 142; ++field) s.raw_exponents[field - 112] = by_field[field];
        s.raw_exponents[31] = s.nan_count + s.inf_count();
    } else if (s.type == static_cast<std::uint32_t>(TypeId::F32) || s.type == static_cast<std::uint32_t>(TypeId::BF16)) {
        s.raw_exponents = by_field;
        s.raw_exponents[255] = s.nan_count + s.inf_count();
    }
}

}  // namespace

std::vector<std::uint64_t> linear_histogram(const std::vector<std::pair<std::uint32_t, std::uint64_t>>& ascending_bins,
                                            std::uint32_t n_bins, double min, double max) {
    if (ascending_bins.empty() || n_bins == 0) return {};
    std::vector<std::uint64_t> counts(n_bins, 0);
    const double width = (max - min) / n_bins;
    for (const auto& [bin, count] : ascending_bins) {
        const BinRange r = bin_range(bin);
        const double centre = std::clamp((r.lower + r.upper) / 2, min, max);
        const auto index = width > 0 ? static_cast<std::int64_t>(std::floor((centre - min) / width)) : 0;
        counts[static_cast<std::size_t>(std::clamp<std::int64_t>(index, 0, n_bins - 1))] += count;
    }
    return counts;
}

void summarize_histogram(const std::uint64_t* fine, std::uint32_t linear_bins, TensorStats& stats) {
    percentiles(fine, stats);
    std::vector<std::pair<std::uint32_t, std::uint64_t>> bins;
    if (stats.finite_count > 0)
        for_each_bin_ascending(fine, [&](std::uint32_t bin, std::uint64_t count) { bins.emplace_back(bin, count); });
    stats.histogram = linear_histogram(bins, linear_bins, stats.min, stats.max);
    log_histogram(fine, stats);
}

}  // namespace gguf::dequant::detail

// Per-tensor statistics, computed in one streaming pass over the tensor's bytes, fused with
// dequantization, on all cores: the tensor is decoded a few thousand values at a time into
// per-thread buffers, never as a whole, so memory stays flat for any model size.
// docs/stats.md says how each number is computed and how accurate the approximate ones are.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/error.hpp"

namespace gguf::dequant {

struct StatsOptions {
    int threads = 0;                     // <= 0: all cores
    std::uint32_t linear_bins = 64;      // bins of the linear histogram over [min, max]
    std::uint32_t extreme_rows = 3;      // rows kept in smallest_rms_rows / largest_rms_rows
    std::uint64_t chunk_bytes = 256 << 10;  // tensor bytes per unit of work (tests make it small)
    // Called with the bytes of this tensor done so far (increasing, the tensor's size last), from the
    // worker threads but never concurrently. Apps add the sizes of earlier tensors for a whole-file bar.
    std::function<void(std::uint64_t bytes_done)> progress;
};

// One order statistic, estimated from the fine histogram (docs/stats.md: "Percentiles").
struct Percentile {
    double p = 0.0;      // in percent: 0.1, 1, 50, 99, 99.9
    double value = 0.0;  // NaN when the tensor has no finite value
};

struct RowRms {
    std::uint64_t row = 0;  // index over ne[1..3], ne[1] fastest (the row's offset is row * row bytes)
    double rms = 0.0;
};

// |x| in [2^exponent, 2^(exponent + 1)).
struct LogBin {
    int exponent = 0;
    std::uint64_t count = 0;
};

// Statistics of one per-block scale field (d, dmin, m or e) over all blocks.
struct ScaleStats {
    std::string name;              // as ggml's block struct spells it: "d", "dmin", "m", "e"
    std::uint64_t count = 0;       // blocks (super-blocks for K-quants, sub-blocks for NVFP4's d[4])
    std::uint64_t nan_count = 0;
    std::uint64_t inf_count = 0;
    std::uint64_t zero_count = 0;
    std::uint64_t subnormal_count = 0;  // not zero, below the format's smallest normal: f16 2^-14, UE4M3 2^-6
    std::uint64_t negative_count = 0;   // finite and < 0
    double min = 0.0, max = 0.0, mean = 0.0, std = 0.0;  // over the finite scales; NaN when none
    // The finite scales in options.linear_bins equal bins over [min, max], binned as the values'
    // linear histogram is (TensorStats::histogram); empty when no scale is finite.
    std::vector<std::uint64_t> histogram;
};

// One packed sub-block scale field (a small integer per sub-block) over all sub-blocks: the K-quants'
// 4-, 6- and 8-bit scales and mins, the IQ types' 3- and 4-bit scales (of the IQ blocks whose d is not
// zero, see CodeUsage::zero_blocks). docs/stats.md lists each field.
struct SubScaleStats {
    std::string name;               // "scales", "mins"; IQ2_XXS/IQ3_XXS "aux.scale", IQ1_S "qh.scale"
    std::uint32_t bits = 0;         // width of the field
    int min_code = 0;               // code of histogram[0]: 0, or -32 (Q3_K's offset), -128 (Q6_K's int8)
    std::uint64_t count = 0;        // sub-block scales read
    std::vector<std::uint64_t> histogram;  // 2^bits counts, code min_code + i
    double mean = 0.0;              // mean code; NaN when count == 0
};

// How a code-book type uses its grid and its sign bits (docs/stats.md: "Grid and sign usage"). A
// quantizer fitting trained weights uses much of its grid and sets about half its sign bits; all
// counters stay 0 for types without a grid, signs or shifts.
struct CodeUsage {
    std::uint32_t grid_size = 0;      // entries in the type's code book; 0: none
    std::uint32_t grid_used = 0;      // distinct entries used by the tensor's groups
    std::uint64_t grid_lookups = 0;   // indices read (one a group of 8; two for IQ3's grids of 4)
    // IQ blocks whose d is 0 (all values zero): left out of every count here and of sub_scales, since
    // ggml writes them as zero bytes (grid entry 0, no sign set) whatever the tensor's weights are.
    std::uint64_t zero_blocks = 0;
    std::uint64_t sign_bits = 0;      // IQ2, IQ3: sign bits applied (8 a group of 8 values, parity bit included)
    std::uint64_t signs_set = 0;      // of them, the set ones (negative values)
    std::uint64_t delta_bits = 0;     // IQ1: signs of the 1/8 shift (IQ1_S one a sub-block, IQ1_M one a group)
    std::uint64_t deltas_negative = 0;
    double grid_used_fraction() const { return grid_size ? static_cast<double>(grid_used) / grid_size : 0.0; }
    double sign_fraction() const { return sign_bits ? static_cast<double>(signs_set) / static_cast<double>(sign_bits) : 0.0; }
    double delta_negative_fraction() const {
        return delta_bits ? static_cast<double>(deltas_negative) / static_cast<double>(delta_bits) : 0.0;
    }
};

inline constexpr std::array<double, 5> kPercentiles = {0.1, 1.0, 50.0, 99.0, 99.9};

struct TensorStats {
    std::string name;
    std::uint32_t type = 0;
    // False for a type without a dequantizer: then only name, type, count and the row shape are set
    // and every statistic is absent (never guessed).
    bool supported = false;

    std::uint64_t count = 0;       // elements
    std::uint64_t n_rows = 0;      // ne[1] * ne[2] * ne[3]
    std::uint64_t row_length = 0;  // ne[0]

    // Every element is in exactly one class: NaN, +Inf, -Inf, zero (+0 or -0), subnormal, or normal.
    // Subnormal is measured in the tensor's storage format: F16 values below 2^-14; for every other
    // type the decoded float32 below 2^-126.
    std::uint64_t nan_count = 0;
    std::uint64_t pos_inf_count = 0;
    std::uint64_t neg_inf_count = 0;
    std::uint64_t zero_count = 0;
    std::uint64_t subnormal_count = 0;
    std::uint64_t finite_count = 0;  // count - NaN - Inf
    std::uint64_t inf_count() const { return pos_inf_count + neg_inf_count; }

    // Over the finite values (NaN and Inf are counted above, not included), accumulated in double;
    // all NaN when finite_count == 0. std is the population standard deviation.
    double min = 0.0, max = 0.0, abs_max = 0.0;
    double mean = 0.0, std = 0.0, rms = 0.0;

    // Estimates from a 65536-bin histogram of the values' top 16 bits (sign, exponent, 7 mantissa
    // bits): off by at most 2^-7 (0.8%) of the magnitude of the order statistics they interpolate,
    // plus 2^-133 (values below that magnitude count as 0; zeros themselves come out exact).
    std::array<Percentile, kPercentiles.size()> percentiles{};

    // Linear histogram of the finite values over [min, max], options.linear_bins equal bins; a value
    // is counted in the bin that holds the centre of its fine bin (so within 0.4% of a bin edge it may
    // land in the neighbour). Empty when finite_count == 0.
    std::vector<std::uint64_t> histogram;
    // Finite non-zero values by binary order of magnitude, ascending, only exponents that occur; the
    // float32 subnormals, if any, are one bin with exponent -127.
    std::vector<LogBin> log_histogram;
    // For F16, BF16 and F32 tensors: how many stored values have each raw exponent field (32 bins for
    // F16, 256 for BF16/F32; the last bin is Inf/NaN, the first zero/subnormal). Healthy weights
    // occupy a narrow band; F16 read as BF16 or byte-swapped data spreads over all of them. Empty
    // for other types.
    std::vector<std::uint64_t> raw_exponents;

    // Rows (ne[0] values each).
    std::uint64_t zero_rows = 0;       // rows whose values are all zero
    std::uint64_t nonfinite_rows = 0;  // rows with at least one NaN or Inf
    // Among the rows with only finite values: the lowest and highest rms (ascending and descending,
    // ties by row index), at most options.extreme_rows each.
    std::vector<RowRms> smallest_rms_rows;
    std::vector<RowRms> largest_rms_rows;

    // Per-block scales of quantized types (the super-block d and dmin for K-quants), in block order:
    // empty for plain numbers.
    std::vector<ScaleStats> scales;
    std::uint64_t nonfinite_scales = 0;  // NaN or Inf scales over all fields
    // The integer sub-block scales of K-quants and IQ types, in field order; empty for other types.
    std::vector<SubScaleStats> sub_scales;
    CodeUsage codes;  // IQ1, IQ2, IQ3 only
};

// Statistics of one tensor. An unsupported type gives supported = false (not an error); errors are
// for views whose bytes do not match their tensor (tensor_unreadable) or bad options (invalid_argument).
Result<TensorStats> compute_stats(const TensorView& view, const StatsOptions& options = {});

}  // namespace gguf::dequant

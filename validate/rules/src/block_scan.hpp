// One pass over a tensor's raw bytes for what the dequantized statistics cannot show: a content hash
// (identical tensors), every block scale of the quantized types (outliers, non-finite values), and how
// much of its code range each block uses.
//
// ggml's quantizers choose each block's scale from the block's own largest value, so that value lands
// on the extreme code: Q8_0 stores it as +-127, Q4_0/Q5_0 as code 0 (value -8/-16), Q4_1/Q5_1 span
// codes 0..15/0..31; the K-quants choose each super-block's scale so its largest sub-block scale is the
// top code (63 for Q4_K/Q5_K's 6-bit scales, -128 for Q6_K's int8 scales). A block that uses less than
// half of that range has a quantization error more than twice what its own scale allows: no quantizer
// writes that, but altered quant bits or a foreign quantizer's layout do.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "gguf/container.hpp"

namespace gguf::rules {

struct BlockScan {
    std::uint64_t hash_low = 0, hash_high = 0;  // XXH3-128 of the raw bytes

    bool has_scales = false;          // a quantized type whose block scales this scan reads
    std::uint64_t scales = 0;         // scales read (d of every block; dmin of types that have one)
    std::uint64_t non_finite_scales = 0;
    std::uint64_t first_non_finite_block = 0;
    double scale_abs_max = 0;         // over finite scales
    std::uint64_t scale_abs_max_block = 0;
    double scale_abs_p99 = 0;         // 99th percentile of finite |d|, from a log-magnitude histogram

    bool has_fill = false;            // a type whose code usage this scan understands
    std::uint64_t fill_blocks = 0;    // non-degenerate blocks examined
    std::uint64_t underfilled_blocks = 0;
    std::uint64_t first_underfilled_block = 0;
};

// Scales of every block (a single corrupted block must show); code usage of up to `max_fill_blocks`
// evenly spaced blocks.
BlockScan scan_blocks(const TensorView& view, std::uint64_t max_fill_blocks = 1u << 14);

// Types whose code usage scan_blocks() judges (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K).
bool fill_supported(std::uint32_t type);

}  // namespace gguf::rules

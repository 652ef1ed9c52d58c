// Everything the value rules know about one tensor after the single pass over its data: the dequant
// library's streaming statistics, the raw-byte scan (hash, block scales, code usage), the float-format
// profile, and, for the small 1-D norm vectors, the values themselves.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "block_scan.hpp"
#include "float_format.hpp"
#include "gguf/container.hpp"
#include "gguf/model/schema.hpp"
#include "gguf/stats.hpp"

namespace gguf::rules {

struct ValueStats {
    std::uint64_t count = 0;
    std::uint64_t nan = 0, inf = 0, zeros = 0;
    double min = 0, max = 0, mean = 0, std = 0, rms = 0;
    std::uint64_t n_rows = 0;
    std::uint64_t zero_rows = 0;
    double max_row_rms = 0;
    std::uint64_t max_row = 0;
    dequant::CodeUsage codes;  // code-book (IQ) types: grid, sign and shift usage
};

struct TensorEvidence {
    const TensorInfo* tensor = nullptr;
    model::TensorRole role = model::TensorRole::other;
    std::int64_t layer = -1;
    std::string group;                    // siblings across layers ("blk.*.attn_norm.weight")
    bool norm = false;                    // a 1-D normalization gain
    bool matrix = false;                  // a 2-D weight matrix (projection or embedding)
    std::optional<ValueStats> stats;      // absent when the type cannot be decoded
    std::optional<BlockScan> blocks;      // absent when the data is not readable
    std::optional<FloatFormatSample> format;
    std::vector<float> values;            // norm vectors only
};

}  // namespace gguf::rules

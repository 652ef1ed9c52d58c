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

// One expert's matrix of a 3-D expert stack (ne = [n_in, n_out, n_expert]): its raw bytes' hash and
// the rms of its decoded values.
struct ExpertSlice {
    std::uint64_t hash_low = 0, hash_high = 0;  // XXH3-128 of the expert's raw bytes
    bool decoded = false;                       // the type has a dequantizer: rms and all_zero are set
    double rms = 0;                             // over the finite values
    bool all_zero = false;                      // every value is +-0
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
    std::vector<ExpertSlice> experts;     // expert stacks only, one per expert
};

}  // namespace gguf::rules

// Which rows of attn_q/attn_k form RoPE's rotary pairs, read from trained weights alone (GD-W024, so
// `check --no-forward` catches a converter's Q/K order mistake too).
//
// RoPE rotates each pair of a head's dimensions by an angle of its own frequency, and a rotation of a
// pair's query rows and key rows together leaves attention unchanged. Training therefore couples a
// pair's query rows to the same pair's key rows: the query row of one dimension of a pair lines up
// (in the input space) with the key row of the other dimension, which rows of different pairs do not
// do. The statistic, per block: M[r][t] = sum over query heads h of (q_h,r . k_g(h),t)^2, and for a
// candidate pairing P the sum S(P) = sum_r M[r][P(r)], compared with S over random pairings of the same
// rows (a z-score). The true pairing stands out; random (untrained) weights favour none.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/model/finding.hpp"
#include "gguf/model/spec.hpp"

namespace gguf::verdict {

// The candidate row arrangements within a head, named by how often llama.cpp's converter permutation
// (Hugging Face's rotate-half order -> interleaved pairs) was applied to Hugging Face's rows.
enum class RopeArrangement : std::uint8_t {
    rotate_half = 0,      // pairs (i, i + head_dim/2): Hugging Face's order, what neox RoPE rotates
    interleaved = 1,      // pairs (2i, 2i+1): the converter's permutation once, what normal RoPE rotates
    permuted_twice = 2,   // the permutation applied to already interleaved rows
};
inline constexpr int rope_arrangement_count = 3;
std::string arrangement_name(RopeArrangement a);

// A pairing is reported when its pooled z-score is at least `rope_pair_signal_z` and exceeds the
// architecture's own pairing by at least `rope_pair_margin_z` (docs/rules.md, "RoPE pairs", gives
// the measured distributions).
inline constexpr double rope_pair_signal_z = 5.0;
inline constexpr double rope_pair_margin_z = 4.0;

struct RopePairBlock {
    std::uint64_t block = 0;
    std::uint64_t heads = 0;                        // query heads measured
    std::vector<double> z;                          // per RopeArrangement
};

struct RopePairEvidence {
    RopeArrangement expected = RopeArrangement::interleaved;  // the pairing the architecture's RoPE rotates
    std::uint64_t head_dim = 0;
    std::vector<RopePairBlock> blocks;              // the blocks measured
    std::vector<double> z;                          // pooled over blocks (sum / sqrt(blocks)), per arrangement
    RopeArrangement best() const;                   // the arrangement with the largest pooled z
};

// Measures the blocks whose attn_q/attn_k hold whole heads of fully rotated dimensions (no fused QKV,
// no gate half, rope.dimension_count = head size). At most 8 blocks (spread over the model) and as
// many query heads per block (spread over the KV groups) as a budget of about 2^31 multiply-adds
// allows, so a 7B model costs a fraction of a second. nullopt when nothing can be measured (no such
// block, a type without a dequantizer).
std::optional<RopePairEvidence> measure_rope_pairs(const Container& model, const model::ModelSpec& spec);

// GD-W024 (error) when another arrangement than the expected one stands out decisively.
std::vector<model::Finding> rope_pair_findings(const RopePairEvidence& evidence, const model::ModelSpec& spec);

// One line for check's step table: what the weights say about the pairing.
std::string rope_pair_summary(const std::optional<RopePairEvidence>& evidence);

}  // namespace gguf::verdict

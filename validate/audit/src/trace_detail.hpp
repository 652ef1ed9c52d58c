// Internals of the trace audit: comparing one activation with a user's record, and the hypotheses
// tested at the first divergence.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "gguf/audit/tensor_audit.hpp"
#include "gguf/container.hpp"
#include "gguf/forward/pass_params.hpp"
#include "gguf/forward/trace.hpp"
#include "gguf/model/spec.hpp"

namespace gguf::audit::detail {

struct ActivationDifference {
    double deviation = 0;
    std::string worst;
    double relative_rms = 0;
    double max_abs_diff = 0;
    forward::TraceRecord summary;  // of `values`, with as many first values as `theirs` has
};

// `values` (row-major, `shape`) against their record; `their_values` empty when they gave only the
// summary. The relative differences: rms and mean against our rms; min and max against our largest
// magnitude; each first value against max(our rms, |our value|); full values: ||theirs - ours|| /
// ||ours||. A different shape or non-finite count is an infinite deviation.
ActivationDifference compare_activation(std::span<const float> values, const std::vector<std::uint64_t>& shape,
                                        const forward::TraceRecord& theirs, std::span<const float> their_values);

// Everything the hypotheses at a divergence read.
struct DivergencePoint {
    const Container& model;
    const model::ModelSpec& spec;
    const forward::PassParams& params;
    const forward::Trace& ours;                  // every record with its values
    const forward::TraceRecord& theirs;
    std::span<const float> their_values;         // empty without an .npy
    std::int32_t layer = -1;
    std::string op;
    std::uint64_t n_tokens = 0;
    double tolerance = 0;
    int threads = 0;
    bool qk_hf = false;                          // their q_proj/k_proj/q/k columns are in Hugging Face's order
};

// Our activation of `op` in the column order the user keeps: with `qk_hf` on a model with RoPE on
// adjacent pairs, each head of q_proj/k_proj/q/k in Hugging Face's order; otherwise unchanged.
std::vector<float> in_their_order(const model::ModelSpec& spec, bool qk_hf, const std::string& op, std::span<const float> values);

// The ops whose outputs feed `op` of `layer` (docs/trace.md's table), as (layer, op).
std::vector<std::pair<std::int32_t, std::string>> op_inputs(const Container& model, std::int32_t layer, const std::string& op,
                                                             std::uint64_t n_layer);
// "the residual add (x + attn_out)", "RoPE", ... and the weights the op reads.
std::string op_description(const std::string& op);
std::vector<std::string> op_weights(const Container& model, std::int32_t layer, const std::string& op);

// Recomputes the op from the reference's inputs in each mistaken way that applies, appends those that
// reproduce their numbers, and names every hypothesis tried.
void explain_divergence(const DivergencePoint& point, std::vector<Diagnosis>& fits, std::vector<std::string>& tested);

}  // namespace gguf::audit::detail

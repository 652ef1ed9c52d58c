// The experts of a mixture-of-experts model, one 3-D stack at a time (ffn_{gate,up,down}_exps, ne =
// [n_in, n_out, n_expert]): per-expert evidence read with the stack, then the rules that compare the
// experts of a stack. A dead (all-zero) expert or one stored with another expert's bytes is invisible
// to the per-tensor rules, which see the stack as one tensor.
#pragma once

#include <vector>

#include "gguf/container.hpp"
#include "rule_context.hpp"
#include "tensor_evidence.hpp"

namespace gguf::rules {

// One ExpertSlice per expert of a 3-D stack: the hash of its bytes and, when the type can be decoded,
// the rms of its values. `threads` > 1 reads experts in parallel.
std::vector<ExpertSlice> expert_slices(const TensorView& view, int threads);

// GD-W021 (an all-zero expert) and GD-W022 (an expert with another expert's bytes), each finding one per
// stack with the experts it concerns and the stack's per-expert rms spread as evidence.
void expert_rules(RuleContext& ctx, const std::vector<TensorEvidence>& all);

}  // namespace gguf::rules

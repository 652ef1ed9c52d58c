// Rules on the values of each tensor, and across tensors (identical content, norms among siblings).
#pragma once

#include <vector>

#include "rule_context.hpp"
#include "tensor_evidence.hpp"

namespace gguf::rules {

// Classifies a tensor (role, layer, norm / matrix) from its name and shape.
TensorEvidence classify(const TensorInfo& tensor);

void tensor_value_rules(RuleContext& ctx, const TensorEvidence& e);
// GD-W023 on the code-book (IQ) types (code_usage_rules.cpp).
void code_usage_rules(RuleContext& ctx, const TensorEvidence& e, const ValueStats& s);
void duplicate_rules(RuleContext& ctx, const std::vector<TensorEvidence>& all);
void norm_rules(RuleContext& ctx, const std::vector<TensorEvidence>& all);

}  // namespace gguf::rules

// The single pass over the tensor data: for each tensor, the dequant library's streaming statistics,
// the raw-byte scan and the float-format sample, then the value rules; then the rules across tensors.
// `beside` (rules that read only metadata) runs on one of the pass's threads while the others read.
#pragma once

#include <cstdint>
#include <functional>

#include "gguf/rules/check.hpp"
#include "rule_context.hpp"

namespace gguf::rules {

struct ValuePassTotals {
    std::uint64_t tensors = 0;
    std::uint64_t bytes = 0;
};

ValuePassTotals value_pass(RuleContext& ctx, const CheckOptions& options, const std::function<void()>& beside = {});

}  // namespace gguf::rules

// The dequant library's streaming statistics, in the form the value rules use.
#pragma once

#include <optional>

#include "gguf/container.hpp"
#include "tensor_evidence.hpp"

namespace gguf::rules {

// nullopt when the tensor's type cannot be decoded.
std::optional<ValueStats> value_stats(const TensorView& view, int threads);

}  // namespace gguf::rules

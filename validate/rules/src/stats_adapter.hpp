// The dequant library's streaming statistics (gguf/stats.hpp), in the form the value rules use.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "gguf/container.hpp"
#include "tensor_evidence.hpp"

namespace gguf::rules {

// nullopt when the tensor's type has no dequantizer (or its bytes cannot be read). `progress` gets the
// bytes of this tensor done so far, from worker threads but never concurrently.
std::optional<ValueStats> value_stats(const TensorView& view, int threads,
                                      const std::function<void(std::uint64_t)>& progress = {});

}  // namespace gguf::rules

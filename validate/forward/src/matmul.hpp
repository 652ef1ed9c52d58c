// out = x W^T for a weight in any supported encoding, decoded panel by panel while it is multiplied.
#pragma once

#include <span>

#include "gguf/error.hpp"
#include "weight_matrix.hpp"

namespace gguf::forward {

// x: [n_tokens][w.n_in()], out: [n_tokens][w.n_out()]. `threads` > 0.
Result<void> matmul(std::span<const float> x, WeightMatrix& w, std::span<float> out, int threads);

}  // namespace gguf::forward

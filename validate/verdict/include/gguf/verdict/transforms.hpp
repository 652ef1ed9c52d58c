// The tensor transformations hypotheses and damage fixtures are made of, over a loaded model. Each
// returns a replacement for make_overlay(); a tensor is kept in its own type where the transformation
// reorders whole rows of a file in the host's byte order (exact and cheap), F32 otherwise.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/error.hpp"
#include "gguf/overlay.hpp"

namespace gguf::verdict {

// The tensor's values as F32 (fails naming the tensor when it is missing or unreadable).
Result<std::vector<float>> tensor_values(const Container& model, const std::string& name);

// F32 data for `name` (whose element count `values` must match).
TensorReplacement f32_replacement(const std::string& name, const std::vector<float>& values);

// Row k of the result is row source[k] of the tensor (rows of ne[0] values; a 1-D tensor's elements).
Result<TensorReplacement> reorder_rows(const Container& model, const std::string& name,
                                       const std::vector<std::uint64_t>& source);

// Values of the tensor, written as if its data held the transposed matrix: element (row o, column i)
// is read from flat position i * n_rows + o.
Result<TensorReplacement> untranspose(const Container& model, const std::string& name);

// Each value x becomes f(x) (F32 result).
Result<TensorReplacement> map_values(const Container& model, const std::string& name,
                                     const std::function<float(float)>& f);

// Each value x becomes f(x, values) (F32 result): for transformations that need the whole tensor (its mean).
Result<TensorReplacement> map_values_with(const Container& model, const std::string& name,
                                          const std::function<std::vector<float>(std::vector<float>)>& f);

// The tensor's bytes read in the other byte order (F32 result).
Result<TensorReplacement> swap_byte_order(const Container& model, const std::string& name);

// The tensor's bytes unchanged, labelled with another type of the same block size and byte size
// (F16 <-> BF16).
Result<TensorReplacement> relabel(const Container& model, const std::string& name, std::uint32_t type);

// F32 zeros in the tensor's shape.
Result<TensorReplacement> zeros(const Container& model, const std::string& name);

// `to`'s data becomes `from`'s (same shape; `from`'s type kept).
Result<TensorReplacement> take_data(const Container& model, const std::string& to, const std::string& from);

}  // namespace gguf::verdict

// A model written again with some tensors replaced (a proven mistake undone), each replaced tensor
// encoded in its own type again: bit-exact where the replacement is a reordering of the tensor's own
// blocks or a relabelled type, re-quantized otherwise (and said so, with the largest difference).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/error.hpp"
#include "gguf/overlay.hpp"
#include "gguf/writer.hpp"

namespace gguf::repair {

struct RewrittenTensor {
    std::string name;
    std::uint32_t old_type = 0, new_type = 0;  // differ only for a relabelled tensor (F16 <-> BF16)
    bool exact = true;           // the written values are exactly the replacement's
    double max_abs_diff = 0;     // else: the largest |written - replacement| (re-quantization error)
};

struct Rewritten {
    Writer writer;  // unchanged tensors borrowed from the model, which must outlive write()
    std::vector<RewrittenTensor> tensors;
};

// `model` (metadata, tensor order, byte order and alignment kept) with `replacements` applied. A
// replacement in the tensor's own type or in another type of the same byte size that is not F32 (a
// relabel) is written as it is; F32 values are encoded in the tensor's type (dequant::quantize).
// Fails naming the tensor when a replacement names no tensor, or its type cannot be re-encoded.
Result<Rewritten> rewrite_with(const Container& model, const std::vector<TensorReplacement>& replacements);

}  // namespace gguf::repair

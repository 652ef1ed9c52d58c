// Known loader and converter mistakes, each as a transformation that undoes it on chosen tensors of a
// loaded model. A counterfactual pass (counterfactual.hpp) runs the model again with one undone: when
// that makes the model decisively better, the file carries that mistake.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/error.hpp"
#include "gguf/model/spec.hpp"
#include "gguf/overlay.hpp"

namespace gguf::verdict {

inline constexpr std::int64_t every_layer = -1;

struct Hypothesis {
    std::string id;       // stable name of the mistake, e.g. "qk_hf_order"
    std::string mistake;  // what the file would have got wrong, for a person
    std::string undo;     // what the counterfactual pass does about it
    std::int64_t layer = every_layer;  // the block it is applied to; every_layer: all blocks at once
    std::vector<std::string> tensors;  // the tensors it replaces
    // The replaced tensors (own type where the undoing reorders whole rows, F32 otherwise).
    std::function<Result<std::vector<TensorReplacement>>(const Container&)> make;
};

// Every hypothesis that applies to `model` (whose tensors must have the shapes the spec implies):
// first each one over all blocks, then, for each block in order, those a mistake may confine to one
// block (a transposed projection, gate/up exchanged, the block itself harmful). Mistakes converters
// make everywhere at once (Q/K order, norm conventions) are tried over all blocks only. Hypotheses that
// cannot apply (no F16 tensor to reread as BF16, no square attention matrix...) are left out.
std::vector<Hypothesis> hypotheses(const Container& model, const model::ModelSpec& spec);

// The row order of one attention projection's heads (`n_heads` heads of `head_dim` rows each):
// result[k] is the source row of row k. `to_gguf`: from Hugging Face's rotate-half order into the
// interleaved pairs of GGUF's RoPE order (what llama.cpp's converter does), else back.
std::vector<std::uint64_t> rope_row_order(std::uint64_t n_heads, std::uint64_t head_dim, bool to_gguf);

}  // namespace gguf::verdict

// Verdicts from the weights alone, for what trained weights show without a forward pass (so
// `check --no-forward` catches it too): one block stored with another block's tensors, and Q/K rows in
// the other RoPE order than the architecture's.
#pragma once

#include <vector>

#include "gguf/container.hpp"
#include "gguf/model/finding.hpp"
#include "gguf/model/spec.hpp"

namespace gguf::verdict {

// GD-W020 (error): every matrix of block b is byte for byte the same as block a's (a < b). The
// modelled architectures share no weights between blocks, so this is a writer's mistake.
std::vector<model::Finding> identical_blocks(const Container& model, const model::ModelSpec& spec);

// How the row norms of each attention head's Q and K rows pair up, the measure behind GD-W021.
struct RopePairing {
    bool measured = false;
    // Mean |log ||row r|| - log ||row s|||| over the pairs (r, s) each RoPE style rotates together:
    // interleaved (2i, 2i+1) as GGUF's normal style, halves (i, i + head_dim/2) as the neox style.
    double interleaved = 0;
    double halves = 0;
    std::uint64_t heads = 0;  // Q and K heads measured over all blocks
};
RopePairing rope_pairing(const Container& model, const model::ModelSpec& spec);

// GD-W021 (error): the Q/K rows pair up as the other RoPE style rotates them, by more than
// `margin` (the ratio of the two measures): rows left in Hugging Face order in a llama-style file.
std::vector<model::Finding> rope_order_findings(const Container& model, const model::ModelSpec& spec, double margin = 2.0);

}  // namespace gguf::verdict

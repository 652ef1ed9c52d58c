// Verdicts from the weights alone, for what the weights show without a forward pass (so
// `check --no-forward` catches it too): one block stored with another block's tensors.
#pragma once

#include <vector>

#include "gguf/container.hpp"
#include "gguf/model/finding.hpp"
#include "gguf/model/spec.hpp"

namespace gguf::verdict {

// GD-W020 (error): every matrix of block b is byte for byte the same as block a's (a < b). The
// modelled architectures share no weights between blocks, so this is a writer's mistake.
std::vector<model::Finding> identical_blocks(const Container& model, const model::ModelSpec& spec);

}  // namespace gguf::verdict

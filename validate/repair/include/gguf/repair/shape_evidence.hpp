// Hyperparameters the tensors' shapes determine. A converter that writes a wrong block count, embedding
// length, feed-forward length, KV head count or vocabulary size leaves a file that llama.cpp refuses
// (or, worse, reads with the wrong geometry), while the tensors say unambiguously what the value must
// be. `fix` sets such keys from this evidence before it looks for mistakes in the weights.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gguf/container.hpp"

namespace gguf::repair {

struct ImpliedValue {
    std::string key;                     // e.g. "llama.feed_forward_length"
    std::optional<std::uint64_t> file;   // the file's value; nullopt when the key is absent
    std::uint64_t implied = 0;           // the value every tensor that depends on it agrees on
    std::string evidence;                // which shapes say so, for a person
};

// The keys of the file's architecture (general.architecture) whose value disagrees with what every
// tensor depending on it implies, or that are absent while the tensors determine them. A key is
// proposed only when the evidence is unanimous (every block's tensor gives the same value, and the
// values it is derived from are themselves confirmed by the shapes); per-layer arrays are left alone.
std::vector<ImpliedValue> values_implied_by_shapes(const Container& model);

}  // namespace gguf::repair

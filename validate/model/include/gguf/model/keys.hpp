// The metadata keys llama.cpp reads, with the value type its converter (gguf-py's GGUFWriter) writes
// for each: what an edit of a key is checked against, so that an edited file is read the same way.
#pragma once

#include <optional>
#include <string_view>

#include "gguf/value.hpp"

namespace gguf::model {

struct KeyType {
    ValueType type = ValueType::uint32;
    // Arrays: the element type. Per-layer hyperparameters (head counts, feed-forward lengths,
    // sliding-window flags): the element type of the array, one entry per block, that llama.cpp accepts
    // instead of the scalar.
    ValueType element = ValueType::uint8;
    bool per_layer_array = false;
    bool token_id = false;                 // a vocabulary index: must be below the token count
};

// The type of `key` for a model of `architecture` ("llama.context_length" is known for llama), or
// nullopt when llama.cpp does not read such a key.
std::optional<KeyType> known_key_type(std::string_view key, std::string_view architecture);

}  // namespace gguf::model

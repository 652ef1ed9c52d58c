// A container that reads like a loaded one except for chosen tensors, whose data it owns: a view of a
// model with some weights transformed (a suspected converter mistake undone, a damage applied), for a
// forward pass to run on unchanged. The base's mapped files and metadata are shared, not copied.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/error.hpp"

namespace gguf {

// New data for one tensor of the base: same name and dimensions; the type may differ (F32 values of a
// transformed tensor, or the tensor's own blocks reordered). `bytes` is in the host's byte order and
// exactly the tensor's size in `type`.
struct TensorReplacement {
    std::string name;
    std::uint32_t type = 0;
    std::vector<std::byte> bytes;
};

// The overlay holds the base's mappings itself, so it may outlive `base`. Its replaced tensors live in
// one extra shard (last in shards(), named "<first shard's path> (overlay)", host byte order), so
// structural rules are not meant for it; view(), find_tensor() and the metadata serve a forward pass.
// Fails with ErrorCode::invalid_argument naming the tensor when a replacement names no tensor of the
// base, repeats one, or has the wrong size for its type.
Result<Container> make_overlay(const Container& base, std::vector<TensorReplacement> replacements);

// The same with metadata values set as well: each key replaces the base's value or is added (a model
// read with another hyperparameter, e.g. fewer blocks for a logit lens).
Result<Container> make_overlay(const Container& base, std::vector<TensorReplacement> replacements,
                               const std::vector<std::pair<std::string, Value>>& metadata);

}  // namespace gguf

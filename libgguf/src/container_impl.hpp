// The parts of a Container, for the files that build one (container.cpp, overlay.cpp).
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gguf/container.hpp"

namespace gguf {

struct Container::Impl {
    std::vector<std::shared_ptr<const void>> storage;  // what keeps each shard's bytes valid (a mapping, a buffer)
    // Bytes an overlay owns (overlay.cpp): the data of its replaced tensors.
    std::vector<std::shared_ptr<const std::vector<std::byte>>> owned;
    std::vector<Shard> shards;
    std::vector<MetadataEntry> metadata;
    std::vector<TensorInfo> tensors;
    std::vector<StructuralIssue> issues;
    std::unordered_map<std::string_view, std::size_t> key_index;     // first occurrence
    std::unordered_map<std::string_view, std::size_t> tensor_index;  // first occurrence

    void build_indexes() {
        for (std::size_t i = 0; i < metadata.size(); ++i) key_index.emplace(metadata[i].key, i);
        for (std::size_t i = 0; i < tensors.size(); ++i) tensor_index.emplace(tensors[i].name, i);
    }
};

}  // namespace gguf

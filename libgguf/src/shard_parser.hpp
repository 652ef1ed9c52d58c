// Parses the header of one GGUF file (one shard): version, byte order, metadata, tensor infos, and the
// structural facts about where tensor data lies in that file.
#pragma once

#include <filesystem>
#include <memory>
#include <vector>

#include "gguf/container.hpp"
#include "mapped_file.hpp"

namespace gguf {

struct ParsedShard {
    Shard shard;
    std::shared_ptr<const MappedFile> mapping;
    std::vector<MetadataEntry> metadata;
    std::vector<TensorInfo> tensors;  // shard index 0; the caller renumbers
    std::vector<StructuralIssue> issues;
};

Result<ParsedShard> parse_shard(const std::filesystem::path& path, const OpenOptions& options);

}  // namespace gguf

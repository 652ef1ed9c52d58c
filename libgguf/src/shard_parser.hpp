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
    std::shared_ptr<const void> storage;  // keeps shard.bytes valid: the file's mapping or an owned copy
    std::vector<MetadataEntry> metadata;
    std::vector<TensorInfo> tensors;  // shard index 0; the caller renumbers
    std::vector<StructuralIssue> issues;
};

// Maps the file and parses it.
Result<ParsedShard> parse_shard(const std::filesystem::path& path, const OpenOptions& options);

// Parses bytes that `storage` keeps valid; `name` stands for the file in errors and Shard::path.
Result<ParsedShard> parse_shard_bytes(std::span<const std::byte> bytes, std::shared_ptr<const void> storage,
                                      const std::filesystem::path& name, const OpenOptions& options);

}  // namespace gguf

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

// Parses a file of `file_size` bytes of which only the first, `bytes`, are at hand (a header fetched
// over the network): counts, lengths and tensor bounds are judged against file_size, as for the whole
// file. When `bytes` end before the header does, fails with `needed` set to how many bytes from the
// start the parse needs at least; otherwise (success, or an error more bytes would not cure) needed is 0.
// The result's Shard::header_only is set when `bytes` is shorter than the file.
Result<ParsedShard> parse_shard_prefix(std::span<const std::byte> bytes, std::uint64_t file_size,
                                       std::shared_ptr<const void> storage, const std::filesystem::path& name,
                                       const OpenOptions& options, std::uint64_t& needed);

}  // namespace gguf

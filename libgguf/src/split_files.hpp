// Split models (llama.cpp's gguf-split): name-00001-of-00003.gguf ... with split.no (0-based),
// split.count and split.tensors.count in every shard. Opening any shard presents the whole model.
#pragma once

#include <filesystem>
#include <functional>
#include <vector>

#include "shard_parser.hpp"

namespace gguf {

// Given the parsed file the user named, returns all shards in order (just that one when the file is
// not part of a split). A missing sibling or keys that disagree are errors.
Result<std::vector<ParsedShard>> load_split_siblings(const std::filesystem::path& path, ParsedShard opened,
                                                     const OpenOptions& options);

// The same with the siblings read by `load` (sibling's path, its 0-based index, the shard count): for
// shards that are not local files. `path` may be a URL; the siblings' names replace its last '/' part.
using SiblingLoader =
    std::function<Result<ParsedShard>(const std::filesystem::path& sibling, std::uint64_t index, std::uint64_t count)>;
Result<std::vector<ParsedShard>> load_split_siblings(const std::filesystem::path& path, ParsedShard opened,
                                                     const SiblingLoader& load);

// A tensor name present in two shards: an error fact (llama.cpp refuses such a model).
void check_split_tensor_names(const std::vector<TensorInfo>& tensors, std::vector<StructuralIssue>& issues);

}  // namespace gguf

// The last step of open() and open_memory(): parsed shards -> Container (tensor layout checks, split
// name checks, duplicate policy, indexes).
#pragma once

#include <vector>

#include "gguf/container.hpp"
#include "shard_parser.hpp"

namespace gguf {

Result<Container> assemble_container(std::vector<ParsedShard> parsed, const OpenOptions& options);

}  // namespace gguf

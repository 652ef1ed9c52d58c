// open_memory(): the parser over a private copy of the caller's bytes.
#include <memory>
#include <vector>

#include "container_assembly.hpp"
#include "shard_parser.hpp"

namespace gguf {

Result<Container> open_memory(std::span<const std::byte> bytes, std::string name, const OpenOptions& options) {
    auto copy = std::make_shared<const std::vector<std::byte>>(bytes.begin(), bytes.end());
    const std::span<const std::byte> owned(copy->data(), copy->size());
    auto parsed = parse_shard_bytes(owned, std::move(copy), name, options);
    if (!parsed) return parsed.error();
    std::vector<ParsedShard> shards;
    shards.push_back(std::move(*parsed));
    return assemble_container(std::move(shards), options);
}

}  // namespace gguf

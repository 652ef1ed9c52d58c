#include "output_guard.hpp"

#include <fmt/format.h>

#include <system_error>

namespace gguf::cli {

std::string refuse_output(const std::filesystem::path& out, const Container& input, bool force) {
    std::error_code ec;
    for (const Shard& shard : input.shards())
        if (std::filesystem::equivalent(out, shard.path, ec))
            return fmt::format("{} is an input file; gguf-doctor never writes over a model it reads", out.string());
    if (std::filesystem::exists(out, ec) && !force)
        return fmt::format("{} exists; pass --force to replace it", out.string());
    return {};
}

}  // namespace gguf::cli

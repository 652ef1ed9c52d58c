// How the names of a user's dump files map to GGUF tensor names. The identity map expects files named
// after the GGUF tensors ("blk.0.attn_q.weight.npy"). A mapping file (docs/audit.md, "Name mapping") is
// a JSON object {"their name": "GGUF name"} where "{L}" on both sides stands for a layer number;
// names no rule matches are taken as GGUF names. The built-in "hf" map knows the Hugging Face
// transformers names of the llama, qwen2 and qwen3 architectures.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gguf/error.hpp"

namespace gguf::audit {

class NameMap {
public:
    NameMap() = default;  // identity
    static NameMap hugging_face();
    // Reads a mapping file. Fails (invalid_argument) for anything but an object of strings, or a rule
    // with "{L}" on one side only.
    static Result<NameMap> from_file(const std::filesystem::path& path);
    // "hf" for the built-in map, otherwise a mapping file.
    static Result<NameMap> from_option(std::string_view value);

    // Adds a rule; "{L}" may appear at most once on each side, and on both sides or neither.
    Result<void> add(std::string their_name, std::string gguf_name);

    std::string to_gguf(std::string_view their_name) const;
    // The name a file would have for this GGUF tensor (for listing what is missing), or the GGUF name.
    std::string to_theirs(std::string_view gguf_name) const;

    bool empty() const { return rules_.empty(); }
    const std::vector<std::pair<std::string, std::string>>& rules() const { return rules_; }

private:
    std::vector<std::pair<std::string, std::string>> rules_;  // their pattern, GGUF pattern
};

}  // namespace gguf::audit

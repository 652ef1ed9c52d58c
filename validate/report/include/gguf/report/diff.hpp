// `gguf-doctor diff A B [--forward]`'s outcome as text for people and JSON for scripts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "gguf/audit/model_diff.hpp"

namespace gguf::report {

struct DiffReport {
    std::string path_a, path_b;
    audit::ModelDiff diff;
    struct Forward {
        std::uint64_t tokens = 0;  // of the built-in text
        std::string backend;       // the pass's own name ("cpu", "cuda:0/tf32")
        audit::ForwardDiff diff;
    };
    std::optional<Forward> forward;  // with --forward
};

// `top`: tensors listed (worst first); SIZE_MAX lists every tensor that differs.
std::string render_text(const DiffReport& report, std::size_t top);
std::string render_json(const DiffReport& report);

}  // namespace gguf::report

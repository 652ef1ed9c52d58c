// `gguf-doctor info`: what to show, and the two renderings of it (text in the spirit of gguf-dump, and
// the JSON document of docs/info-json.md). Only the header is read: no tensor data is touched.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/container.hpp"

namespace gguf::cli::info {

struct Selection {
    std::string file;                // as the user named it
    bool full = false;               // arrays in full instead of their first items
    bool show_metadata = true;
    bool show_tensors = true;
    std::vector<std::string> globs;  // tensors matching any of these; all when empty

    bool selected(const TensorInfo& t) const;
};

// Tensor count, parameters and bytes per type, over the selected tensors, in type id order.
struct TypeTotal {
    std::uint32_t type = 0;
    std::uint64_t tensors = 0;
    std::uint64_t parameters = 0;
    std::uint64_t bytes = 0;
};
std::vector<TypeTotal> totals_by_type(const Container& model, const Selection& sel);

// Bytes of the valid UTF-8 sequence that starts at s[i], or 0 when the byte there starts none.
// Strings in GGUF files need not be UTF-8; both renderings escape the bytes that are not.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i);

// ggml's type name ("Q4_K"), or "unknown" for an id ggml never assigned.
std::string_view type_name(std::uint32_t type);

// Arrays longer than this are shown as their length and first items unless --full.
inline constexpr std::uint64_t text_preview_items = 8;
inline constexpr std::uint64_t json_preview_items = 16;

std::string render_text(const Container& model, const Selection& sel);
std::string render_json(const Container& model, const Selection& sel);

}  // namespace gguf::cli::info

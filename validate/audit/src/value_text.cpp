#include <fmt/format.h>

#include "gguf/audit/model_diff.hpp"

namespace gguf::audit {
namespace {

constexpr std::size_t kMaxString = 80;
constexpr std::uint64_t kArrayPreview = 4;

std::string quoted(std::string_view s) {
    std::string out = "\"";
    for (std::size_t i = 0; i < s.size() && i < kMaxString; ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == '"' || c == '\\') out += fmt::format("\\{}", s[i]);
        else if (c < 0x20 || c == 0x7F) out += fmt::format("\\x{:02x}", c);
        else out += s[i];
    }
    return out + (s.size() > kMaxString ? fmt::format("...\" ({} bytes)", s.size()) : "\"");
}

std::string scalar_text(const Value& v) {
    if (v.is_string()) return quoted(v.as_string());
    if (v.type() == ValueType::boolean) return v.as_bool() ? "true" : "false";
    if (v.type() == ValueType::float32 || v.type() == ValueType::float64) return fmt::format("{}", v.as_f64());
    if (v.type() == ValueType::int8 || v.type() == ValueType::int16 || v.type() == ValueType::int32 || v.type() == ValueType::int64)
        return std::to_string(v.as_i64());
    return std::to_string(v.as_u64());
}

}  // namespace

std::string value_text(const Value& v) {
    if (!v.is_array()) return scalar_text(v);
    std::string out = fmt::format("[{} x {}]", value_type_name(v.element_type()), v.size());
    for (std::uint64_t i = 0; i < v.size() && i < kArrayPreview; ++i) out += (i == 0 ? " " : ", ") + value_text(v.at(i));
    if (v.size() > kArrayPreview) out += ", ...";
    return out;
}

}  // namespace gguf::audit

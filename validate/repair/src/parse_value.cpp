// Text -> Value for metadata edits. Numbers must parse completely and fit their type: "300" is not a
// uint8 and "1.5" is not an integer, rather than being cut silently.
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>

#include "gguf/repair/edit.hpp"

namespace gguf::repair {
namespace {

Error bad_value(std::string_view text, ValueType type, std::string_view why) {
    return Error{ErrorCode::invalid_argument, 0,
                 fmt::format("'{}' is not a {} value: {}", text, value_type_name(type), why), ""};
}

template <class T>
Result<T> parse_integer(std::string_view text, ValueType type) {
    T v{};
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, v);
    if (ec == std::errc::result_out_of_range)
        return bad_value(text, type, fmt::format("outside [{}, {}]", std::numeric_limits<T>::min(), std::numeric_limits<T>::max()));
    if (ec != std::errc{} || ptr != end || text.empty()) return bad_value(text, type, "not an integer");
    return v;
}

Result<double> parse_real(std::string_view text, ValueType type) {
    // std::from_chars for double accepts "nan" and "inf", which a metadata value may legitimately hold
    // only when asked for explicitly; both are refused here since no llama.cpp key means them.
    double v = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, v);
    if (ec != std::errc{} || ptr != end || text.empty()) return bad_value(text, type, "not a number");
    if (!std::isfinite(v)) return bad_value(text, type, "not finite");
    if (type == ValueType::float32 && std::fabs(v) > std::numeric_limits<float>::max())
        return bad_value(text, type, "outside the float32 range");
    return v;
}

template <class T>
Result<Value> integer_value(std::string_view text, ValueType type, Value (*make)(T)) {
    auto v = parse_integer<T>(text, type);
    if (!v) return v.error();
    return make(*v);
}

Result<Value> scalar(std::string_view text, ValueType type) {
    switch (type) {
        case ValueType::uint8: return integer_value<std::uint8_t>(text, type, &Value::u8);
        case ValueType::int8: return integer_value<std::int8_t>(text, type, &Value::i8);
        case ValueType::uint16: return integer_value<std::uint16_t>(text, type, &Value::u16);
        case ValueType::int16: return integer_value<std::int16_t>(text, type, &Value::i16);
        case ValueType::uint32: return integer_value<std::uint32_t>(text, type, &Value::u32);
        case ValueType::int32: return integer_value<std::int32_t>(text, type, &Value::i32);
        case ValueType::uint64: return integer_value<std::uint64_t>(text, type, &Value::u64);
        case ValueType::int64: return integer_value<std::int64_t>(text, type, &Value::i64);
        case ValueType::float32: {
            auto v = parse_real(text, type);
            if (!v) return v.error();
            return Value::f32(static_cast<float>(*v));
        }
        case ValueType::float64: {
            auto v = parse_real(text, type);
            if (!v) return v.error();
            return Value::f64(*v);
        }
        case ValueType::boolean:
            if (text == "true" || text == "1") return Value::boolean(true);
            if (text == "false" || text == "0") return Value::boolean(false);
            return bad_value(text, type, "use true or false");
        case ValueType::string: return Value::string(text);
        case ValueType::array: break;
    }
    return bad_value(text, type, "not a scalar type");
}

// An element of a JSON array, as the text the scalar parser takes.
Result<std::string> element_text(const nlohmann::json& j, std::string_view whole, ValueType element) {
    if (element == ValueType::string) {
        if (!j.is_string()) return bad_value(whole, ValueType::array, "every element must be a JSON string");
        return j.get<std::string>();
    }
    if (element == ValueType::boolean && j.is_boolean()) return std::string(j.get<bool>() ? "true" : "false");
    if (j.is_number_integer() || j.is_number_unsigned() || j.is_number_float()) return j.dump();
    return bad_value(whole, ValueType::array, fmt::format("elements must be {} values", value_type_name(element)));
}

}  // namespace

Result<Value> parse_value(std::string_view text, ValueType type, ValueType element) {
    if (type != ValueType::array) return scalar(text, type);
    if (element == ValueType::array) return bad_value(text, type, "nested arrays cannot be edited");
    const auto json = nlohmann::json::parse(text, nullptr, false);
    if (json.is_discarded() || !json.is_array()) return bad_value(text, type, "write the array as JSON, e.g. [1, 2, 3]");
    std::vector<Value> values;
    values.reserve(json.size());
    for (const auto& j : json) {
        auto t = element_text(j, text, element);
        if (!t) return t.error();
        auto v = scalar(*t, element);
        if (!v) return v.error();
        values.push_back(std::move(*v));
    }
    if (element == ValueType::string) {
        std::vector<std::string> strings;
        for (const auto& v : values) strings.emplace_back(v.as_string());
        return Value::string_array(strings);
    }
    std::vector<std::byte> encoded;
    for (const auto& v : values) encoded.insert(encoded.end(), v.encoded().begin(), v.encoded().end());
    return Value::scalar_array(element, encoded, values.size());
}

}  // namespace gguf::repair

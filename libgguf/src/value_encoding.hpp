// How values are laid out on disk, shared by the value accessors, the reader and the writer.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "gguf/value.hpp"

namespace gguf {

// Friend of Value: the only code that looks at a value's private encoding flags.
struct ValueCodec {
    static bool narrow_lengths(const Value& v) { return v.narrow_lengths_; }
};

namespace detail {

Value make_owned(ValueType type, ByteOrder order, std::vector<std::byte> bytes, ValueType element = ValueType::uint8,
                 std::uint64_t count = 0, bool narrow_lengths = false);

// Appends a length-prefixed string (64-bit length, or 32-bit when `narrow`).
void append_string(std::vector<std::byte>& out, std::string_view s, ByteOrder order, bool narrow);

// Appends what follows a value's type id: the scalar, the length-prefixed string, or for an array its
// element type, count and elements, all re-encoded in `order`.
void append_payload(std::vector<std::byte>& out, const Value& v, ByteOrder order, bool narrow);

// Size of the element that starts at `at` inside an already validated array payload.
std::uint64_t encoded_element_size(std::span<const std::byte> at, ValueType element, ByteOrder order, bool narrow);

// The element that starts at `at` (a string or a nested array) as a view sharing `keep_alive`.
Value decode_element(std::span<const std::byte> at, ValueType element, ByteOrder order,
                     const std::shared_ptr<const void>& keep_alive, bool narrow);

}  // namespace detail
}  // namespace gguf

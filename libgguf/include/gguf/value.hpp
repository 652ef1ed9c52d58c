// Metadata values. A Value read from a file is a view of the mapped bytes (no copy), decoded on
// access in the file's byte order; a Value built in code owns its bytes. Arrays are indexed lazily:
// a 152k-entry vocabulary costs nothing until somebody asks for element i.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/byte_order.hpp"

namespace gguf {

// gguf.h, enum gguf_type. All 13 are supported.
enum class ValueType : std::uint32_t {
    uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6, boolean = 7,
    string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12,
};
inline constexpr std::uint32_t value_type_count = 13;

std::string_view value_type_name(ValueType type);  // "uint32", "string", "array"...
// Bytes of one scalar of this type; 0 for string and array (variable length).
std::size_t scalar_size(ValueType type);

class Value {
public:
    Value() = default;

    // Owned scalars and strings.
    static Value u8(std::uint8_t v);
    static Value i8(std::int8_t v);
    static Value u16(std::uint16_t v);
    static Value i16(std::int16_t v);
    static Value u32(std::uint32_t v);
    static Value i32(std::int32_t v);
    static Value u64(std::uint64_t v);
    static Value i64(std::int64_t v);
    static Value f32(float v);
    static Value f64(double v);
    static Value boolean(bool v);
    static Value string(std::string_view v);  // any bytes; UTF-8 is not required by the format
    // Owned arrays. `scalar_array` takes the little-endian encoding of `count` scalars of `element`.
    static Value scalar_array(ValueType element, std::span<const std::byte> little_endian, std::uint64_t count);
    template <class T>
    static Value array(ValueType element, std::span<const T> values);
    static Value string_array(std::span<const std::string> values);
    static Value array_of(ValueType element, std::span<const Value> values);  // strings or nested arrays

    // A view of encoded bytes inside a mapping that `keep_alive` keeps valid. Used by the reader:
    // `encoded` spans exactly this value's bytes (for arrays: after the element type and count).
    // `narrow_lengths`: string lengths and array counts inside are 32-bit (GGUF v1).
    static Value view(ValueType type, ByteOrder order, std::span<const std::byte> encoded,
                      std::shared_ptr<const void> keep_alive, ValueType element = ValueType::uint8,
                      std::uint64_t count = 0, bool narrow_lengths = false);

    ValueType type() const { return type_; }
    bool is_array() const { return type_ == ValueType::array; }
    bool is_string() const { return type_ == ValueType::string; }
    bool is_integer() const;  // any of the eight integer types
    bool is_number() const;   // integer, float32 or float64

    // Scalars, converted when the value fits; throws std::logic_error on a type mismatch (a caller
    // bug: check the type first, or use the try_ forms).
    std::uint64_t as_u64() const;
    std::int64_t as_i64() const;
    double as_f64() const;
    bool as_bool() const;
    std::string_view as_string() const;  // raw bytes, possibly not UTF-8

    // nullopt on a type mismatch or a value that does not fit.
    std::optional<std::uint64_t> try_u64() const;
    std::optional<std::int64_t> try_i64() const;
    std::optional<double> try_f64() const;
    std::optional<std::string_view> try_string() const;

    // Arrays.
    ValueType element_type() const { return element_; }
    std::uint64_t size() const { return count_; }
    Value at(std::uint64_t index) const;  // any element type; strings and nested arrays via the lazy index
    std::string_view string_at(std::uint64_t index) const;
    double number_at(std::uint64_t index) const;  // numeric elements as double
    std::int64_t integer_at(std::uint64_t index) const;

    // The encoded bytes in the value's byte order (for hashing, writing, and bulk numeric access).
    std::span<const std::byte> encoded() const { return bytes_; }
    ByteOrder byte_order() const { return order_; }

    // Structural equality of the decoded content (byte order does not matter).
    bool operator==(const Value& other) const;

private:
    struct ArrayIndex;  // offsets of variable-length elements, built on first use
    const ArrayIndex& index() const;
    std::uint64_t element_offset(std::uint64_t index) const;

    ValueType type_ = ValueType::uint8;
    ValueType element_ = ValueType::uint8;
    std::uint64_t count_ = 0;
    ByteOrder order_ = ByteOrder::little;
    std::span<const std::byte> bytes_;
    std::shared_ptr<const void> storage_;  // owned bytes or the mapping
    std::shared_ptr<ArrayIndex> index_;
    bool narrow_lengths_ = false;

    friend struct ValueCodec;
};

// Validates UTF-8 (for reporting; the format does not require it).
bool is_valid_utf8(std::string_view bytes);

}  // namespace gguf

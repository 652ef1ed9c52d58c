#include "gguf/value.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <stdexcept>

#include "value_encoding.hpp"

namespace gguf {

struct Value::ArrayIndex {
    std::once_flag once;
    std::vector<std::uint64_t> offsets;  // start of each element inside bytes_
};

std::string_view value_type_name(ValueType type) {
    switch (type) {
        case ValueType::uint8: return "uint8";
        case ValueType::int8: return "int8";
        case ValueType::uint16: return "uint16";
        case ValueType::int16: return "int16";
        case ValueType::uint32: return "uint32";
        case ValueType::int32: return "int32";
        case ValueType::float32: return "float32";
        case ValueType::boolean: return "bool";
        case ValueType::string: return "string";
        case ValueType::array: return "array";
        case ValueType::uint64: return "uint64";
        case ValueType::int64: return "int64";
        case ValueType::float64: return "float64";
    }
    return "invalid";
}

std::size_t scalar_size(ValueType type) {
    switch (type) {
        case ValueType::uint8: case ValueType::int8: case ValueType::boolean: return 1;
        case ValueType::uint16: case ValueType::int16: return 2;
        case ValueType::uint32: case ValueType::int32: case ValueType::float32: return 4;
        case ValueType::uint64: case ValueType::int64: case ValueType::float64: return 8;
        case ValueType::string: case ValueType::array: return 0;
    }
    return 0;
}

namespace {

Value owned_scalar(ValueType type, const void* little_endian_bytes) {
    const std::size_t n = scalar_size(type);
    std::vector<std::byte> bytes(n);
    std::memcpy(bytes.data(), little_endian_bytes, n);
    return detail::make_owned(type, ByteOrder::little, std::move(bytes));
}

template <class T>
Value owned_number(ValueType type, T v) {
    if constexpr (host_byte_order == ByteOrder::big) v = byteswap(v);
    return owned_scalar(type, &v);
}

bool is_integer_type(ValueType t) {
    switch (t) {
        case ValueType::uint8: case ValueType::int8: case ValueType::uint16: case ValueType::int16:
        case ValueType::uint32: case ValueType::int32: case ValueType::uint64: case ValueType::int64:
            return true;
        default: return false;
    }
}


// Decodes a scalar integer; `is_negative` tells how to read the returned bits.
std::uint64_t decode_integer_bits(ValueType t, const std::byte* p, ByteOrder order, bool& is_negative) {
    is_negative = false;
    switch (t) {
        case ValueType::uint8: return load<std::uint8_t>(p, order);
        case ValueType::uint16: return load<std::uint16_t>(p, order);
        case ValueType::uint32: return load<std::uint32_t>(p, order);
        case ValueType::uint64: return load<std::uint64_t>(p, order);
        case ValueType::int8: { auto v = load<std::int8_t>(p, order); is_negative = v < 0; return static_cast<std::uint64_t>(static_cast<std::int64_t>(v)); }
        case ValueType::int16: { auto v = load<std::int16_t>(p, order); is_negative = v < 0; return static_cast<std::uint64_t>(static_cast<std::int64_t>(v)); }
        case ValueType::int32: { auto v = load<std::int32_t>(p, order); is_negative = v < 0; return static_cast<std::uint64_t>(static_cast<std::int64_t>(v)); }
        case ValueType::int64: { auto v = load<std::int64_t>(p, order); is_negative = v < 0; return static_cast<std::uint64_t>(v); }
        default: throw std::logic_error("not an integer type");
    }
}

double decode_number(ValueType t, const std::byte* p, ByteOrder order) {
    if (t == ValueType::float32) return load<float>(p, order);
    if (t == ValueType::float64) return load<double>(p, order);
    if (t == ValueType::boolean) return load<std::uint8_t>(p, order) != 0 ? 1.0 : 0.0;
    bool neg = false;
    const std::uint64_t bits = decode_integer_bits(t, p, order, neg);
    return neg ? static_cast<double>(static_cast<std::int64_t>(bits)) : static_cast<double>(bits);
}

[[noreturn]] void mismatch(const char* wanted, ValueType have) {
    throw std::logic_error(std::string("gguf::Value: wanted ") + wanted + ", value is " +
                           std::string(value_type_name(have)));
}

}  // namespace

namespace detail {

Value make_owned(ValueType type, ByteOrder order, std::vector<std::byte> bytes, ValueType element,
                 std::uint64_t count, bool narrow_lengths) {
    auto storage = std::make_shared<const std::vector<std::byte>>(std::move(bytes));
    std::span<const std::byte> span(storage->data(), storage->size());
    return Value::view(type, order, span, storage, element, count, narrow_lengths);
}

}  // namespace detail

Value Value::u8(std::uint8_t v) { return owned_number(ValueType::uint8, v); }
Value Value::i8(std::int8_t v) { return owned_number(ValueType::int8, v); }
Value Value::u16(std::uint16_t v) { return owned_number(ValueType::uint16, v); }
Value Value::i16(std::int16_t v) { return owned_number(ValueType::int16, v); }
Value Value::u32(std::uint32_t v) { return owned_number(ValueType::uint32, v); }
Value Value::i32(std::int32_t v) { return owned_number(ValueType::int32, v); }
Value Value::u64(std::uint64_t v) { return owned_number(ValueType::uint64, v); }
Value Value::i64(std::int64_t v) { return owned_number(ValueType::int64, v); }
Value Value::f32(float v) { return owned_number(ValueType::float32, v); }
Value Value::f64(double v) { return owned_number(ValueType::float64, v); }
Value Value::boolean(bool v) { return owned_number(ValueType::boolean, static_cast<std::uint8_t>(v ? 1 : 0)); }

Value Value::string(std::string_view v) {
    std::vector<std::byte> bytes(v.size());
    if (!v.empty()) std::memcpy(bytes.data(), v.data(), v.size());
    return detail::make_owned(ValueType::string, ByteOrder::little, std::move(bytes));
}

Value Value::scalar_array(ValueType element, std::span<const std::byte> little_endian, std::uint64_t count) {
    const std::size_t n = scalar_size(element);
    if (n == 0 || little_endian.size() != count * n)
        throw std::invalid_argument("gguf::Value::scalar_array: element type or byte count does not match");
    std::vector<std::byte> bytes(little_endian.begin(), little_endian.end());
    return detail::make_owned(ValueType::array, ByteOrder::little, std::move(bytes), element, count);
}

template <class T>
Value Value::array(ValueType element, std::span<const T> values) {
    if (scalar_size(element) != sizeof(T))
        throw std::invalid_argument("gguf::Value::array: element type does not match the C++ type");
    std::vector<std::byte> bytes(values.size() * sizeof(T));
    for (std::size_t i = 0; i < values.size(); ++i) store<T>(bytes.data() + i * sizeof(T), values[i], ByteOrder::little);
    return detail::make_owned(ValueType::array, ByteOrder::little, std::move(bytes), element, values.size());
}

template Value Value::array<std::uint8_t>(ValueType, std::span<const std::uint8_t>);
template Value Value::array<std::int8_t>(ValueType, std::span<const std::int8_t>);
template Value Value::array<std::uint16_t>(ValueType, std::span<const std::uint16_t>);
template Value Value::array<std::int16_t>(ValueType, std::span<const std::int16_t>);
template Value Value::array<std::uint32_t>(ValueType, std::span<const std::uint32_t>);
template Value Value::array<std::int32_t>(ValueType, std::span<const std::int32_t>);
template Value Value::array<std::uint64_t>(ValueType, std::span<const std::uint64_t>);
template Value Value::array<std::int64_t>(ValueType, std::span<const std::int64_t>);
template Value Value::array<float>(ValueType, std::span<const float>);
template Value Value::array<double>(ValueType, std::span<const double>);

Value Value::string_array(std::span<const std::string> values) {
    std::vector<std::byte> bytes;
    for (const auto& s : values) detail::append_string(bytes, s, ByteOrder::little, false);
    return detail::make_owned(ValueType::array, ByteOrder::little, std::move(bytes), ValueType::string, values.size());
}

Value Value::array_of(ValueType element, std::span<const Value> values) {
    if (element != ValueType::string && element != ValueType::array)
        throw std::invalid_argument("gguf::Value::array_of takes strings or arrays; use array() for numbers");
    std::vector<std::byte> bytes;
    for (const auto& v : values) {
        if (v.type() != element) throw std::invalid_argument("gguf::Value::array_of: element of another type");
        detail::append_payload(bytes, v, ByteOrder::little, false);
    }
    return detail::make_owned(ValueType::array, ByteOrder::little, std::move(bytes), element, values.size());
}

Value Value::view(ValueType type, ByteOrder order, std::span<const std::byte> encoded,
                  std::shared_ptr<const void> keep_alive, ValueType element, std::uint64_t count,
                  bool narrow_lengths) {
    Value v;
    v.type_ = type;
    v.order_ = order;
    v.bytes_ = encoded;
    v.storage_ = std::move(keep_alive);
    v.narrow_lengths_ = narrow_lengths;
    if (type == ValueType::array) {
        v.element_ = element;
        v.count_ = count;
        if (element == ValueType::string || element == ValueType::array) v.index_ = std::make_shared<ArrayIndex>();
    }
    return v;
}

bool Value::is_integer() const { return is_integer_type(type_); }
bool Value::is_number() const { return is_integer() || type_ == ValueType::float32 || type_ == ValueType::float64; }

std::optional<std::uint64_t> Value::try_u64() const {
    if (!is_integer()) return std::nullopt;
    bool neg = false;
    const std::uint64_t bits = decode_integer_bits(type_, bytes_.data(), order_, neg);
    if (neg) return std::nullopt;
    return bits;
}

std::optional<std::int64_t> Value::try_i64() const {
    if (!is_integer()) return std::nullopt;
    bool neg = false;
    const std::uint64_t bits = decode_integer_bits(type_, bytes_.data(), order_, neg);
    if (!neg && bits > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
    return static_cast<std::int64_t>(bits);
}

std::optional<double> Value::try_f64() const {
    if (!is_number()) return std::nullopt;
    return decode_number(type_, bytes_.data(), order_);
}

std::optional<std::string_view> Value::try_string() const {
    if (type_ != ValueType::string) return std::nullopt;
    return std::string_view(reinterpret_cast<const char*>(bytes_.data()), bytes_.size());
}

std::uint64_t Value::as_u64() const {
    if (auto v = try_u64()) return *v;
    mismatch("a non-negative integer", type_);
}

std::int64_t Value::as_i64() const {
    if (auto v = try_i64()) return *v;
    mismatch("an integer fitting int64", type_);
}

double Value::as_f64() const {
    if (auto v = try_f64()) return *v;
    mismatch("a number", type_);
}

bool Value::as_bool() const {
    if (type_ != ValueType::boolean) mismatch("bool", type_);
    return load<std::uint8_t>(bytes_.data(), order_) != 0;
}

std::string_view Value::as_string() const {
    if (auto v = try_string()) return *v;
    mismatch("string", type_);
}

const Value::ArrayIndex& Value::index() const {
    // The payload was validated when the value was parsed or built, so walking it cannot fail.
    std::call_once(index_->once, [this] {
        auto& offsets = index_->offsets;
        offsets.reserve(count_);
        std::uint64_t pos = 0;
        for (std::uint64_t i = 0; i < count_; ++i) {
            offsets.push_back(pos);
            pos += detail::encoded_element_size(bytes_.subspan(pos), element_, order_, narrow_lengths_);
        }
    });
    return *index_;
}

// The first elements are found by walking from the start, so showing the first items of a 150k-entry
// vocabulary does not build an index of all of it.
std::uint64_t Value::element_offset(std::uint64_t i) const {
    constexpr std::uint64_t kWalkWithoutIndex = 32;
    if (i >= kWalkWithoutIndex) return index().offsets[i];
    std::uint64_t pos = 0;
    for (std::uint64_t k = 0; k < i; ++k)
        pos += detail::encoded_element_size(bytes_.subspan(pos), element_, order_, narrow_lengths_);
    return pos;
}

Value Value::at(std::uint64_t i) const {
    if (type_ != ValueType::array) mismatch("array", type_);
    if (i >= count_) throw std::out_of_range("gguf::Value::at: index past the end of the array");
    if (element_ == ValueType::string || element_ == ValueType::array) {
        const std::uint64_t pos = element_offset(i);
        return detail::decode_element(bytes_.subspan(pos), element_, order_, storage_, narrow_lengths_);
    }
    const std::size_t n = scalar_size(element_);
    return view(element_, order_, bytes_.subspan(i * n, n), storage_);
}

std::string_view Value::string_at(std::uint64_t i) const {
    if (type_ != ValueType::array || element_ != ValueType::string) mismatch("array of strings", type_);
    if (i >= count_) throw std::out_of_range("gguf::Value::string_at: index past the end of the array");
    const std::uint64_t pos = element_offset(i);
    const std::size_t len_size = narrow_lengths_ ? 4 : 8;
    const std::uint64_t len = narrow_lengths_ ? load<std::uint32_t>(bytes_.data() + pos, order_)
                                              : load<std::uint64_t>(bytes_.data() + pos, order_);
    return std::string_view(reinterpret_cast<const char*>(bytes_.data() + pos + len_size), len);
}

double Value::number_at(std::uint64_t i) const {
    if (type_ != ValueType::array || scalar_size(element_) == 0) mismatch("array of numbers", type_);
    if (i >= count_) throw std::out_of_range("gguf::Value::number_at: index past the end of the array");
    return decode_number(element_, bytes_.data() + i * scalar_size(element_), order_);
}

std::int64_t Value::integer_at(std::uint64_t i) const {
    if (type_ != ValueType::array || !is_integer_type(element_)) mismatch("array of integers", type_);
    if (i >= count_) throw std::out_of_range("gguf::Value::integer_at: index past the end of the array");
    bool neg = false;
    return static_cast<std::int64_t>(
        decode_integer_bits(element_, bytes_.data() + i * scalar_size(element_), order_, neg));
}

bool Value::operator==(const Value& other) const {
    if (type_ != other.type_) return false;
    switch (type_) {
        case ValueType::string:
            return as_string() == other.as_string();
        case ValueType::float32: {
            const float a = load<float>(bytes_.data(), order_), b = load<float>(other.bytes_.data(), other.order_);
            return std::memcmp(&a, &b, 4) == 0;  // bitwise, so NaN payloads compare too
        }
        case ValueType::float64: {
            const double a = load<double>(bytes_.data(), order_), b = load<double>(other.bytes_.data(), other.order_);
            return std::memcmp(&a, &b, 8) == 0;
        }
        case ValueType::boolean:
            return as_bool() == other.as_bool();
        case ValueType::array: {
            if (element_ != other.element_ || count_ != other.count_) return false;
            if (order_ == other.order_ && narrow_lengths_ == other.narrow_lengths_)
                return std::equal(bytes_.begin(), bytes_.end(), other.bytes_.begin(), other.bytes_.end());
            for (std::uint64_t i = 0; i < count_; ++i)
                if (!(at(i) == other.at(i))) return false;
            return true;
        }
        default: {
            bool na = false, nb = false;
            return decode_integer_bits(type_, bytes_.data(), order_, na) ==
                       decode_integer_bits(other.type_, other.bytes_.data(), other.order_, nb) &&
                   na == nb;
        }
    }
}

bool is_valid_utf8(std::string_view s) {
    // Well-formed sequences per the Unicode standard's table 3-7: the second byte's range depends on
    // the first, which rules out overlong forms, surrogates and code points past U+10FFFF.
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    std::size_t i = 0;
    auto continuation = [&](std::size_t at) { return at < n && (p[at] & 0xC0) == 0x80; };
    while (i < n) {
        // Vocabularies are mostly ASCII: skip eight such bytes at a time.
        if (n - i >= 8) {
            std::uint64_t word;
            std::memcpy(&word, p + i, 8);
            if ((word & 0x8080808080808080ull) == 0) {
                i += 8;
                continue;
            }
        }
        const unsigned char c = p[i];
        if (c < 0x80) {
            ++i;
        } else if (c < 0xC2) {
            return false;  // a continuation byte, or an overlong two-byte form
        } else if (c < 0xE0) {
            if (!continuation(i + 1)) return false;
            i += 2;
        } else if (c < 0xF0) {
            if (i + 1 >= n) return false;
            const unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
            if (p[i + 1] < lo || p[i + 1] > hi || !continuation(i + 2)) return false;
            i += 3;
        } else if (c < 0xF5) {
            if (i + 1 >= n) return false;
            const unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
            if (p[i + 1] < lo || p[i + 1] > hi || !continuation(i + 2) || !continuation(i + 3)) return false;
            i += 4;
        } else {
            return false;
        }
    }
    return true;
}

}  // namespace gguf

#include "value_encoding.hpp"

#include <algorithm>
#include <cstring>

namespace gguf::detail {
namespace {

template <class T>
void append(std::vector<std::byte>& out, T v, ByteOrder order) {
    const std::size_t at = out.size();
    out.resize(at + sizeof(T));
    store<T>(out.data() + at, v, order);
}

void append_length(std::vector<std::byte>& out, std::uint64_t n, ByteOrder order, bool narrow) {
    if (narrow) append<std::uint32_t>(out, static_cast<std::uint32_t>(n), order);
    else append<std::uint64_t>(out, n, order);
}

std::uint64_t read_length(const std::byte* p, ByteOrder order, bool narrow) {
    return narrow ? load<std::uint32_t>(p, order) : load<std::uint64_t>(p, order);
}

// Re-encodes `count` scalars of `width` bytes from `from` byte order to `to`.
void append_scalars(std::vector<std::byte>& out, std::span<const std::byte> src, std::size_t width, ByteOrder from,
                    ByteOrder to) {
    const std::size_t at = out.size();
    out.insert(out.end(), src.begin(), src.end());
    if (from == to || width == 1) return;
    for (std::size_t i = at; i < out.size(); i += width) std::reverse(out.data() + i, out.data() + i + width);
}

}  // namespace

void append_string(std::vector<std::byte>& out, std::string_view s, ByteOrder order, bool narrow) {
    append_length(out, s.size(), order, narrow);
    const auto* p = reinterpret_cast<const std::byte*>(s.data());
    out.insert(out.end(), p, p + s.size());
}

void append_payload(std::vector<std::byte>& out, const Value& v, ByteOrder order, bool narrow) {
    switch (v.type()) {
        case ValueType::string:
            append_string(out, v.as_string(), order, narrow);
            return;
        case ValueType::array: {
            append<std::uint32_t>(out, static_cast<std::uint32_t>(v.element_type()), order);
            append_length(out, v.size(), order, narrow);
            const std::size_t width = scalar_size(v.element_type());
            if (width != 0) {
                append_scalars(out, v.encoded(), width, v.byte_order(), order);
            } else if (v.byte_order() == order && ValueCodec::narrow_lengths(v) == narrow) {
                // Same encoding: the walked bytes are already what the output needs.
                out.insert(out.end(), v.encoded().begin(), v.encoded().end());
            } else {
                for (std::uint64_t i = 0; i < v.size(); ++i) append_payload(out, v.at(i), order, narrow);
            }
            return;
        }
        default:
            append_scalars(out, v.encoded(), scalar_size(v.type()), v.byte_order(), order);
            return;
    }
}

std::uint64_t encoded_element_size(std::span<const std::byte> at, ValueType element, ByteOrder order, bool narrow) {
    const std::size_t len_size = narrow ? 4 : 8;
    if (element == ValueType::string) return len_size + read_length(at.data(), order, narrow);
    if (element != ValueType::array) return scalar_size(element);
    const auto inner = static_cast<ValueType>(load<std::uint32_t>(at.data(), order));
    const std::uint64_t count = read_length(at.data() + 4, order, narrow);
    std::uint64_t size = 4 + len_size;
    const std::size_t width = scalar_size(inner);
    if (width != 0) return size + count * width;
    for (std::uint64_t i = 0; i < count; ++i) size += encoded_element_size(at.subspan(size), inner, order, narrow);
    return size;
}

Value decode_element(std::span<const std::byte> at, ValueType element, ByteOrder order,
                     const std::shared_ptr<const void>& keep_alive, bool narrow) {
    const std::size_t len_size = narrow ? 4 : 8;
    if (element == ValueType::string) {
        const std::uint64_t len = read_length(at.data(), order, narrow);
        return Value::view(ValueType::string, order, at.subspan(len_size, len), keep_alive);
    }
    const auto inner = static_cast<ValueType>(load<std::uint32_t>(at.data(), order));
    const std::uint64_t count = read_length(at.data() + 4, order, narrow);
    const std::uint64_t total = encoded_element_size(at, ValueType::array, order, narrow);
    return Value::view(ValueType::array, order, at.subspan(4 + len_size, total - 4 - len_size), keep_alive, inner,
                       count, narrow);
}

}  // namespace gguf::detail

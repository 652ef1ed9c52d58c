#include "gguf_header.hpp"

#include "gguf/byte_order.hpp"
#include "gguf/types.hpp"

namespace gguf::samples::detail {
namespace {

template <class T>
void append(std::vector<std::byte>& out, T v) {
    const std::size_t at = out.size();
    out.resize(at + sizeof(T));
    store<T>(out.data() + at, v, ByteOrder::little);
}

void append_string(std::vector<std::byte>& out, std::string_view s) {
    append<std::uint64_t>(out, s.size());
    const auto* p = reinterpret_cast<const std::byte*>(s.data());
    out.insert(out.end(), p, p + s.size());
}

// Scalars of `width` bytes from `encoded` (in `order`), written little-endian.
void append_scalars(std::vector<std::byte>& out, std::span<const std::byte> encoded, std::size_t width, ByteOrder order) {
    const std::size_t at = out.size();
    out.insert(out.end(), encoded.begin(), encoded.end());
    if (order == ByteOrder::little || width == 1) return;
    for (std::size_t i = at; i + width <= out.size(); i += width)
        for (std::size_t k = 0; k < width / 2; ++k) std::swap(out[i + k], out[i + width - 1 - k]);
}

// What follows a value's type id.
void append_payload(std::vector<std::byte>& out, const Value& v) {
    if (v.is_string()) {
        append_string(out, v.as_string());
    } else if (v.is_array()) {
        append<std::uint32_t>(out, static_cast<std::uint32_t>(v.element_type()));
        append<std::uint64_t>(out, v.size());
        if (v.element_type() == ValueType::string) {
            for (std::uint64_t i = 0; i < v.size(); ++i) append_string(out, v.string_at(i));
        } else if (v.element_type() == ValueType::array) {
            for (std::uint64_t i = 0; i < v.size(); ++i) append_payload(out, v.at(i));
        } else {
            append_scalars(out, v.encoded(), scalar_size(v.element_type()), v.byte_order());
        }
    } else {
        append_scalars(out, v.encoded(), scalar_size(v.type()), v.byte_order());
    }
}

}  // namespace

std::uint64_t padding_to_alignment(std::uint64_t size) { return (kAlignment - size % kAlignment) % kAlignment; }

std::vector<std::byte> encode_header(const Metadata& metadata, const std::vector<PlannedTensor>& tensors) {
    std::vector<std::byte> out;
    for (char ch : {'G', 'G', 'U', 'F'}) out.push_back(static_cast<std::byte>(ch));
    append<std::uint32_t>(out, 3);
    append<std::uint64_t>(out, tensors.size());
    append<std::uint64_t>(out, metadata.size());
    for (const auto& [key, value] : metadata) {
        append_string(out, key);
        append<std::uint32_t>(out, static_cast<std::uint32_t>(value.type()));
        append_payload(out, value);
    }
    std::uint64_t offset = 0;
    for (const auto& t : tensors) {
        append_string(out, t.name);
        append<std::uint32_t>(out, static_cast<std::uint32_t>(t.ne.size()));
        for (auto d : t.ne) append<std::int64_t>(out, static_cast<std::int64_t>(d));
        append<std::uint32_t>(out, t.type);
        append<std::uint64_t>(out, offset);
        const std::uint64_t size = *byte_size(t.type, t.row_length() * t.n_rows());
        offset += size + padding_to_alignment(size);
    }
    out.resize(out.size() + padding_to_alignment(out.size()));
    return out;
}

}  // namespace gguf::samples::detail

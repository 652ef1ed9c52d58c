#include "gguf/writer.hpp"

#include <algorithm>
#include <unordered_set>

#include "atomic_file.hpp"
#include "checked_math.hpp"
#include "gguf/container.hpp"
#include "gguf/types.hpp"
#include "value_encoding.hpp"

namespace gguf {
namespace {

constexpr std::size_t kMaxNameForGgml = 64;          // ggml's GGML_MAX_NAME, including the terminating zero
constexpr std::uint64_t kMaxAlignment = 1u << 31;     // the largest power of two in general.alignment's uint32
constexpr std::size_t kConversionChunk = 4u << 20;    // bytes converted at a time when writing the other byte order
constexpr std::string_view kAlignmentKey = "general.alignment";

template <class T>
void append(std::vector<std::byte>& out, T v, ByteOrder order) {
    const std::size_t at = out.size();
    out.resize(at + sizeof(T));
    store<T>(out.data() + at, v, order);
}

bool valid_alignment(std::uint64_t a) { return is_power_of_two(a) && a <= kMaxAlignment; }

// Everything before the data section (padding included) and where each tensor's data starts in it.
struct Layout {
    std::vector<std::byte> header;
    std::vector<std::uint64_t> offsets;
    std::uint64_t data_size = 0;  // padded, like ggml's writer (the last tensor is padded too)
};

Layout encode_layout(ByteOrder order, std::uint64_t alignment,
                     const std::vector<std::pair<std::string, Value>>& metadata,
                     const std::vector<WriterTensor>& tensors) {
    Layout l;
    std::vector<std::byte>& out = l.header;
    const char magic[4] = {'G', 'G', 'U', 'F'};
    out.insert(out.end(), reinterpret_cast<const std::byte*>(magic), reinterpret_cast<const std::byte*>(magic) + 4);
    append<std::uint32_t>(out, 3, order);
    append<std::uint64_t>(out, tensors.size(), order);
    append<std::uint64_t>(out, metadata.size(), order);
    for (const auto& [key, value] : metadata) {
        detail::append_string(out, key, order, false);
        append<std::uint32_t>(out, static_cast<std::uint32_t>(value.type()), order);
        detail::append_payload(out, value, order, false);
    }
    std::uint64_t offset = 0;
    for (const auto& t : tensors) {
        detail::append_string(out, t.name, order, false);
        append<std::uint32_t>(out, static_cast<std::uint32_t>(t.ne.size()), order);
        for (auto d : t.ne) append<std::int64_t>(out, static_cast<std::int64_t>(d), order);
        append<std::uint32_t>(out, t.type, order);
        append<std::uint64_t>(out, offset, order);
        l.offsets.push_back(offset);
        offset = *align_up(offset + t.bytes().size(), alignment);  // add_tensor bounded every size
    }
    // ggml pads the header even when no tensor data follows.
    out.resize(*align_up(out.size(), alignment));
    l.data_size = offset;
    return l;
}

// Calls `sink` with the tensor's bytes in `order`, converting a chunk at a time when needed.
template <class Sink>
Result<void> emit_tensor_data(const WriterTensor& t, ByteOrder order, Sink&& sink) {
    const std::span<const std::byte> src = t.bytes();
    if (t.bytes_order() == order || src.empty()) return sink(src);
    const std::size_t block = find_type(t.type)->type_size;
    const std::size_t chunk = std::max(block, kConversionChunk / block * block);
    std::vector<std::byte> scratch(std::min(chunk, src.size()));
    for (std::size_t at = 0; at < src.size(); at += chunk) {
        const std::size_t n = std::min(chunk, src.size() - at);
        std::copy_n(src.begin() + static_cast<std::ptrdiff_t>(at), n, scratch.begin());
        swap_block_fields(t.type, std::span(scratch.data(), n));  // add_tensor checked that a layout exists
        if (auto r = sink(std::span<const std::byte>(scratch.data(), n)); !r) return r;
    }
    return {};
}

Error invalid(std::string message) { return Error{ErrorCode::invalid_argument, 0, std::move(message), ""}; }

}  // namespace

Writer::Writer(ByteOrder order, std::uint64_t alignment) : order_(order), alignment_(alignment) {
    if (alignment != default_alignment && alignment <= UINT32_MAX)
        metadata_.emplace_back(std::string(kAlignmentKey), Value::u32(static_cast<std::uint32_t>(alignment)));
}

void Writer::set(std::string_view key, Value value) {
    if (key == kAlignmentKey && value.type() == ValueType::uint32 && valid_alignment(value.as_u64()))
        alignment_ = value.as_u64();
    for (auto& [k, v] : metadata_) {
        if (k == key) {
            v = std::move(value);
            return;
        }
    }
    metadata_.emplace_back(std::string(key), std::move(value));
}

bool Writer::erase(std::string_view key) {
    auto it = std::find_if(metadata_.begin(), metadata_.end(), [&](const auto& kv) { return kv.first == key; });
    if (it == metadata_.end()) return false;
    metadata_.erase(it);
    if (key == kAlignmentKey) alignment_ = default_alignment;
    return true;
}

const Value* Writer::find(std::string_view key) const {
    for (const auto& [k, v] : metadata_)
        if (k == key) return &v;
    return nullptr;
}

Result<void> Writer::add_tensor(WriterTensor tensor) {
    auto bad = [&](const std::string& msg) { return invalid("tensor '" + tensor.name + "': " + msg); };
    if (tensor.name.size() >= kMaxNameForGgml)
        return bad("the name has " + std::to_string(tensor.name.size()) + " bytes; ggml accepts at most " +
                   std::to_string(kMaxNameForGgml - 1));
    if (std::any_of(tensors_.begin(), tensors_.end(), [&](const WriterTensor& t) { return t.name == tensor.name; }))
        return bad("a tensor of this name was already added");
    if (tensor.ne.empty() || tensor.ne.size() > max_dims) return bad("needs 1 to 4 dimensions");
    std::uint64_t n = 1;
    for (auto d : tensor.ne) {
        auto p = checked_mul(n, d);
        if (!p || *p > static_cast<std::uint64_t>(INT64_MAX)) return bad("the dimension product overflows");
        n = *p;
    }
    const TypeInfo* type = find_type(tensor.type);
    if (!type) return bad("type id " + std::to_string(tensor.type) + " is not a ggml type");
    if (tensor.ne[0] % type->block_size != 0)
        return bad("ne[0]=" + std::to_string(tensor.ne[0]) + " is not a multiple of the " + std::string(type->name) +
                   " block size " + std::to_string(type->block_size));
    const auto size = byte_size(tensor.type, n);
    if (!size) return bad("its size in bytes overflows");
    if (*size != tensor.bytes().size())
        return bad("data has " + std::to_string(tensor.bytes().size()) + " bytes, the shape needs " +
                   std::to_string(*size));
    if (tensor.bytes_order() != order_ && !byte_swap_layout(tensor.type))
        return bad("no byte-order conversion is defined for " + type_label(tensor.type));
    tensors_.push_back(std::move(tensor));
    return {};
}

void Writer::clear_tensors() { tensors_.clear(); }

Result<void> Writer::check_writable() const {
    if (!valid_alignment(alignment_))
        return invalid("alignment " + std::to_string(alignment_) + " is not a power of two from 1 to 2^31");
    if (const Value* a = find(kAlignmentKey)) {
        if (a->type() != ValueType::uint32 || a->as_u64() != alignment_)
            return invalid("general.alignment must be a uint32 power of two (ggml refuses anything else)");
    } else if (alignment_ != default_alignment) {
        return invalid("alignment " + std::to_string(alignment_) + " needs general.alignment in the metadata");
    }
    return {};
}

Result<std::vector<std::byte>> Writer::serialize() const {
    if (auto r = check_writable(); !r) return r.error();
    Layout l = encode_layout(order_, alignment_, metadata_, tensors_);
    std::vector<std::byte> out = std::move(l.header);
    const std::size_t data_start = out.size();
    out.reserve(data_start + l.data_size);
    for (std::size_t i = 0; i < tensors_.size(); ++i) {
        out.resize(data_start + l.offsets[i]);
        auto r = emit_tensor_data(tensors_[i], order_, [&](std::span<const std::byte> b) -> Result<void> {
            out.insert(out.end(), b.begin(), b.end());
            return {};
        });
        if (!r) return r.error();
    }
    out.resize(data_start + l.data_size);
    return out;
}

Result<void> Writer::write(const std::filesystem::path& path) const {
    if (auto r = check_writable(); !r) return r;
    const Layout l = encode_layout(order_, alignment_, metadata_, tensors_);
    auto file = AtomicFile::create(path);
    if (!file) return file.error();
    if (auto r = file->write(l.header); !r) return r;
    std::uint64_t written = 0;  // bytes of the data section so far
    for (std::size_t i = 0; i < tensors_.size(); ++i) {
        if (auto r = file->write_zeros(l.offsets[i] - written); !r) return r;
        written = l.offsets[i];
        auto r = emit_tensor_data(tensors_[i], order_, [&](std::span<const std::byte> b) {
            written += b.size();
            return file->write(b);
        });
        if (!r) return r;
    }
    if (auto r = file->write_zeros(l.data_size - written); !r) return r;
    return file->commit();
}

}  // namespace gguf

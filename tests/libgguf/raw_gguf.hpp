// A test-only GGUF encoder that writes exactly the bytes it is told to, valid or not: forged counts,
// lengths past the end, bad type ids, any version and byte order. Independent of libgguf's writer, so
// the reader is tested against bytes laid out by hand from the format description.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace gguf::test {

class RawGguf {
public:
    enum Order { little, big };

    // `version` 1 writes 32-bit counts, lengths and dimensions, as GGUF v1 did.
    explicit RawGguf(Order order = little, std::uint32_t version = 3) : order_(order), narrow_(version == 1) {
        bytes_.insert(bytes_.end(), {std::byte{'G'}, std::byte{'G'}, std::byte{'U'}, std::byte{'F'}});
        u32(version);
    }

    // Plain fields.
    RawGguf& u8(std::uint8_t v) { return put(v); }
    RawGguf& u16(std::uint16_t v) { return put(v); }
    RawGguf& u32(std::uint32_t v) { return put(v); }
    RawGguf& u64(std::uint64_t v) { return put(v); }
    RawGguf& i64(std::int64_t v) { return put(static_cast<std::uint64_t>(v)); }
    RawGguf& f32(float v) { std::uint32_t b; std::memcpy(&b, &v, 4); return put(b); }
    RawGguf& f64(double v) { std::uint64_t b; std::memcpy(&b, &v, 8); return put(b); }
    // A count or length: 64-bit, 32-bit in v1.
    RawGguf& len(std::uint64_t n) { return narrow_ ? put(static_cast<std::uint32_t>(n)) : put(n); }
    RawGguf& raw(std::string_view s) {
        const auto* p = reinterpret_cast<const std::byte*>(s.data());
        bytes_.insert(bytes_.end(), p, p + s.size());
        return *this;
    }
    RawGguf& str(std::string_view s) { return len(s.size()).raw(s); }
    RawGguf& zeros(std::size_t n) { bytes_.resize(bytes_.size() + n); return *this; }
    RawGguf& pad_to(std::size_t alignment) { bytes_.resize((bytes_.size() + alignment - 1) / alignment * alignment); return *this; }

    // Header counts after the version.
    RawGguf& counts(std::uint64_t n_tensors, std::uint64_t n_kv) { return len(n_tensors).len(n_kv); }

    // A key and the type id of its value; the value follows with the plain fields above.
    RawGguf& key(std::string_view k, std::uint32_t type) { return str(k).u32(type); }
    RawGguf& kv_u32(std::string_view k, std::uint32_t v) { return key(k, 4).u32(v); }
    RawGguf& kv_str(std::string_view k, std::string_view v) { return key(k, 8).str(v); }
    // An array header inside a value: element type and count.
    RawGguf& array(std::uint32_t element_type, std::uint64_t count) { return u32(element_type).len(count); }

    // A tensor info: name, n_dims, dims (ne order), type id, offset.
    RawGguf& tensor(std::string_view name, std::vector<std::uint64_t> ne, std::uint32_t type, std::uint64_t offset) {
        str(name).u32(static_cast<std::uint32_t>(ne.size()));
        for (auto d : ne) narrow_ ? put(static_cast<std::uint32_t>(d)) : put(d);
        return u32(type).u64(offset);
    }

    std::size_t size() const { return bytes_.size(); }
    const std::vector<std::byte>& bytes() const { return bytes_; }
    std::vector<std::byte>& bytes() { return bytes_; }

    void save(const std::filesystem::path& path, std::size_t keep = SIZE_MAX) const { save_bytes(path, bytes_, keep); }

    static void save_bytes(const std::filesystem::path& path, const std::vector<std::byte>& bytes,
                           std::size_t keep = SIZE_MAX) {
        std::ofstream f(path, std::ios::binary | std::ios::trunc);
        f.write(reinterpret_cast<const char*>(bytes.data()),
                static_cast<std::streamsize>(std::min(keep, bytes.size())));
    }

private:
    template <class T>
    RawGguf& put(T v) {
        unsigned char b[sizeof(T)];
        for (std::size_t i = 0; i < sizeof(T); ++i) {
            const std::size_t shift = 8 * (order_ == little ? i : sizeof(T) - 1 - i);
            b[i] = static_cast<unsigned char>((static_cast<std::uint64_t>(v) >> shift) & 0xFF);
        }
        bytes_.insert(bytes_.end(), reinterpret_cast<const std::byte*>(b), reinterpret_cast<const std::byte*>(b) + sizeof(T));
        return *this;
    }

    Order order_;
    bool narrow_;
    std::vector<std::byte> bytes_;
};

// GGUF value type ids, spelled out here so tests do not depend on the library's enum for file bytes.
namespace gguf_type {
inline constexpr std::uint32_t u8 = 0, i8 = 1, u16 = 2, i16 = 3, u32 = 4, i32 = 5, f32 = 6, boolean = 7, string = 8,
                               array = 9, u64 = 10, i64 = 11, f64 = 12;
}

}  // namespace gguf::test

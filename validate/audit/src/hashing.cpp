#include "hashing.hpp"

#include <openssl/evp.h>
#include <xxhash.h>

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <vector>

namespace gguf::audit::detail {
namespace {

// Feeds a value in a canonical form: type id, then little-endian scalars, strings as u64 length plus
// bytes, arrays as element type, u64 count and elements. A value of a big-endian file hashes the same
// as the value of its little-endian twin.
class CanonicalHasher {
public:
    CanonicalHasher() : state_(XXH64_createState()) {
        if (!state_) throw std::bad_alloc();
        XXH64_reset(state_, 0);
    }
    ~CanonicalHasher() { XXH64_freeState(state_); }
    CanonicalHasher(const CanonicalHasher&) = delete;
    CanonicalHasher& operator=(const CanonicalHasher&) = delete;

    void value(const Value& v) {
        u32(static_cast<std::uint32_t>(v.type()));
        payload(v);
    }
    std::uint64_t digest() const { return XXH64_digest(state_); }

private:
    void bytes(const void* p, std::size_t n) { XXH64_update(state_, p, n); }
    void u32(std::uint32_t x) {
        std::byte b[4];
        store<std::uint32_t>(b, x, ByteOrder::little);
        bytes(b, 4);
    }
    void u64(std::uint64_t x) {
        std::byte b[8];
        store<std::uint64_t>(b, x, ByteOrder::little);
        bytes(b, 8);
    }
    // `width`-byte little-endian numbers from bytes in `order`.
    void numbers(std::span<const std::byte> encoded, std::size_t width, ByteOrder order) {
        if (order == ByteOrder::little || width == 1) {
            bytes(encoded.data(), encoded.size());
            return;
        }
        std::vector<std::byte> swapped(encoded.begin(), encoded.end());
        for (std::size_t i = 0; i + width <= swapped.size(); i += width) std::reverse(swapped.begin() + i, swapped.begin() + i + width);
        bytes(swapped.data(), swapped.size());
    }
    void string(std::string_view s) {
        u64(s.size());
        bytes(s.data(), s.size());
    }
    void payload(const Value& v) {
        if (v.is_string()) {
            string(v.as_string());
        } else if (v.is_array()) {
            u32(static_cast<std::uint32_t>(v.element_type()));
            u64(v.size());
            if (v.element_type() == ValueType::string) {
                for (std::uint64_t i = 0; i < v.size(); ++i) string(v.string_at(i));
            } else if (v.element_type() == ValueType::array) {
                for (std::uint64_t i = 0; i < v.size(); ++i) value(v.at(i));
            } else {
                numbers(v.encoded(), scalar_size(v.element_type()), v.byte_order());
            }
        } else {
            numbers(v.encoded(), scalar_size(v.type()), v.byte_order());
        }
    }

    XXH64_state_t* state_;
};

}  // namespace

std::string xxh64_hex(std::uint64_t hash) { return fmt::format("{:016x}", hash); }

std::string xxh64_hex(std::span<const std::byte> bytes) { return xxh64_hex(XXH64(bytes.data(), bytes.size(), 0)); }

std::string sha256_hex(std::span<const std::byte> bytes) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("OpenSSL's EVP_Digest(sha256) failed");
    std::string hex;
    for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
    return hex;
}

std::string value_hash(const Value& value) {
    CanonicalHasher h;
    h.value(value);
    return xxh64_hex(h.digest());
}

}  // namespace gguf::audit::detail

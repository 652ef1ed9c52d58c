// Overflow-safe arithmetic for sizes and offsets read from untrusted files.
#pragma once

#include <cstdint>
#include <optional>

namespace gguf {

inline std::optional<std::uint64_t> checked_add(std::uint64_t a, std::uint64_t b) {
    std::uint64_t r;
    if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
    return r;
}

inline std::optional<std::uint64_t> checked_mul(std::uint64_t a, std::uint64_t b) {
    std::uint64_t r;
    if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
    return r;
}

// Rounds `v` up to a multiple of `alignment` (a non-zero power of two); nullopt on overflow.
inline std::optional<std::uint64_t> align_up(std::uint64_t v, std::uint64_t alignment) {
    auto r = checked_add(v, alignment - 1);
    if (!r) return std::nullopt;
    return *r & ~(alignment - 1);
}

inline bool is_power_of_two(std::uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

}  // namespace gguf

// Deterministic inputs for the dequant tests: weight-like floats and random block bytes with the
// scale fields set to the f16 values that break naive decoders (subnormal, infinite, NaN).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <span>
#include <vector>

#include "gguf/types.hpp"

namespace gguf::test {

// Rows of normally distributed values whose scale changes from row to row (as between layers),
// with a few outliers and exact zeros, like real weights.
inline std::vector<float> weight_like(std::size_t n_rows, std::size_t row_length, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::uniform_real_distribution<float> unit(0.0f, 1.0f);
    std::vector<float> v(n_rows * row_length);
    for (std::size_t r = 0; r < n_rows; ++r) {
        const float scale = std::ldexp(1.0f, static_cast<int>(r % 9) - 7);
        const float offset = r % 5 == 4 ? 3.0f * scale : 0.0f;  // some rows are not centred (norm-like)
        for (std::size_t i = 0; i < row_length; ++i) {
            float x = normal(rng) * scale + offset;
            const float u = unit(rng);
            if (u < 0.002f) x *= 40.0f;      // outlier
            else if (u < 0.01f) x = 0.0f;    // exact zero
            v[r * row_length + i] = x;
        }
    }
    return v;
}

// f16 bit patterns that a decoder must pass through exactly as ggml does.
inline constexpr std::uint16_t kSpecialHalves[] = {
    0x0000, 0x8000,                  // +-0
    0x0001, 0x8001, 0x03FF, 0x0200,  // subnormals
    0x0400, 0x7BFF, 0xFBFF,          // smallest normal, +-max
    0x7C00, 0xFC00,                  // +-inf
    0x7E00, 0xFE00, 0x7C01, 0x7D55,  // quiet and signalling NaNs with payloads
    0xFFFF, 0x7FFF,
    0x3C00, 0xBC00, 0x1234,          // ordinary values
};

// `n_blocks` random blocks of `type` (little-endian); the f16 fields that types.hpp lists for the
// type (its scales) cycle through kSpecialHalves in every other block, the rest stay random.
inline std::vector<std::byte> random_blocks(std::uint32_t type, std::size_t n_blocks, std::uint64_t seed) {
    const TypeInfo& info = *find_type(type);
    std::mt19937_64 rng(seed);
    std::vector<std::byte> bytes(n_blocks * info.type_size);
    for (auto& b : bytes) b = static_cast<std::byte>(rng() & 0xFF);
    const auto layout = byte_swap_layout(type);
    std::size_t special = 0;
    for (std::size_t b = 0; layout && info.block_size > 1 && b < n_blocks; b += 2) {
        for (const BlockField& f : *layout) {
            if (f.width != 2 || f.count != 1) continue;  // scales only, not int16 sums or grids
            const std::uint16_t h = kSpecialHalves[special++ % std::size(kSpecialHalves)];
            std::memcpy(bytes.data() + b * info.type_size + f.offset, &h, 2);
        }
    }
    return bytes;
}

// IQ1_M keeps its f16 scale in the top nibbles of four uint16 (no field types.hpp can list): every
// other block gets the special halves there, the other bits staying random.
inline void set_iq1m_special_scales(std::span<std::byte> blocks) {
    constexpr std::size_t kBytes = 56, kScales = 48;
    std::size_t special = 0;
    for (std::size_t at = 0; at + kBytes <= blocks.size(); at += 2 * kBytes) {
        const std::uint16_t h = kSpecialHalves[special++ % std::size(kSpecialHalves)];
        for (int w = 0; w < 4; ++w) {
            std::byte* p = blocks.data() + at + kScales + 2 * w;
            std::uint16_t word;
            std::memcpy(&word, p, 2);
            word = static_cast<std::uint16_t>((word & 0x0FFFu) | ((h >> (4 * w)) & 0xFu) << 12);
            std::memcpy(p, &word, 2);
        }
    }
}

inline bool same_bits(std::span<const float> a, std::span<const float> b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Index of the first value whose bits differ, or a.size().
inline std::size_t first_difference(std::span<const float> a, std::span<const float> b) {
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i)
        if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0) return i;
    return a.size();
}

}  // namespace gguf::test

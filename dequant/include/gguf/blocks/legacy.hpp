// Block layouts of the legacy quants (ggml-common.h): 32 values per block, one f16 scale, and for the
// _1 types an f16 offset; and the low-bit quants of the same shape, Q1_0 (128 values) and Q2_0 (64). Each value is an int converted to float, times the scale, plus the offset
// (never fused), as in ggml's dequantize_row_*. The differential tests against ggml keep the drawings
// honest.
#pragma once

#include <cstdint>

#include "gguf/blocks/block_math.hpp"

namespace gguf::blocks {

// qh is a byte array in ggml's struct, so a big-endian file keeps it little-endian.
GGUF_BLOCK_FN std::uint32_t high_bits(const std::uint8_t (&qh)[4]) { return u32(qh); }

// Q4_0: 32 values in 18 bytes.                         value[i] = (q[i] - 8) * d,   q[i] in 0..15
//   byte 0-1    d       f16 scale
//   byte 2-17   qs[16]  qs[j] = hhhhllll: l = q[j], h = q[j+16]
struct BlockQ4_0 {
    std::uint16_t d;
    std::uint8_t qs[16];

    static constexpr TypeId type = TypeId::Q4_0;
    static constexpr int values = 32, bytes = 18;
    GGUF_BLOCK_FN static void decode8(const std::uint8_t* b, int g, float (&v)[8]) {
        const float d = f16(b);
        GGUF_UNROLL
        for (int k = 0; k < 8; ++k) v[k] = mul(static_cast<float>(nibble32(b + 2, 8 * g + k) - 8), d);
    }
};
static_assert(sizeof(BlockQ4_0) == BlockQ4_0::bytes);

// Q4_1: 32 values in 20 bytes.                         value[i] = q[i] * d + m,     q[i] in 0..15
//   byte 0-1    d       f16 scale
//   byte 2-3    m       f16 offset (the block minimum)
//   byte 4-19   qs[16]  qs[j] = hhhhllll: l = q[j], h = q[j+16]
struct BlockQ4_1 {
    std::uint16_t d;
    std::uint16_t m;
    std::uint8_t qs[16];

    static constexpr TypeId type = TypeId::Q4_1;
    static constexpr int values = 32, bytes = 20;
    GGUF_BLOCK_FN static void decode8(const std::uint8_t* b, int g, float (&v)[8]) {
        const float d = f16(b), m = f16(b + 2);
        GGUF_UNROLL
        for (int k = 0; k < 8; ++k) v[k] = add(mul(static_cast<float>(nibble32(b + 4, 8 * g + k)), d), m);
    }
};
static_assert(sizeof(BlockQ4_1) == BlockQ4_1::bytes);

// Q5_0: 32 values in 22 bytes.                         value[i] = (q[i] - 16) * d,  q[i] in 0..31
//   byte 0-1    d       f16 scale
//   byte 2-5    qh      uint32, little-endian: bit i = bit 4 of q[i]
//   byte 6-21   qs[16]  qs[j] = hhhhllll: l = low 4 bits of q[j], h = low 4 bits of q[j+16]
struct BlockQ5_0 {
    std::uint16_t d;
    std::uint8_t qh[4];
    std::uint8_t qs[16];

    static constexpr TypeId type = TypeId::Q5_0;
    static constexpr int values = 32, bytes = 22;
    GGUF_BLOCK_FN static void decode8(const std::uint8_t* b, int g, float (&v)[8]) {
        const float d = f16(b);
        const std::uint32_t qh = u32(b + 2);
        GGUF_UNROLL
        for (int k = 0; k < 8; ++k) {
            const int i = 8 * g + k;
            const int q = nibble32(b + 6, i) | static_cast<int>((qh >> i) & 1u) << 4;
            v[k] = mul(static_cast<float>(q - 16), d);
        }
    }
};
static_assert(sizeof(BlockQ5_0) == BlockQ5_0::bytes);

// Q5_1: 32 values in 24 bytes.                         value[i] = q[i] * d + m,     q[i] in 0..31
//   byte 0-1    d       f16 scale
//   byte 2-3    m       f16 offset (the block minimum)
//   byte 4-7    qh      uint32, little-endian: bit i = bit 4 of q[i]
//   byte 8-23   qs[16]  qs[j] = hhhhllll: l = low 4 bits of q[j], h = low 4 bits of q[j+16]
struct BlockQ5_1 {
    std::uint16_t d;
    std::uint16_t m;
    std::uint8_t qh[4];
    std::uint8_t qs[16];

    static constexpr TypeId type = TypeId::Q5_1;
    static constexpr int values = 32, bytes = 24;
    GGUF_BLOCK_FN static void decode8(const std::uint8_t* b, int g, float (&v)[8]) {
        const float d = f16(b), m = f16(b + 2);
        const std::uint32_t qh = u32(b + 4);
        GGUF_UNROLL
        for (int k = 0; k < 8; ++k) {
            const int i = 8 * g + k;
            const int q = nibble32(b + 8, i) | static_cast<int>((qh >> i) & 1u) << 4;
            v[k] = add(mul(static_cast<float>(q), d), m);
        }
    }
};
static_assert(sizeof(BlockQ5_1) == BlockQ5_1::bytes);

// Q8_0: 32 values in 34 bytes.                         value[i] = q[i] * d,         q[i] in -128..127
//   byte 0-1    d       f16 scale
//   byte 2-33   qs[32]  int8 q[i]
struct BlockQ8_0 {
    std::uint16_t d;
    std::int8_t qs[32];

    static constexpr TypeId type = TypeId::Q8_0;
    static constexpr int values = 32, bytes = 34;
    GGUF_BLOCK_FN static void decode8(const std::uint8_t* b, int g, float (&v)[8]) {
        const float d = f16(b);
        GGUF_UNROLL
        for (int k = 0; k < 8; ++k) v[k] = mul(static_cast<float>(static_cast<std::int8_t>(b[2 + 8 * g + k])), d);
    }
};
static_assert(sizeof(BlockQ8_0) == BlockQ8_0::bytes);

// Q1_0: 128 values in 18 bytes.                        value[i] = b[i] ? d : -d
//   byte 0-1    d       f16 scale
//   byte 2-17   qs[16]  bit i % 8 of qs[i / 8] = b[i]
// -d is a sign flip, not a multiply: a NaN scale keeps its payload and changes sign, as in ggml. The
// decoder flips the sign bit of d where b[i] is clear, which is that negation without a branch.
struct BlockQ1_0 {
    std::uint16_t d;
    std::uint8_t qs[16];

    static constexpr TypeId type = TypeId::Q1_0;
    static constexpr int values = 128, bytes = 18;
    GGUF_BLOCK_FN static void decode8(const std::uint8_t* b, int g, float (&v)[8]) {
        const std::uint32_t d_bits = float_to_bits(f16(b)), clear = ~static_cast<std::uint32_t>(b[2 + g]);
        GGUF_UNROLL
        for (int k = 0; k < 8; ++k) v[k] = float_from_bits(d_bits ^ ((clear >> k) & 1u) << 31);
    }
};
static_assert(sizeof(BlockQ1_0) == BlockQ1_0::bytes);

// Q2_0: 64 values in 18 bytes.                         value[i] = (q[i] - 1) * d,   q[i] in 0..3
//   byte 0-1    d       f16 scale
//   byte 2-17   qs[16]  bits 2(i % 4), 2(i % 4) + 1 of qs[i / 4] = q[i]
struct BlockQ2_0 {
    std::uint16_t d;
    std::uint8_t qs[16];

    static constexpr TypeId type = TypeId::Q2_0;
    static constexpr int values = 64, bytes = 18;
    GGUF_BLOCK_FN static void decode8(const std::uint8_t* b, int g, float (&v)[8]) {
        const float d = f16(b);
        const std::uint8_t* qs = b + 2 + 2 * g;
        GGUF_UNROLL
        for (int k = 0; k < 8; ++k) v[k] = mul(static_cast<float>(((qs[k / 4] >> (2 * (k % 4))) & 3) - 1), d);
    }
};
static_assert(sizeof(BlockQ2_0) == BlockQ2_0::bytes);

}  // namespace gguf::blocks

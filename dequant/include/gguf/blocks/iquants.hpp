// Block layouts of the importance-matrix quants whose groups of 8 (or 4) values are one entry of a
// code book (ggml-common.h): IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S, IQ1_M. Super-blocks of 256
// values in 8 sub-blocks of 32; each group of 8 values is a grid entry (iq_grids.hpp), with sign bits
// for the IQ2/IQ3 grids (magnitudes) and a +-1/8 shift for the IQ1 grid (-1, 0, 1). Each value is
// computed with ggml's float operations in ggml's order (dequantize_row_iq*):
//   IQ2, IQ3_XXS   +-(((d * (0.5 + s)) * 0.25 or 0.5) * grid)
//   IQ3_S          +-((d * (1 + 2s)) * grid)
//   IQ1            (d * (2s + 1)) * (grid + delta)
#pragma once

#include <cstdint>

#include "gguf/blocks/block_math.hpp"
#include "gguf/blocks/iq_grids.hpp"

namespace gguf::blocks {

// (d * (0.5 + s)) * quarter_or_half: the sub-block scale of IQ2_* and IQ3_XXS.
GGUF_BLOCK_FN float half_step_scale(float d, std::uint32_t s, float factor) {
    return mul(mul(d, add(0.5f, static_cast<float>(s))), factor);
}

// What a group of 8 values is made of: its scale, its grid entry (value j in byte j), and either sign
// bits (the magnitude grids of IQ2/IQ3: value j = +-(scale * byte j)) or a shift (the IQ1 grid:
// value j = scale * (int8 byte j + delta)). Each type's group(b, g) reads these from the block; the
// scalar decode8 and the CPU's vector decoders expand them.
struct Group {
    float scale;
    float delta;  // IQ1 only
    std::uint64_t entry;
    int signs;    // IQ2, IQ3 only
};

// Eight values of an unsigned grid entry times `scale`, each then given its sign from `signs`.
GGUF_BLOCK_FN void signed_group(const Group& p, float (&v)[8]) {
    GGUF_UNROLL
    for (int j = 0; j < 8; ++j) v[j] = apply_sign(mul(p.scale, static_cast<float>(grid_byte(p.entry, j))), p.signs, j);
}

// Eight values scale * (grid + delta) of an IQ1 grid entry.
GGUF_BLOCK_FN void shifted_group(const Group& p, float (&v)[8]) {
    GGUF_UNROLL
    for (int j = 0; j < 8; ++j) v[j] = mul(p.scale, add(static_cast<float>(grid_int8(p.entry, j)), p.delta));
}

// IQ2_XXS: 256 values in 66 bytes (2.06 bits a weight).
//   byte 0-1    d       f16 super-block scale
//   byte 2-65   qs      per sub-block k (8 bytes at 2 + 8k): bytes 0-3 grid indices of its four groups,
//                       then a uint32: bits 7l..7l+6 sign index of group l, bits 28-31 scale s
//     value = +-(((d * (0.5 + s)) * 0.25) * grid[index][j]),  - where bit j of signs_from_index(sign index)
struct BlockIQ2XXS {
    std::uint16_t d;
    std::uint16_t qs[32];

    static constexpr TypeId type = TypeId::IQ2_XXS;
    static constexpr int values = 256, bytes = 66;
    static constexpr bool shifted = false;
    GGUF_BLOCK_FN static Group group(const std::uint8_t* b, int g) {
        const std::uint8_t* q = b + 2 + 8 * (g / 4);
        const int l = g % 4;
        const std::uint32_t aux = u32(q + 4);
        return {half_step_scale(f16(b), aux >> 28, 0.25f), 0.0f, iq2xxs_grid(q[l]),
                signs_from_index(static_cast<int>((aux >> (7 * l)) & 127u))};
    }
    GGUF_BLOCK_FN static void decode8(const std::uint8_t* b, int g, float (&v)[8]) { signed_group(group(b, g), v); }
};
static_assert(sizeof(BlockIQ2XXS) == BlockIQ2XXS::bytes);

// IQ2_XS: 256 values in 74 bytes (2.31 bits a weight).
//   byte 0-1    d           f16 super-block scale
//   byte 2-65   qs[32]      uint16 per group: bits 0-8 grid index, bits 9-15 sign index
//   byte 66-73  scales[8]   per sub-block: hhhhllll, l the scale of groups 0-1, h of groups 2-3
//     value = +-(((d * (0.5 + s)) * 0.25) * grid[index][j]),  - where bit j of signs_from_index(sign index)
struct BlockIQ2XS {
    std::uint16_t d;
    std::uint16_t qs[32];
    std::uint8_t scales[8];

    static constexpr TypeId type = TypeId::IQ2_XS;
    static constexpr int values = 256, bytes = 74;
    static constexpr bool shifted = false;
    GGUF_BLOCK_FN static Group group(const std::uint8_t* b, int g) {
        const std::uint32_t q = u16(b + 2 + 2 * g);
        const std::uint8_t sc = b[66 + g / 4];
        return {half_step_scale(f16(b), g % 4 < 2 ? sc & 0x0Fu : sc >> 4u, 0.25f), 0.0f,
                iq2xs_grid(static_cast<int>(q & 511u)), signs_from_index(static_cast<int>(q >> 9))};
    }
    GGUF_BLOCK_FN static void decode8(const std::uint8_t* b, int g, float (&v)[8]) { signed_group(group(b, g), v); }
};
static_assert(sizeof(BlockIQ2XS) == BlockIQ2XS::bytes);

// IQ2_S: 256 values in 82 bytes (2.56 bits a weight).
//   byte 0-1    d           f16 super-block scale
//   byte 2-33   qs[32]      low 8 bits of each group's 10-bit grid index
//   byte 34-65  signs[32]   the sign bits of each group (bit j: value j negative)
//   byte 66-73  qh[8]       per sub-block: bits 2l, 2l+1 = bits 8, 9 of group l's index
//   byte 74-81  scales[8]   per sub-block: hhhhllll, l the scale of groups 0-1, h of groups 2-3
//     value = +-(((d * (0.5 + s)) * 0.25) * grid[index][j]),  - where bit j of signs
struct BlockIQ2S {
    std::uint16_t d;
    std::uint8_t qs[64];
    std::uint8_t qh[8];
    std::uint8_t scales[8];

    static constexpr TypeId type = TypeId::IQ2_S;
    static constexpr int values = 256, bytes = 82;
    static constexpr bool shifted = false;
    GGUF_BLOCK_FN static Group group(const std::uint8_t* b, int g) {
        const int k = g / 4, l = g % 4;
        const std::uint8_t sc = b[74 + k];
        const int index = b[2 + g] | ((b[66 + k] << (8 - 2 * l)) & 0x300);
        return {half_step_scale(f16(b), l < 2 ? sc & 0x0Fu : sc >> 4u, 0.25f), 0.0f, iq2s_grid(index), b[34 + g]};
    }
    GGUF_BLOCK_FN static void decode8(const std::uint8_t* b, int g, float (&v)[8]) { signed_group(group(b, g), v); }
};
static_assert(sizeof(BlockIQ2S) == BlockIQ2S::bytes);

// IQ3_XXS: 256 values in 98 bytes (3.06 bits a weight); the grid entries are groups of 4.
//   byte 0-1    d       f16 super-block scale
//   byte 2-65   qs[64]  8-bit grid indices, two per group of 8 (values 0-3, 4-7)
//   byte 66-97  per sub-block k a uint32 at 66 + 4k: bits 7l..7l+6 sign index of group l, bits 28-31 s
//     value = +-(((d * (0.5 + s)) * 0.5) * grid[index][j]),  - where bit j of signs_from_index(sign index)
struct BlockIQ3XXS {
    std::uint16_t d;
    std::uint8_t qs[96];

    static constexpr TypeId type = TypeId::IQ3_XXS;
    static constexpr int values = 256, bytes = 98;
    static constexpr bool shifted = false;
    GGUF_BLOCK_FN static Group group(const std::uint8_t* b, int g) {
        const std::uint32_t aux = u32(b + 66 + 4 * (g / 4));
        return {half_step_scale(f16(b), aux >> 28, 0.5f), 0.0f,
                iq3xxs_grid(b[2 + 2 * g]) | std::uint64_t{iq3xxs_grid(b[3 + 2 * g])} << 32,
                signs_from_index(static_cast<int>((aux >> (7 * (g % 4))) & 127u))};
    }
    GGUF_BLOCK_FN static void decode8(const std::uint8_t* b, int g, float (&v)[8]) { signed_group(group(b, g), v); }
};
static_assert(sizeof(BlockIQ3XXS) == BlockIQ3XXS::bytes);

// IQ3_S: 256 values in 110 bytes (3.44 bits a weight); the grid entries are groups of 4.
//   byte 0-1     d           f16 super-block scale
//   byte 2-65    qs[64]      low 8 bits of the 9-bit grid indices, two per group of 8
//   byte 66-73   qh[8]       per sub-block: bit m = bit 8 of the index in qs[8k + m]
//   byte 74-105  signs[32]   the sign bits of each group
//   byte 106-109 scales[4]   hhhhllll: l the scale of sub-block 2i, h of sub-block 2i+1
//     value = +-((d * (1 + 2s)) * grid[index][j]),  - where bit j of signs
struct BlockIQ3S {
    std::uint16_t d;
    std::uint8_t qs[64];
    std::uint8_t qh[8];
    std::uint8_t signs[32];
    std::uint8_t scales[4];

    static constexpr TypeId type = TypeId::IQ3_S;
    static constexpr int values = 256, bytes = 110;
    static constexpr bool shifted = false;
    GGUF_BLOCK_FN static Group group(const std::uint8_t* b, int g) {
        const int k = g / 4, l = g % 4;
        const std::uint8_t sc = b[106 + k / 2];
        const int qh = b[66 + k];
        const int i1 = b[2 + 2 * g] | ((qh << (8 - 2 * l)) & 256);
        const int i2 = b[3 + 2 * g] | ((qh << (7 - 2 * l)) & 256);
        return {mul(f16(b), static_cast<float>(1 + 2 * static_cast<int>(k % 2 == 0 ? sc & 0x0Fu : sc >> 4u))), 0.0f,
                iq3s_grid(i1) | std::uint64_t{iq3s_grid(i2)} << 32, b[74 + g]};
    }
    GGUF_BLOCK_FN static void decode8(const std::uint8_t* b, int g, float (&v)[8]) { signed_group(group(b, g), v); }
};
static_assert(sizeof(BlockIQ3S) == BlockIQ3S::bytes);

// The shift of every IQ1 value off the grid's -1, 0, 1 (ggml-common.h: IQ1S_DELTA), negative when
// `negative` is 1: built from bits, because a branch on a sign bit that is random from one group to
// the next costs the CPU more than the whole group's arithmetic.
inline constexpr float kIQ1Delta = 0.125f;
GGUF_BLOCK_FN float iq1_delta(std::uint32_t negative) { return float_from_bits(0x3E000000u | negative << 31); }

// IQ1_S: 256 values in 50 bytes (1.56 bits a weight).
//   byte 0-1    d       f16 super-block scale
//   byte 2-33   qs[32]  low 8 bits of each group's 11-bit grid index
//   byte 34-49  qh[8]   uint16 per sub-block: bits 3l..3l+2 = bits 8-10 of group l's index,
//                       bits 12-14 scale s, bit 15 the sign of delta
//     value = (d * (2s + 1)) * (grid[index][j] + (bit 15 ? -1/8 : 1/8))
struct BlockIQ1S {
    std::uint16_t d;
    std::uint8_t qs[32];
    std::uint16_t qh[8];

    static constexpr TypeId type = TypeId::IQ1_S;
    static constexpr int values = 256, bytes = 50;
    static constexpr bool shifted = true;
    GGUF_BLOCK_FN static Group group(const std::uint8_t* b, int g) {
        const std::uint32_t qh = u16(b + 34 + 2 * (g / 4));
        const int index = b[2 + g] | static_cast<int>((qh >> (3 * (g % 4))) & 7u) << 8;
        return {mul(f16(b), static_cast<float>(2 * static_cast<int>((qh >> 12) & 7u) + 1)),
                iq1_delta(qh >> 15), iq1s_grid(index), 0};
    }
    GGUF_BLOCK_FN static void decode8(const std::uint8_t* b, int g, float (&v)[8]) { shifted_group(group(b, g), v); }
};
static_assert(sizeof(BlockIQ1S) == BlockIQ1S::bytes);

// The f16 super-block scale of IQ1_M: its four nibbles are the top nibbles of the four uint16 of
// `scales` (nibble k in the top of word k).
GGUF_BLOCK_FN std::uint16_t iq1m_scale_bits(const std::uint8_t* scales) {
    return static_cast<std::uint16_t>((u16(scales) >> 12) | ((u16(scales + 2) >> 8) & 0x00F0u) |
                                      ((u16(scales + 4) >> 4) & 0x0F00u) | (u16(scales + 6) & 0xF000u));
}

// IQ1_M: 256 values in 56 bytes (1.75 bits a weight); no scale field of its own.
//   byte 0-31   qs[32]      low 8 bits of each group's 11-bit grid index
//   byte 32-47  qh[16]      per pair of groups (2p, 2p+1): bits 0-2 = bits 8-10 of group 2p's index,
//                           bit 3 its delta sign, bits 4-6 and bit 7 the same for group 2p+1
//   byte 48-55  scales[8]   four uint16: word w holds the 3-bit scales of sub-blocks 2w (bits 0-2:
//                           groups 0-1, bits 3-5: groups 2-3) and 2w+1 (bits 6-8, 9-11); bits 12-15 of
//                           the four words: the f16 super-block scale d, a nibble each
//     value = (d * (2s + 1)) * (grid[index][j] + (sign bit ? -1/8 : 1/8))
struct BlockIQ1M {
    std::uint8_t qs[32];
    std::uint8_t qh[16];
    std::uint8_t scales[8];

    static constexpr TypeId type = TypeId::IQ1_M;
    static constexpr int values = 256, bytes = 56;
    static constexpr bool shifted = true;
    GGUF_BLOCK_FN static Group group(const std::uint8_t* b, int g) {
        const int k = g / 4, l = g % 4;
        const float d = fp16_to_fp32(iq1m_scale_bits(b + 48));
        const std::uint32_t word = u16(b + 48 + 2 * (k / 2));
        const int s = static_cast<int>((word >> (6 * (k % 2) + 3 * (l / 2))) & 7u);
        const int bits = (b[32 + g / 2] >> (4 * (g % 2))) & 0x0F;
        return {mul(d, static_cast<float>(2 * s + 1)), iq1_delta(static_cast<std::uint32_t>(bits) >> 3),
                iq1s_grid(b[g] | (bits & 7) << 8), 0};
    }
    GGUF_BLOCK_FN static void decode8(const std::uint8_t* b, int g, float (&v)[8]) { shifted_group(group(b, g), v); }
};
static_assert(sizeof(BlockIQ1M) == BlockIQ1M::bytes);

}  // namespace gguf::blocks

// Block layouts of the 4-bit quants whose codes index a table of non-uniform values (ggml-common.h):
// IQ4_NL, IQ4_XS, MXFP4 and NVFP4. Each value is the table entry (a small integer) converted to float,
// times the block's (or sub-block's) float scale, as in ggml's dequantize_row_iq4_nl, _iq4_xs, _mxfp4
// and _nvfp4.
#pragma once

#include <cstdint>

#include "gguf/blocks/block_math.hpp"

namespace gguf::blocks {

// The IQ4 code book (ggml-common.h: kvalues_iq4nl) and the FP4 (E2M1) values doubled so that they are
// integers (kvalues_mxfp4; the block scale is halved to compensate): 16 int8 each, packed into two
// 64-bit words, because an array indexed at run time would live in a GPU thread's local memory, which
// made these decoders three times slower there.
GGUF_BLOCK_FN constexpr int table16(std::uint64_t low, std::uint64_t high, int code) {
    return static_cast<std::int8_t>(((code < 8 ? low : high) >> (8 * (code & 7))) & 0xFFu);
}
GGUF_BLOCK_FN constexpr int iq4_value(int code) { return table16(0xF6EADDCFBFAD9881ull, 0x7159453526190D01ull, code); }
GGUF_BLOCK_FN constexpr int fp4_doubled(int code) { return table16(0x0C08060403020100ull, 0xF4F8FAFCFDFEFF00ull, code); }

// The same tables as arrays, for the CPU's byte shuffles and the quantizers.
inline constexpr std::int8_t kIQ4Values[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
inline constexpr std::int8_t kFP4Doubled[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};
static_assert([] {
    for (int c = 0; c < 16; ++c)
        if (iq4_value(c) != kIQ4Values[c] || fp4_doubled(c) != kFP4Doubled[c]) return false;
    return true;
}(), "the packed code books differ from the arrays");

// IQ4_NL: 32 values in 18 bytes.                value[i] = d * kIQ4Values[c[i]],   c[i] in 0..15
//   byte 0-1    d       f16 scale
//   byte 2-17   qs[16]  qs[j] = hhhhllll: l = c[j], h = c[j+16]
struct BlockIQ4NL {
    std::uint16_t d;
    std::uint8_t qs[16];

    static constexpr TypeId type = TypeId::IQ4_NL;
    static constexpr int values = 32, bytes = 18;
    GGUF_BLOCK_FN static void decode8(const std::uint8_t* b, int g, float (&v)[8]) {
        const float d = f16(b);
        GGUF_UNROLL
        for (int k = 0; k < 8; ++k) v[k] = mul(d, static_cast<float>(iq4_value(nibble32(b + 2, 8 * g + k))));
    }
};
static_assert(sizeof(BlockIQ4NL) == BlockIQ4NL::bytes);

GGUF_BLOCK_FN int iq4xs_scale(std::uint32_t scales_h, const std::uint8_t* scales_l, int j) {
    return ((scales_l[j / 2] >> (4 * (j % 2))) & 0x0F) | static_cast<int>((scales_h >> (2 * j)) & 3u) << 4;
}

// IQ4_XS: 256 values in 136 bytes, 8 sub-blocks of 32.
//     value[i] = (d * (s[i/32] - 32)) * kIQ4Values[c[i]],   s in 0..63
//   byte 0-1    d            f16 super-block scale
//   byte 2-3    scales_h     uint16: bits 2j, 2j+1 = top 2 bits of s[j]
//   byte 4-7    scales_l[4]  scales_l[j/2] = hhhhllll: l = low 4 bits of s[j] (j even), h = of s[j+1]
//   byte 8-135  qs[128]      for i = 32*j + l (l < 16): qs[16*j + l] = hhhhllll: l = c[i], h = c[i+16]
struct BlockIQ4XS {
    std::uint16_t d;
    std::uint16_t scales_h;
    std::uint8_t scales_l[4];
    std::uint8_t qs[128];

    static constexpr TypeId type = TypeId::IQ4_XS;
    static constexpr int values = 256, bytes = 136;
    GGUF_BLOCK_FN static void decode8(const std::uint8_t* b, int g, float (&v)[8]) {
        const float d = f16(b);
        const int i0 = 8 * g, j = i0 / 32;
        const float dl = mul(d, static_cast<float>(iq4xs_scale(u16(b + 2), b + 4, j) - 32));
        GGUF_UNROLL
        for (int k = 0; k < 8; ++k)
            v[k] = mul(dl, static_cast<float>(iq4_value(nibble32(b + 8 + 16 * j, (i0 + k) % 32))));
    }
};
static_assert(sizeof(BlockIQ4XS) == BlockIQ4XS::bytes);

// Half of the E8M0 scale, as ggml computes it (exact powers of two; e < 2 gives subnormals).
GGUF_BLOCK_FN float e8m0_half(std::uint8_t e) {
    return float_from_bits(e < 2 ? 0x00200000u << e : static_cast<std::uint32_t>(e - 1) << 23);
}

// MXFP4: 32 values in 17 bytes.                 value[i] = kFP4Doubled[c[i]] * 2^(e - 128)
//   byte 0      e       E8M0 exponent (ggml ignores the OCP spec's NaN encoding 0xFF: 2^127 here)
//   byte 1-16   qs[16]  qs[j] = hhhhllll: l = c[j], h = c[j+16];  c = s e e m (sign, E2M1)
struct BlockMXFP4 {
    std::uint8_t e;
    std::uint8_t qs[16];

    static constexpr TypeId type = TypeId::MXFP4;
    static constexpr int values = 32, bytes = 17;
    GGUF_BLOCK_FN static void decode8(const std::uint8_t* b, int g, float (&v)[8]) {
        const float d = e8m0_half(b[0]);
        GGUF_UNROLL
        for (int k = 0; k < 8; ++k) v[k] = mul(static_cast<float>(fp4_doubled(nibble32(b + 1, 8 * g + k))), d);
    }
};
static_assert(sizeof(BlockMXFP4) == BlockMXFP4::bytes);

// Half of an NVFP4 sub-block scale (UE4M3: 4 exponent bits biased by 7, 3 mantissa bits), as ggml
// computes it: bit 7 is ignored, exponent 0 is subnormal (m * 2^-9), and the bytes 0x00 and 0x7F
// (E4M3's NaN) are read as 0, but 0xFF is not (ggml compares the whole byte): 240 like 0x7F would be.
// Every byte gives an exact, finite float.
GGUF_BLOCK_FN float ue4m3_half(std::uint8_t x) {
    if (x == 0x00 || x == 0x7F) return 0.0f;
    const std::uint32_t e = (x >> 3) & 0xFu, m = x & 7u;
    return e == 0 ? static_cast<float>(m) * 0x1p-10f : float_from_bits((e + 119u) << 23 | m << 20);
}

// NVFP4: 64 values in 36 bytes, 4 sub-blocks of 16.     value[i] = kFP4Doubled[c[i]] * ue4m3_half(d[i/16])
//   byte 0-3    d[4]    UE4M3 scale of sub-block s
//   byte 4-35   qs[32]  for i = 16s + l (l < 8): qs[8s + l] = hhhhllll: l = c[i], h = c[i+8];  c = s e e m
struct BlockNVFP4 {
    std::uint8_t d[4];
    std::uint8_t qs[32];

    static constexpr TypeId type = TypeId::NVFP4;
    static constexpr int values = 64, bytes = 36;
    // Group g is the low (g even) or high (g odd) nibbles of sub-block g / 2's 8 bytes.
    GGUF_BLOCK_FN static void decode8(const std::uint8_t* b, int g, float (&v)[8]) {
        const int s = g / 2, shift = 4 * (g % 2);
        const float d = ue4m3_half(b[s]);
        const std::uint8_t* qs = b + 4 + 8 * s;
        GGUF_UNROLL
        for (int k = 0; k < 8; ++k) v[k] = mul(static_cast<float>(fp4_doubled((qs[k] >> shift) & 0x0F)), d);
    }
};
static_assert(sizeof(BlockNVFP4) == BlockNVFP4::bytes);

}  // namespace gguf::blocks

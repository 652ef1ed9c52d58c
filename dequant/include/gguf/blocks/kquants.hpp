// Block layouts of the K-quants (ggml-common.h): super-blocks of 256 values with an f16 scale (and an
// f16 scale of the mins), split into sub-blocks whose own scales are small integers. In all five
// layouts value i (0..255) belongs to sub-block i/16 (Q2_K, Q3_K, Q6_K) or i/32 (Q4_K, Q5_K); the low
// bits of the quants are packed so that one 32-byte run of `qs` serves 64 or 128 consecutive values.
// Each value is computed as in ggml's dequantize_row_*_K: the sub-block scale first (super-block scale
// times an integer), then times the quant, minus the sub-block min.
#pragma once

#include <cstdint>

#include "gguf/blocks/block_math.hpp"

namespace gguf::blocks {

// Q2_K: 256 values in 84 bytes, 16 sub-blocks of 16.
//     value[i] = (d * (s & 15)) * q[i] - dmin * (s >> 4),   s = scales[i/16],  q[i] in 0..3
//   byte  0-15   scales[16]  mmmmssss: 4-bit scale s, 4-bit min m of each sub-block
//   byte 16-79   qs[64]      for i = 128*h + 32*k + l (h < 2, k < 4, l < 32): q[i] = (qs[32*h + l] >> 2*k) & 3
//                            qs[32h+l] = 33221100  (k = 3 2 1 0)
//   byte 80-81   d           f16 scale of the sub-block scales
//   byte 82-83   dmin        f16 scale of the sub-block mins
struct BlockQ2K {
    std::uint8_t scales[16];
    std::uint8_t qs[64];
    std::uint16_t d;
    std::uint16_t dmin;

    static constexpr TypeId type = TypeId::Q2_K;
    static constexpr int values = 256, bytes = 84;
    GGUF_BLOCK_FN static void decode8(const std::uint8_t* b, int g, float (&v)[8]) {
        const float d = f16(b + 80), dmin = f16(b + 82);
        const int i0 = 8 * g;
        const std::uint8_t s = b[i0 / 16];
        const float dl = mul(d, static_cast<float>(s & 0x0F));
        const float ml = mul(dmin, static_cast<float>(s >> 4));
        const int h = i0 / 128, shift = 2 * ((i0 % 128) / 32);
        GGUF_UNROLL
        for (int k = 0; k < 8; ++k) {
            const int q = (b[16 + 32 * h + (i0 + k) % 32] >> shift) & 3;
            v[k] = sub(mul(dl, static_cast<float>(q)), ml);
        }
    }
};
static_assert(sizeof(BlockQ2K) == BlockQ2K::bytes);

// The 6-bit scale of sub-block j of Q3_K (see below).
GGUF_BLOCK_FN int q3k_scale(const std::uint8_t* sc, int j) {
    const int low = j < 8 ? sc[j] & 0x0F : sc[j - 8] >> 4;
    const int high = (sc[8 + j % 4] >> (2 * (j / 4))) & 3;
    return low | high << 4;
}

// Q3_K: 256 values in 110 bytes, 16 sub-blocks of 16.
//     value[i] = (d * (s[i/16] - 32)) * (q[i] - 4 * !hbit[i]),   q[i] in 0..3, s in 0..63
//   byte   0-31   hmask[32]   for i = 128*h + 32*k + l: hbit[i] = bit (4*h + k) of hmask[l]
//   byte  32-95   qs[64]      q[i] = (qs[32*h + l] >> 2*k) & 3, as in Q2_K
//   byte 96-107   scales[12]  sixteen 6-bit scales: s[j] low 4 bits = j < 8 ? sc[j] & 15 : sc[j-8] >> 4,
//                             high 2 bits = (sc[8 + j%4] >> 2*(j/4)) & 3
//                             sc[0..7]:  hhhhllll  (low nibbles: s[0..7], high nibbles: s[8..15])
//                             sc[8..11]: 33221100  (top bits of s[j], s[j+4], s[j+8], s[j+12])
//   byte 108-109  d           f16 scale of the sub-block scales
struct BlockQ3K {
    std::uint8_t hmask[32];
    std::uint8_t qs[64];
    std::uint8_t scales[12];
    std::uint16_t d;

    static constexpr TypeId type = TypeId::Q3_K;
    static constexpr int values = 256, bytes = 110;
    GGUF_BLOCK_FN static void decode8(const std::uint8_t* b, int g, float (&v)[8]) {
        const float d = f16(b + 108);
        const int i0 = 8 * g;
        const float dl = mul(d, static_cast<float>(q3k_scale(b + 96, i0 / 16) - 32));
        const int h = i0 / 128, kk = (i0 % 128) / 32;
        GGUF_UNROLL
        for (int k = 0; k < 8; ++k) {
            const int l = (i0 + k) % 32;
            const int low = (b[32 + 32 * h + l] >> (2 * kk)) & 3;
            const bool high = (b[l] >> (4 * h + kk)) & 1;
            v[k] = mul(dl, static_cast<float>(low - (high ? 0 : 4)));
        }
    }
};
static_assert(sizeof(BlockQ3K) == BlockQ3K::bytes);

// Q4_K and Q5_K share a 12-byte packing of eight 6-bit scales s and eight 6-bit mins m:
//   j < 4:  s[j] = sc[j] & 63,                             m[j] = sc[j+4] & 63
//   j >= 4: s[j] = (sc[j+4] & 15) | (sc[j-4] >> 6) << 4,   m[j] = (sc[j+4] >> 4) | (sc[j] >> 6) << 4
//   sc[0..3]: SSssssss  sc[4..7]: MMmmmmmm  sc[8..11]: mmmmssss   (S, M: top bits of s[j+4], m[j+4])
struct ScaleMin {
    int scale;
    int min;
};
GGUF_BLOCK_FN ScaleMin k4_scale_min(const std::uint8_t* sc, int j) {
    if (j < 4) return {sc[j] & 63, sc[j + 4] & 63};
    return {(sc[j + 4] & 0x0F) | (sc[j - 4] >> 6) << 4, (sc[j + 4] >> 4) | (sc[j] >> 6) << 4};
}

// Q4_K: 256 values in 144 bytes, 8 sub-blocks of 32.
//     value[i] = (d * s[i/32]) * q[i] - dmin * m[i/32],   q[i] in 0..15
//   byte  0-1    d           f16 scale of the sub-block scales
//   byte  2-3    dmin        f16 scale of the sub-block mins
//   byte  4-15   scales[12]  s, m as drawn above
//   byte 16-143  qs[128]     for i = 64*p + l (l < 32): q[i] = qs[32*p + l] & 15, q[i+32] = qs[32*p + l] >> 4
struct BlockQ4K {
    std::uint16_t d;
    std::uint16_t dmin;
    std::uint8_t scales[12];
    std::uint8_t qs[128];

    static constexpr TypeId type = TypeId::Q4_K;
    static constexpr int values = 256, bytes = 144;
    GGUF_BLOCK_FN static void decode8(const std::uint8_t* b, int g, float (&v)[8]) {
        const float d = f16(b), dmin = f16(b + 2);
        const int i0 = 8 * g, part = i0 / 32;
        const ScaleMin sm = k4_scale_min(b + 4, part);
        const float dl = mul(d, static_cast<float>(sm.scale));
        const float ml = mul(dmin, static_cast<float>(sm.min));
        const std::uint8_t* qs = b + 16 + 32 * (part / 2) + i0 % 32;
        const int shift = 4 * (part % 2);
        GGUF_UNROLL
        for (int k = 0; k < 8; ++k) v[k] = sub(mul(dl, static_cast<float>((qs[k] >> shift) & 0x0F)), ml);
    }
};
static_assert(sizeof(BlockQ4K) == BlockQ4K::bytes);

// Q5_K: 256 values in 176 bytes, 8 sub-blocks of 32.
//     value[i] = (d * s[i/32]) * q[i] - dmin * m[i/32],   q[i] in 0..31
//   byte  0-1    d           f16 scale of the sub-block scales
//   byte  2-3    dmin        f16 scale of the sub-block mins
//   byte  4-15   scales[12]  s, m as in Q4_K
//   byte 16-47   qh[32]      bit 4 of q[32*j + l] = bit j of qh[l]
//   byte 48-175  qs[128]     low 4 bits of q, as in Q4_K
struct BlockQ5K {
    std::uint16_t d;
    std::uint16_t dmin;
    std::uint8_t scales[12];
    std::uint8_t qh[32];
    std::uint8_t qs[128];

    static constexpr TypeId type = TypeId::Q5_K;
    static constexpr int values = 256, bytes = 176;
    GGUF_BLOCK_FN static void decode8(const std::uint8_t* b, int g, float (&v)[8]) {
        const float d = f16(b), dmin = f16(b + 2);
        const int i0 = 8 * g, part = i0 / 32, l0 = i0 % 32;
        const ScaleMin sm = k4_scale_min(b + 4, part);
        const float dl = mul(d, static_cast<float>(sm.scale));
        const float ml = mul(dmin, static_cast<float>(sm.min));
        const std::uint8_t* qh = b + 16 + l0;
        const std::uint8_t* qs = b + 48 + 32 * (part / 2) + l0;
        const int shift = 4 * (part % 2);
        GGUF_UNROLL
        for (int k = 0; k < 8; ++k) {
            const int q = ((qs[k] >> shift) & 0x0F) | ((qh[k] >> part) & 1) << 4;
            v[k] = sub(mul(dl, static_cast<float>(q)), ml);
        }
    }
};
static_assert(sizeof(BlockQ5K) == BlockQ5K::bytes);

// Q6_K: 256 values in 210 bytes, 16 sub-blocks of 16.
//     value[i] = (d * scales[i/16]) * (q[i] - 32),   q[i] in 0..63, scales int8
//   byte   0-127  ql[128]     low 4 bits: for i = 128*h + 32*k + l (k < 4, l < 32),
//                             q[i] & 15 = (ql[64*h + 32*(k%2) + l] >> 4*(k/2)) & 15
//   byte 128-191  qh[64]      high 2 bits: q[i] >> 4 = (qh[32*h + l] >> 2*k) & 3
//                             qh[32h+l] = 33221100  (k = 3 2 1 0)
//   byte 192-207  scales[16]  int8 sub-block scales
//   byte 208-209  d           f16 super-block scale
struct BlockQ6K {
    std::uint8_t ql[128];
    std::uint8_t qh[64];
    std::int8_t scales[16];
    std::uint16_t d;

    static constexpr TypeId type = TypeId::Q6_K;
    static constexpr int values = 256, bytes = 210;
    GGUF_BLOCK_FN static void decode8(const std::uint8_t* b, int g, float (&v)[8]) {
        const float d = f16(b + 208);
        const int i0 = 8 * g, h = i0 / 128, kk = (i0 % 128) / 32, l0 = i0 % 32;
        const float dl = mul(d, static_cast<float>(static_cast<std::int8_t>(b[192 + i0 / 16])));
        const std::uint8_t* ql = b + 64 * h + 32 * (kk % 2) + l0;
        const std::uint8_t* qh = b + 128 + 32 * h + l0;
        GGUF_UNROLL
        for (int k = 0; k < 8; ++k) {
            const int low = (ql[k] >> (4 * (kk / 2))) & 0x0F;
            const int high = (qh[k] >> (2 * kk)) & 3;
            v[k] = mul(dl, static_cast<float>((low | high << 4) - 32));
        }
    }
};
static_assert(sizeof(BlockQ6K) == BlockQ6K::bytes);

}  // namespace gguf::blocks

// Block layouts of the ternary quants (ggml-common.h): TQ1_0 and TQ2_0, 256 values of -1, 0, 1 times
// one f16 scale, as in ggml's dequantize_row_tq1_0 and _tq2_0: value = (float)(t - 1) * d, t in 0..2.
#pragma once

#include <cstdint>

#include "gguf/blocks/block_math.hpp"

namespace gguf::blocks {

// Digit n (0..4, most significant first) of the base-3 number a TQ1_0 byte stores as a fixed-point
// fraction: the byte times 3^n keeps the fraction below that digit (mod 256); times 3, the digit
// lands in the high byte.
GGUF_BLOCK_FN int tq1_digit(std::uint8_t byte, int n) {
    const auto pow3 = static_cast<std::uint8_t>((0x51'1B'09'03'01ull >> (8 * n)) & 0xFFu);  // 1, 3, 9, 27, 81
    const auto q = static_cast<std::uint8_t>(byte * pow3);
    return (q * 3) >> 8;
}

// TQ1_0: 256 values in 54 bytes (1.69 bits a weight), five ternary digits a byte.
//   byte 0-31   qs[0..31]   digit n of byte m: value 32n + m        (values 0-159)
//   byte 32-47  qs[32..47]  digit n of byte 32 + m: value 160 + 16n + m   (values 160-239)
//   byte 48-51  qh[4]       digit n (< 4) of byte m: value 240 + 4n + m   (values 240-255)
//   byte 52-53  d           f16 scale
struct BlockTQ1_0 {
    std::uint8_t qs[48];
    std::uint8_t qh[4];
    std::uint16_t d;

    static constexpr TypeId type = TypeId::TQ1_0;
    static constexpr int values = 256, bytes = 54;
    // A group of 8 values reads 8 consecutive bytes at one digit position, except the last two groups
    // (values 240-255), which take two digit positions of the 4 qh bytes; the group's region is chosen
    // once, not per value (on the GPU a warp's 32 groups then follow three short paths, not 8 branches each).
    GGUF_BLOCK_FN static void decode8(const std::uint8_t* b, int g, float (&v)[8]) {
        const float d = f16(b + 52);
        const int i0 = 8 * g;
        if (i0 < 240) {
            const bool low = i0 < 160;
            const std::uint8_t* p = low ? b + i0 % 32 : b + 32 + (i0 - 160) % 16;
            const int n = low ? i0 / 32 : (i0 - 160) / 16;
            GGUF_UNROLL
            for (int k = 0; k < 8; ++k) v[k] = mul(static_cast<float>(tq1_digit(p[k], n) - 1), d);
        } else {
            const int n = (i0 - 240) / 4;
            GGUF_UNROLL
            for (int k = 0; k < 8; ++k) v[k] = mul(static_cast<float>(tq1_digit(b[48 + k % 4], n + k / 4) - 1), d);
        }
    }
};
static_assert(sizeof(BlockTQ1_0) == BlockTQ1_0::bytes);

// TQ2_0: 256 values in 66 bytes (2.06 bits a weight), four 2-bit digits a byte.
//   byte 0-63   qs[64]  for i = 128h + 32l + m: t[i] = (qs[32h + m] >> 2l) & 3
//   byte 64-65  d       f16 scale
struct BlockTQ2_0 {
    std::uint8_t qs[64];
    std::uint16_t d;

    static constexpr TypeId type = TypeId::TQ2_0;
    static constexpr int values = 256, bytes = 66;
    GGUF_BLOCK_FN static void decode8(const std::uint8_t* b, int g, float (&v)[8]) {
        const float d = f16(b + 64);
        const int i0 = 8 * g, shift = 2 * ((i0 % 128) / 32);
        const std::uint8_t* qs = b + 32 * (i0 / 128) + i0 % 32;
        GGUF_UNROLL
        for (int k = 0; k < 8; ++k) v[k] = mul(static_cast<float>(((qs[k] >> shift) & 3) - 1), d);
    }
};
static_assert(sizeof(BlockTQ2_0) == BlockTQ2_0::bytes);

}  // namespace gguf::blocks

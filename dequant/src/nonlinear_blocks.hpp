// Block layouts of the 4-bit quants whose codes index a table of non-uniform values (ggml-common.h):
// IQ4_NL, IQ4_XS and MXFP4. The decoders (nonlinear.cpp) and the reference quantizers
// (quantize_nonlinear.cpp) both use these.
#pragma once

#include <cstdint>

#include "gguf/float_formats.hpp"

namespace gguf::dequant::detail {

// The IQ4 code book (ggml-common.h: kvalues_iq4nl).
inline constexpr std::int8_t kIQ4Values[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

// FP4 (E2M1) values, doubled so that they are integers (ggml-common.h: kvalues_mxfp4); the block
// scale is halved to compensate.
inline constexpr std::int8_t kFP4Doubled[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

// IQ4_NL: 32 values in 18 bytes.                value[i] = d * kIQ4Values[c[i]],   c[i] in 0..15
//   byte 0-1    d       f16 scale
//   byte 2-17   qs[16]  qs[j] = hhhhllll: l = c[j], h = c[j+16]
struct BlockIQ4NL {
    std::uint16_t d;
    std::uint8_t qs[16];
};
static_assert(sizeof(BlockIQ4NL) == 18);

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
};
static_assert(sizeof(BlockIQ4XS) == 136);

inline int iq4xs_scale(std::uint16_t scales_h, const std::uint8_t* scales_l, int j) {
    return ((scales_l[j / 2] >> (4 * (j % 2))) & 0x0F) | ((scales_h >> (2 * j)) & 3) << 4;
}

// MXFP4: 32 values in 17 bytes.                 value[i] = kFP4Doubled[c[i]] * 2^(e - 128)
//   byte 0      e       E8M0 exponent (ggml ignores the OCP spec's NaN encoding 0xFF: 2^127 here)
//   byte 1-16   qs[16]  qs[j] = hhhhllll: l = c[j], h = c[j+16];  c = s e e m (sign, E2M1)
struct BlockMXFP4 {
    std::uint8_t e;
    std::uint8_t qs[16];
};
static_assert(sizeof(BlockMXFP4) == 17);

// Half of the E8M0 scale, as ggml computes it (exact powers of two; e < 2 gives subnormals).
inline float e8m0_half(std::uint8_t e) {
    return float_from_bits(e < 2 ? 0x00200000u << e : static_cast<std::uint32_t>(e - 1) << 23);
}

}  // namespace gguf::dequant::detail

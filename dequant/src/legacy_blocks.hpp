// Block layouts of the legacy quants (ggml-common.h): 32 values per block, one f16 scale, and for the
// _1 types an f16 offset. The decoders (legacy.cpp) and the reference quantizers
// (quantize_legacy.cpp) both use these; the differential tests against ggml keep the drawings honest.
#pragma once

#include <cstdint>

namespace gguf::dequant::detail {

// Q4_0: 32 values in 18 bytes.                         value[i] = d * (q[i] - 8),   q[i] in 0..15
//   byte 0-1    d       f16 scale
//   byte 2-17   qs[16]  qs[j] = hhhhllll: l = q[j], h = q[j+16]
struct BlockQ4_0 {
    std::uint16_t d;
    std::uint8_t qs[16];
};
static_assert(sizeof(BlockQ4_0) == 18);

// Q4_1: 32 values in 20 bytes.                         value[i] = d * q[i] + m,     q[i] in 0..15
//   byte 0-1    d       f16 scale
//   byte 2-3    m       f16 offset (the block minimum)
//   byte 4-19   qs[16]  qs[j] = hhhhllll: l = q[j], h = q[j+16]
struct BlockQ4_1 {
    std::uint16_t d;
    std::uint16_t m;
    std::uint8_t qs[16];
};
static_assert(sizeof(BlockQ4_1) == 20);

// Q5_0: 32 values in 22 bytes.                         value[i] = d * (q[i] - 16),  q[i] in 0..31
//   byte 0-1    d       f16 scale
//   byte 2-5    qh      uint32, little-endian: bit i = bit 4 of q[i]
//   byte 6-21   qs[16]  qs[j] = hhhhllll: l = low 4 bits of q[j], h = low 4 bits of q[j+16]
struct BlockQ5_0 {
    std::uint16_t d;
    std::uint8_t qh[4];
    std::uint8_t qs[16];
};
static_assert(sizeof(BlockQ5_0) == 22);

// Q5_1: 32 values in 24 bytes.                         value[i] = d * q[i] + m,     q[i] in 0..31
//   byte 0-1    d       f16 scale
//   byte 2-3    m       f16 offset (the block minimum)
//   byte 4-7    qh      uint32, little-endian: bit i = bit 4 of q[i]
//   byte 8-23   qs[16]  qs[j] = hhhhllll: l = low 4 bits of q[j], h = low 4 bits of q[j+16]
struct BlockQ5_1 {
    std::uint16_t d;
    std::uint16_t m;
    std::uint8_t qh[4];
    std::uint8_t qs[16];
};
static_assert(sizeof(BlockQ5_1) == 24);

// Q8_0: 32 values in 34 bytes.                         value[i] = d * q[i],         q[i] in -128..127
//   byte 0-1    d       f16 scale
//   byte 2-33   qs[32]  int8 q[i]
struct BlockQ8_0 {
    std::uint16_t d;
    std::int8_t qs[32];
};
static_assert(sizeof(BlockQ8_0) == 34);

// qh is a byte array in ggml's struct, so a big-endian file keeps it little-endian.
inline std::uint32_t high_bits(const std::uint8_t (&qh)[4]) {
    return qh[0] | std::uint32_t{qh[1]} << 8 | std::uint32_t{qh[2]} << 16 | std::uint32_t{qh[3]} << 24;
}

}  // namespace gguf::dequant::detail

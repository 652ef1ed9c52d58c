// Float encodings, against values worked out by hand from the IEEE 754 layouts (round to nearest,
// ties to even). The differential test against ggml's own converters is in tests/reference.
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <limits>

#include "encode.hpp"

using namespace gguf::samples::detail;

TEST_CASE("fp32 -> fp16 rounds to nearest even, saturates to infinity, keeps subnormals and NaN") {
    CHECK(fp32_to_fp16(0.0f) == 0x0000);
    CHECK(fp32_to_fp16(-0.0f) == 0x8000);
    CHECK(fp32_to_fp16(1.0f) == 0x3c00);
    CHECK(fp32_to_fp16(-2.0f) == 0xc000);
    CHECK(fp32_to_fp16(0.1f) == 0x2e66);         // 0.0999755859375, the nearest half
    CHECK(fp32_to_fp16(65504.0f) == 0x7bff);     // largest finite half
    CHECK(fp32_to_fp16(65519.0f) == 0x7bff);     // below the midpoint to 65536
    CHECK(fp32_to_fp16(65520.0f) == 0x7c00);     // the midpoint rounds to even: infinity
    CHECK(fp32_to_fp16(1e9f) == 0x7c00);
    CHECK(fp32_to_fp16(-std::numeric_limits<float>::infinity()) == 0xfc00);
    CHECK(fp32_to_fp16(std::ldexp(1.0f, -14)) == 0x0400);  // smallest normal
    CHECK(fp32_to_fp16(std::ldexp(1.0f, -24)) == 0x0001);  // smallest subnormal
    CHECK(fp32_to_fp16(std::ldexp(1.0f, -25)) == 0x0000);  // half of it: tie, to even (zero)
    CHECK(fp32_to_fp16(std::ldexp(1.5f, -25)) == 0x0001);  // above the tie
    CHECK(fp32_to_fp16(std::ldexp(3.0f, -25)) == 0x0002);  // 1.5 units: tie, to even (2)
    CHECK(fp32_to_fp16(1.0f + std::ldexp(1.0f, -11)) == 0x3c00);        // tie between 1 and 1+2^-10: even
    CHECK(fp32_to_fp16(1.0f + 3 * std::ldexp(1.0f, -11)) == 0x3c02);    // tie between 1+2^-10 and 1+2^-9: even
    CHECK(fp32_to_fp16(2047.5f) == 0x6800);  // 2047.5 -> 2048 (tie; 2047 has an odd mantissa)
    const std::uint16_t nan = fp32_to_fp16(std::numeric_limits<float>::quiet_NaN());
    CHECK((nan & 0x7c00) == 0x7c00);
    CHECK((nan & 0x03ff) != 0);
}

TEST_CASE("fp16 -> fp32 decodes normals, subnormals and specials exactly") {
    CHECK(fp16_to_fp32(0x3c00) == 1.0f);
    CHECK(fp16_to_fp32(0x0001) == std::ldexp(1.0f, -24));
    CHECK(fp16_to_fp32(0x03ff) == std::ldexp(1023.0f, -24));
    CHECK(fp16_to_fp32(0x7bff) == 65504.0f);
    CHECK(std::isinf(fp16_to_fp32(0x7c00)));
    CHECK(std::isnan(fp16_to_fp32(0x7e00)));
    CHECK(std::signbit(fp16_to_fp32(0x8000)));
    for (std::uint32_t h = 0; h < 0x10000; ++h) {  // every finite half survives the round trip
        if ((h & 0x7c00) == 0x7c00) continue;
        const auto half = static_cast<std::uint16_t>(h);
        REQUIRE(fp32_to_fp16(fp16_to_fp32(half)) == half);
    }
}

TEST_CASE("fp32 -> bf16 rounds to nearest even and keeps NaN a NaN") {
    CHECK(fp32_to_bf16(1.0f) == 0x3f80);
    CHECK(fp32_to_bf16(-2.0f) == 0xc000);
    CHECK(fp32_to_bf16(std::bit_cast<float>(0x3f808000u)) == 0x3f80);  // tie, even stays
    CHECK(fp32_to_bf16(std::bit_cast<float>(0x3f818000u)) == 0x3f82);  // tie, odd rounds up
    CHECK(fp32_to_bf16(std::bit_cast<float>(0x3f808001u)) == 0x3f81);  // above the tie
    const std::uint16_t nan = fp32_to_bf16(std::bit_cast<float>(0x7f800001u));  // would round to Inf
    CHECK((nan & 0x7f80) == 0x7f80);
    CHECK((nan & 0x007f) != 0);
}

TEST_CASE("F32, F16 and BF16 rows are encoded little-endian") {
    const float in[] = {1.0f, -2.0f};
    std::byte out[8];
    CHECK(encode_rows(0, in, 2, out));
    CHECK(out[3] == std::byte{0x3f});
    CHECK(out[7] == std::byte{0xc0});
    CHECK(encode_rows(1, in, 2, std::span<std::byte>(out, 4)));
    CHECK((out[0] == std::byte{0x00} && out[1] == std::byte{0x3c} && out[3] == std::byte{0xc0}));
    CHECK(encode_rows(30, in, 2, std::span<std::byte>(out, 4)));
    CHECK((out[0] == std::byte{0x80} && out[1] == std::byte{0x3f}));
}

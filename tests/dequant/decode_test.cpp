// Decoders on hand-built blocks whose values are worked out by hand from the layouts, the plain
// number types, big-endian files, row ranges, and the refusal of unsupported types.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <vector>

#include "dequant/test_data.hpp"
#include "gguf/container.hpp"
#include "gguf/dequant.hpp"
#include "gguf/float_formats.hpp"
#include "gguf/quantize.hpp"
#include "gguf/writer.hpp"
#include "kernels.hpp"
#include "support/temp_dir.hpp"

using namespace gguf;

namespace {

constexpr std::uint16_t kHalfOne = 0x3C00, kHalfHalf = 0x3800, kHalfTwo = 0x4000, kHalfMinusOne = 0xBC00;

std::vector<float> decode(TypeId type, const std::vector<std::uint8_t>& bytes) {
    const TypeInfo& info = *find_type(type);
    std::vector<float> out(bytes.size() / info.type_size * info.block_size);
    dequant::decode_blocks(static_cast<std::uint32_t>(type), std::as_bytes(std::span(bytes)), ByteOrder::little, out);
    return out;
}

// Both decoders, which must agree bit for bit.
std::vector<float> decode_both(TypeId type, const std::vector<std::uint8_t>& bytes) {
    const auto* k = dequant::detail::find_kernels(static_cast<std::uint32_t>(type));
    REQUIRE(k != nullptr);
    const TypeInfo& info = *find_type(type);
    const std::size_t n_blocks = bytes.size() / info.type_size;
    std::vector<float> scalar(n_blocks * info.block_size), simd(scalar.size());
    k->scalar(reinterpret_cast<const std::byte*>(bytes.data()), n_blocks, scalar.data());
    if (k->avx2 && dequant::detail::simd_enabled()) {
        k->avx2(reinterpret_cast<const std::byte*>(bytes.data()), n_blocks, simd.data());
        CHECK(test::same_bits(scalar, simd));
    }
    CHECK(test::same_bits(scalar, decode(type, bytes)));
    return scalar;
}

void put16(std::vector<std::uint8_t>& b, std::size_t at, std::uint16_t v) { std::memcpy(b.data() + at, &v, 2); }

}  // namespace

TEST_CASE("Q4_0: value = d * (nibble - 8), low nibbles first") {
    std::vector<std::uint8_t> b(18, 0x88);  // every nibble 8 -> 0
    put16(b, 0, kHalfHalf);
    b[2] = 0x1F;   // value 0: 15 - 8 = 7 -> 3.5; value 16: 1 - 8 = -7 -> -3.5
    b[17] = 0x80;  // value 15: 0 - 8 -> -4; value 31: 8 - 8 -> 0
    const auto v = decode_both(TypeId::Q4_0, b);
    CHECK(v[0] == 3.5f);
    CHECK(v[16] == -3.5f);
    CHECK(v[15] == -4.0f);
    CHECK(v[31] == 0.0f);
    CHECK(v[7] == 0.0f);
}

TEST_CASE("Q4_1 and Q5_1: value = d * q + m; Q5_0: d * (q - 16) with the fifth bit from qh") {
    std::vector<std::uint8_t> q41(20, 0);
    put16(q41, 0, kHalfTwo);
    put16(q41, 2, kHalfMinusOne);
    q41[4] = 0xF3;  // value 0: 3 -> 2*3 - 1 = 5; value 16: 15 -> 29
    auto v = decode_both(TypeId::Q4_1, q41);
    CHECK(v[0] == 5.0f);
    CHECK(v[16] == 29.0f);
    CHECK(v[1] == -1.0f);

    std::vector<std::uint8_t> q50(22, 0);
    put16(q50, 0, kHalfOne);
    q50[2] = 0x01;  // qh bit 0: value 0 gets 16
    q50[5] = 0x80;  // qh bit 31: value 31 gets 16
    q50[6] = 0x2F;  // value 0: 15 | 16 = 31 -> 15; value 16: 2 -> -14
    q50[21] = 0x50; // value 15: 0 -> -16; value 31: 5 | 16 = 21 -> 5
    v = decode_both(TypeId::Q5_0, q50);
    CHECK(v[0] == 15.0f);
    CHECK(v[16] == -14.0f);
    CHECK(v[15] == -16.0f);
    CHECK(v[31] == 5.0f);

    std::vector<std::uint8_t> q51(24, 0);
    put16(q51, 0, kHalfHalf);
    put16(q51, 2, kHalfOne);
    q51[4 + 2] = 0x01;  // qh bit 16: value 16 gets 16
    q51[8] = 0x43;      // value 0: 3 -> 0.5*3 + 1 = 2.5; value 16: 4 | 16 = 20 -> 11
    v = decode_both(TypeId::Q5_1, q51);
    CHECK(v[0] == 2.5f);
    CHECK(v[16] == 11.0f);
}

TEST_CASE("Q8_0: value = d * int8") {
    std::vector<std::uint8_t> b(34, 0);
    put16(b, 0, kHalfTwo);
    b[2] = 0xFD;  // -3
    b[33] = 0x7F;
    b[10] = 0x80;  // -128
    const auto v = decode_both(TypeId::Q8_0, b);
    CHECK(v[0] == -6.0f);
    CHECK(v[31] == 254.0f);
    CHECK(v[8] == -256.0f);
}

TEST_CASE("Q4_K: sub-block scale and min from the 6-bit packing, value = d*s*q - dmin*m") {
    std::vector<std::uint8_t> b(144, 0);
    put16(b, 0, kHalfOne);   // d
    put16(b, 2, kHalfHalf);  // dmin
    // sub-block 0: s = 2, m = 3;  sub-block 5: s = 0x15 (low 4 bits in sc[9], top 2 in sc[1] bits 6-7),
    // m = 0x2A (low 4 bits in sc[9] high nibble, top 2 in sc[5] bits 6-7)
    b[4 + 0] = 2;
    b[4 + 4] = 3;
    b[4 + 1] = 0x40;  // top bits of s[5] = 01
    b[4 + 5] = 0x80;  // top bits of m[5] = 10
    b[4 + 9] = 0xA5;  // s[5] low = 5, m[5] low = 10
    b[16 + 0] = 0x07;  // value 0 (sub-block 0, low nibble) = 7; value 32 (sub-block 1) = 0
    b[16 + 64 + 3] = 0x90;  // value 128+32+3 = 163 (sub-block 5, high nibble) = 9
    const auto v = decode_both(TypeId::Q4_K, b);
    CHECK(v[0] == 2.0f * 7 - 0.5f * 3);
    CHECK(v[1] == -1.5f);
    CHECK(v[163] == 21.0f * 9 - 0.5f * 42);
}

TEST_CASE("Q5_K: the fifth bit of sub-block j is bit j of qh") {
    std::vector<std::uint8_t> b(176, 0);
    put16(b, 0, kHalfOne);
    b[4 + 0] = 1;  // s[0] = 1, m[0] = 0
    b[4 + 3] = 1;  // s[3] = 1
    b[16 + 2] = 0x01 | 0x08;  // qh[2]: bit 0 -> value 2 gets 16, bit 3 -> value 96+2 gets 16
    b[48 + 2] = 0x05;         // value 2 low bits = 5
    b[48 + 32 + 2] = 0x60;    // value 96+2 (sub-block 3, high nibble of qs[32+2]) = 6
    const auto v = decode_both(TypeId::Q5_K, b);
    CHECK(v[2] == 21.0f);
    CHECK(v[98] == 22.0f);
}

TEST_CASE("Q6_K: value = d * scale * (q - 32), low 4 bits in ql, high 2 in qh") {
    std::vector<std::uint8_t> b(210, 0);
    put16(b, 208, kHalfHalf);
    for (int j = 0; j < 16; ++j) b[192 + j] = static_cast<std::uint8_t>(j + 1);
    // value 0 (h 0, k 0, l 0): ql[0] low nibble, qh[0] bits 0-1;  q = 0x3 | 2 << 4 = 35 -> 0.5*1*3
    b[0] = 0x03;
    b[128] = 0x02;
    // value 200 = 128 + 64 + 8 (h 1, k 2, l 8): ql[64 + 8] high nibble, qh[32 + 8] bits 4-5; scale index 12
    b[72] = 0xA0;        // low bits 10
    b[128 + 40] = 0x30;  // high bits 3 -> q = 58 -> 26
    const auto v = decode_both(TypeId::Q6_K, b);
    CHECK(v[0] == 1.5f);
    CHECK(v[1] == 0.5f * 1 * -32);
    CHECK(v[200] == 0.5f * 13 * 26);
}

TEST_CASE("Q2_K and Q3_K: 2-bit quants, 4-bit scale/min pairs; Q3_K's high bit and 6-bit scales") {
    std::vector<std::uint8_t> q2(84, 0);
    put16(q2, 80, kHalfOne);
    put16(q2, 82, kHalfTwo);
    q2[0] = 0x13;          // sub-block 0: scale 3, min 1
    q2[16 + 1] = 0x02 << 2;  // value 32 + 1 (k = 1, l = 1) = 2, in sub-block 2 (scale 0, min 0)
    q2[2] = 0x25;          // sub-block 2: scale 5, min 2
    q2[16 + 0] = 0x03;     // value 0 = 3
    auto v = decode_both(TypeId::Q2_K, q2);
    CHECK(v[0] == 3.0f * 3 - 2.0f);
    CHECK(v[33] == 5.0f * 2 - 4.0f);

    std::vector<std::uint8_t> q3(110, 0);
    put16(q3, 108, kHalfOne);
    // s[0] = 32 + 3: low 4 bits 3 in sc[0] low nibble, top bits 2 (= 35 >> 4) in sc[8] bits 0-1
    q3[96 + 0] = 0x03;
    q3[96 + 8] = 0x02;
    // s[9] (j = 9 -> low nibble in sc[1] high nibble, top bits in sc[9] bits 4-5) = 32 - 5 = 27 = 0b011011
    q3[96 + 1] = 0xB0;
    q3[96 + 9] = 0x01 << 4;
    q3[0] = 0x01;       // hmask[0] bit 0: value 0 has its high bit (no -4)
    q3[32 + 0] = 0x02;  // value 0 low bits = 2 -> q = 2 -> 3 * 2
    // value 144 = 128 + 16 (h 1, k 0, l 16): qs[32 + 16] bits 0-1, hmask[16] bit 4 (clear -> -4); sub-block 9
    q3[32 + 32 + 16] = 0x01;
    v = decode_both(TypeId::Q3_K, q3);
    CHECK(v[0] == 6.0f);
    CHECK(v[1] == 3.0f * -4);
    CHECK(v[144] == -5.0f * (1 - 4));
}

TEST_CASE("IQ4_NL, IQ4_XS and MXFP4 look codes up in their tables") {
    std::vector<std::uint8_t> nl(18, 0);
    put16(nl, 0, kHalfHalf);
    nl[2] = 0xF8;  // value 0: code 8 -> 1; value 16: code 15 -> 113
    auto v = decode_both(TypeId::IQ4_NL, nl);
    CHECK(v[0] == 0.5f);
    CHECK(v[16] == 56.5f);
    CHECK(v[1] == 0.5f * -127);

    std::vector<std::uint8_t> xs(136, 0);
    put16(xs, 0, kHalfOne);
    put16(xs, 2, 0x0002 << 2);  // scales_h bits 2-3: top bits of s[1] = 2
    xs[4] = 0x30;               // s[1] low 4 bits = 3 -> s[1] = 35 -> scale 3
    xs[8 + 16] = 0x09;          // value 32 (sub-block 1, l 0): code 9 -> 13
    v = decode_both(TypeId::IQ4_XS, xs);
    CHECK(v[32] == 39.0f);
    CHECK(v[0] == -32.0f * -127);

    std::vector<std::uint8_t> fp4(17, 0);
    fp4[0] = 128;     // 2^(128-127) = 2, halved against the doubled codes
    fp4[1] = 0xD7;    // value 0: code 0111 = +6 -> 6 * 2 = 12; value 16: code 1101 = -3 -> -6
    v = decode_both(TypeId::MXFP4, fp4);
    CHECK(v[0] == 12.0f);
    CHECK(v[16] == -6.0f);
    fp4[0] = 0;  // 2^-127: subnormal scale
    v = decode_both(TypeId::MXFP4, fp4);
    CHECK(v[0] == 6.0f * std::ldexp(1.0f, -127));
}

TEST_CASE("Q1_0: value = d or -d by one bit, low bit first; a NaN scale only changes sign") {
    std::vector<std::uint8_t> b(18, 0);
    put16(b, 0, kHalfHalf);
    b[2] = 0x01;   // value 0 set, values 1-7 clear
    b[17] = 0x80;  // value 127 set, 120-126 clear
    auto v = decode_both(TypeId::Q1_0, b);
    CHECK(v[0] == 0.5f);
    CHECK(v[1] == -0.5f);
    CHECK(v[7] == -0.5f);
    CHECK(v[120] == -0.5f);
    CHECK(v[127] == 0.5f);
    put16(b, 0, 0x7E01);  // NaN with a payload: -d flips the sign bit, keeps the payload (no multiply)
    v = decode_both(TypeId::Q1_0, b);
    CHECK(float_to_bits(v[0]) == fp16_to_fp32_bits(0x7E01));
    CHECK(float_to_bits(v[1]) == (fp16_to_fp32_bits(0x7E01) ^ 0x80000000u));
}

TEST_CASE("Q2_0: value = (q - 1) * d, four 2-bit codes a byte, low bits first") {
    std::vector<std::uint8_t> b(18, 0x55);  // every code 1 -> 0
    put16(b, 0, kHalfTwo);
    b[2] = 0xE4;   // values 0-3: codes 0, 1, 2, 3 -> -2, 0, 2, 4
    b[17] = 0x02;  // value 60: code 2 -> 2; values 61-63: code 0 -> -2
    auto v = decode_both(TypeId::Q2_0, b);
    CHECK(v[0] == -2.0f);
    CHECK(v[1] == 0.0f);
    CHECK(v[2] == 2.0f);
    CHECK(v[3] == 4.0f);
    CHECK(v[4] == 0.0f);
    CHECK(v[60] == 2.0f);
    CHECK(v[63] == -2.0f);
    put16(b, 0, 0x7C00);  // infinite scale: code 1 gives 0 * inf = NaN, the others stay infinite
    v = decode_both(TypeId::Q2_0, b);
    CHECK(std::isnan(v[1]));
    CHECK(v[0] == -std::numeric_limits<float>::infinity());
    CHECK(v[3] == std::numeric_limits<float>::infinity());
}

TEST_CASE("NVFP4: E2M1 codes times one UE4M3 scale per 16 values; 0x7F reads as 0, 0xFF does not") {
    std::vector<std::uint8_t> b(36, 0);
    b[0] = 0x38;   // sub-block 0: exponent 7, mantissa 0 -> 1
    b[1] = 0x01;   // sub-block 1: subnormal, 1 * 2^-9
    b[2] = 0x7F;   // sub-block 2: E4M3's NaN, which ggml reads as 0
    b[3] = 0xFF;   // sub-block 3: bit 7 ignored -> exponent 15, mantissa 7 -> 1.875 * 2^8 = 480
    b[4] = 0xD7;   // value 0: code 0111 = +6; value 8: code 1101 = -3
    b[12] = 0x01;  // value 16: code 0001 = +0.5
    b[20] = 0x07;  // value 32: +6 times a zero scale
    b[28] = 0x0F;  // value 48: code 1111 = -6; value 56: code 0 = 0
    const auto v = decode_both(TypeId::NVFP4, b);
    CHECK(v[0] == 6.0f);
    CHECK(v[8] == -3.0f);
    CHECK(v[1] == 0.0f);
    CHECK(v[16] == std::ldexp(0.5f, -9));
    CHECK(v[32] == 0.0f);
    CHECK(v[48] == -6.0f * 480.0f);
    CHECK(v[56] == 0.0f);
}

TEST_CASE("plain numbers: F32 as is, F64 and the integers converted like C does, F16 and BF16 exactly") {
    std::vector<std::uint8_t> f64(16);
    const double d[2] = {1.0 / 3.0, -1e300};
    std::memcpy(f64.data(), d, 16);
    auto v = decode(TypeId::F64, f64);
    CHECK(v[0] == static_cast<float>(1.0 / 3.0));
    CHECK(v[1] == -std::numeric_limits<float>::infinity());

    const std::int8_t i8[3] = {-128, 0, 127};
    v = decode(TypeId::I8, std::vector<std::uint8_t>(reinterpret_cast<const std::uint8_t*>(i8), reinterpret_cast<const std::uint8_t*>(i8) + 3));
    CHECK(v == std::vector<float>{-128.0f, 0.0f, 127.0f});
    std::vector<std::uint8_t> i16(4), i32(8), i64(8);
    put16(i16, 0, static_cast<std::uint16_t>(-32768));
    put16(i16, 2, 1234);
    CHECK(decode(TypeId::I16, i16) == std::vector<float>{-32768.0f, 1234.0f});
    const std::int32_t i32v[2] = {16777217, -5};  // 2^24 + 1 rounds to even
    std::memcpy(i32.data(), i32v, 8);
    CHECK(decode(TypeId::I32, i32) == std::vector<float>{16777216.0f, -5.0f});
    const std::int64_t big = (std::int64_t{1} << 40) + 3;
    std::memcpy(i64.data(), &big, 8);
    CHECK(decode(TypeId::I64, i64)[0] == std::ldexp(1.0f, 40));

    std::vector<std::uint8_t> f16(8);
    put16(f16, 0, 0x0001);  // smallest subnormal half: 2^-24
    put16(f16, 2, 0xFC00);  // -inf
    put16(f16, 4, 0x7BFF);  // 65504
    put16(f16, 6, 0x7C01);  // signalling NaN: quiet, payload kept
    v = decode_both(TypeId::F16, f16);
    CHECK(v[0] == std::ldexp(1.0f, -24));
    CHECK(v[1] == -std::numeric_limits<float>::infinity());
    CHECK(v[2] == 65504.0f);
    CHECK(float_to_bits(v[3]) == 0x7FC02000u);

    std::vector<std::uint8_t> bf16(4);
    put16(bf16, 0, 0x3F80);
    put16(bf16, 2, 0xFF81);
    v = decode_both(TypeId::BF16, bf16);
    CHECK(v[0] == 1.0f);
    CHECK(float_to_bits(v[1]) == 0xFF810000u);  // a NaN passes through unchanged
}

TEST_CASE("float format helpers round to nearest even and keep NaNs NaN") {
    CHECK(fp32_to_fp16(1.0f) == 0x3C00);
    CHECK(fp32_to_fp16(65504.0f) == 0x7BFF);
    CHECK(fp32_to_fp16(65519.99f) == 0x7BFF);
    CHECK(fp32_to_fp16(65520.0f) == 0x7C00);
    CHECK(fp32_to_fp16(std::ldexp(1.0f, -25)) == 0x0000);          // halfway to the smallest subnormal: even
    CHECK(fp32_to_fp16(std::ldexp(1.5f, -25)) == 0x0001);
    CHECK(fp32_to_fp16(1.0f + std::ldexp(1.0f, -11)) == 0x3C00);    // halfway: ties to even
    CHECK(fp32_to_fp16(1.0f + std::ldexp(3.0f, -11)) == 0x3C02);
    CHECK(fp32_to_fp16(-std::numeric_limits<float>::quiet_NaN()) == 0xFE00);
    CHECK(fp32_to_bf16(1.0f + std::ldexp(1.0f, -8)) == 0x3F80);
    CHECK(fp32_to_bf16(1.0f + std::ldexp(3.0f, -8)) == 0x3F82);
    CHECK(fp32_to_bf16(float_from_bits(0x7F800001u)) == 0x7FC0);
    for (std::uint32_t h = 0; h < 0x7C00; ++h) CHECK_EQ(fp32_to_fp16(fp16_to_fp32(static_cast<std::uint16_t>(h))), h);
}

TEST_CASE("a big-endian file decodes to the same floats as the little-endian one, f16 block scales included") {
    test::TempDir dir;
    const std::vector<float> values = test::weight_like(4, 512, 5);
    const TypeId types[] = {TypeId::F32, TypeId::F16, TypeId::BF16, TypeId::F64, TypeId::I8, TypeId::I16, TypeId::I32,
                            TypeId::Q4_0, TypeId::Q4_1, TypeId::Q5_0, TypeId::Q5_1, TypeId::Q8_0, TypeId::Q2_K,
                            TypeId::Q3_K, TypeId::Q4_K, TypeId::Q5_K, TypeId::Q6_K, TypeId::IQ4_NL, TypeId::IQ4_XS,
                            TypeId::MXFP4, TypeId::IQ2_XXS, TypeId::IQ2_XS, TypeId::IQ2_S, TypeId::IQ3_XXS,
                            TypeId::IQ3_S, TypeId::IQ1_S, TypeId::TQ1_0, TypeId::TQ2_0, TypeId::NVFP4,
                            TypeId::Q1_0, TypeId::Q2_0};
    Writer little(ByteOrder::little), big(ByteOrder::big);
    // IQ1_M has no defined big-endian layout (its scale is read through a uint16 view of bytes): refused.
    CHECK_FALSE(big.add_tensor({"iq1_m", static_cast<std::uint32_t>(TypeId::IQ1_M), {256, 1}, std::vector<std::byte>(56)}).ok());
    for (TypeId id : types) {
        const auto type = static_cast<std::uint32_t>(id);
        const TypeInfo& info = *find_type(type);
        std::vector<std::byte> data;
        if (auto q = dequant::quantize(type, values, 512); q.ok()) {
            data = std::move(*q);
        } else {  // the types that quantize() does not write: bytes that differ in every field
            data = test::random_blocks(type, values.size() / info.block_size, 9);
        }
        for (Writer* w : {&little, &big})
            REQUIRE(w->add_tensor({std::string(info.name), type, {512, 4}, data}).ok());
    }
    REQUIRE(little.write(dir / "le.gguf").ok());
    REQUIRE(big.write(dir / "be.gguf").ok());
    auto le = open(dir / "le.gguf");
    auto be = open(dir / "be.gguf");
    REQUIRE(le.ok());
    REQUIRE(be.ok());
    REQUIRE(be->byte_order() == ByteOrder::big);
    for (TypeId id : types) {
        CAPTURE(find_type(id)->name);
        const auto lv = le->view(*le->find_tensor(find_type(id)->name));
        const auto bv = be->view(*be->find_tensor(find_type(id)->name));
        REQUIRE(lv.ok());
        REQUIRE(bv.ok());
        if (!byte_swap_layout(static_cast<std::uint32_t>(id))->empty()) CHECK(std::memcmp(lv->bytes.data(), bv->bytes.data(), lv->bytes.size()) != 0);
        const auto a = dequant::to_float(*lv), b = dequant::to_float(*bv);
        REQUIRE(a.ok());
        REQUIRE(b.ok());
        CHECK(test::same_bits(*a, *b));
        // decode_rows over a middle range, in both orders, matches the whole-tensor decode
        std::vector<float> rows(2 * 512);
        REQUIRE(dequant::decode_rows(*bv, 1, 2, rows).ok());
        CHECK(test::same_bits(rows, std::span(*a).subspan(512, 1024)));
    }
}

TEST_CASE("row ranges outside the tensor and outputs of the wrong size are errors, not crashes") {
    test::TempDir dir;
    Writer w;
    REQUIRE(w.add_tensor({"t", static_cast<std::uint32_t>(TypeId::F32), {4, 3}, std::vector<std::byte>(48)}).ok());
    REQUIRE(w.write(dir / "t.gguf").ok());
    auto m = open(dir / "t.gguf");
    REQUIRE(m.ok());
    auto view = m->view(m->tensors()[0]);
    REQUIRE(view.ok());
    std::vector<float> out(8);
    CHECK(dequant::decode_rows(*view, 1, 2, out).ok());
    CHECK(dequant::decode_rows(*view, 2, 2, out).error().code == ErrorCode::invalid_argument);
    CHECK(dequant::decode_rows(*view, ~0ull, 2, out).error().code == ErrorCode::invalid_argument);
    CHECK(dequant::decode_rows(*view, 0, 1, out).error().code == ErrorCode::invalid_argument);
    TensorView truncated = *view;
    truncated.bytes = truncated.bytes.first(40);
    CHECK(dequant::to_float(truncated).error().code == ErrorCode::tensor_unreadable);
    std::vector<float> five(5);
    CHECK_THROWS_AS(dequant::decode_blocks(static_cast<std::uint32_t>(TypeId::Q8_0), std::vector<std::byte>(35),
                                           ByteOrder::little, five),
                    std::invalid_argument);
}

TEST_CASE("unsupported types are refused everywhere, never guessed") {
    for (TypeId id : {TypeId::Q8_K, TypeId::Q8_1, TypeId::Q4_2, TypeId::Q4_0_4_4})
        CHECK_FALSE(dequant::is_supported(static_cast<std::uint32_t>(id)));
    CHECK_FALSE(dequant::is_supported(4242));
    test::TempDir dir;
    Writer w;
    const auto q8k = static_cast<std::uint32_t>(TypeId::Q8_K);
    REQUIRE(w.add_tensor({"q8k", q8k, {256, 2}, std::vector<std::byte>(2 * 292)}).ok());
    REQUIRE(w.write(dir / "u.gguf").ok());
    auto m = open(dir / "u.gguf");
    REQUIRE(m.ok());
    auto view = m->view(m->tensors()[0]);
    REQUIRE(view.ok());
    CHECK(dequant::to_float(*view).error().code == ErrorCode::tensor_unreadable);
    std::vector<float> out(256);
    CHECK(dequant::decode_rows(*view, 0, 1, out).error().code == ErrorCode::tensor_unreadable);
    CHECK_THROWS_AS(dequant::decode_blocks(q8k, view->bytes.first(292), ByteOrder::little, out), std::invalid_argument);
}

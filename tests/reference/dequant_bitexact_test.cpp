// Our dequantizers against ggml's own to_float (libggml-base.so of the reference build), bit for
// bit: on tensors that ggml quantized, and on random block bytes whose f16 scales are subnormal,
// infinite or NaN. The scalar decoders (the oracle) and the AVX2 ones are checked separately.
#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include "dequant/test_data.hpp"
#include "gguf/dequant.hpp"
#include "gguf/float_formats.hpp"
#include "kernels.hpp"
#include "reference/ggml_reference.hpp"

using namespace gguf;

namespace {

// The quantized types that ggml can dequantize and we claim to support.
constexpr TypeId kQuantTypes[] = {TypeId::Q4_0, TypeId::Q4_1, TypeId::Q5_0, TypeId::Q5_1, TypeId::Q8_0,
                                  TypeId::Q2_K, TypeId::Q3_K, TypeId::Q4_K, TypeId::Q5_K, TypeId::Q6_K,
                                  TypeId::IQ4_NL, TypeId::IQ4_XS, TypeId::MXFP4,  TypeId::IQ2_XXS, TypeId::IQ2_XS,
                                  TypeId::IQ2_S,  TypeId::IQ3_XXS, TypeId::IQ3_S, TypeId::IQ1_S,  TypeId::IQ1_M,
                                  TypeId::TQ1_0,  TypeId::TQ2_0,   TypeId::NVFP4, TypeId::Q1_0,   TypeId::Q2_0};

std::vector<float> ggml_decode(std::uint32_t type, std::span<const std::byte> blocks) {
    const TypeInfo& info = *find_type(type);
    std::vector<float> out(blocks.size() / info.type_size * info.block_size);
    const ggml_type_traits* traits = ggml_get_type_traits(static_cast<int>(type));
    REQUIRE(static_cast<bool>(traits->to_float));
    traits->to_float(blocks.data(), out.data(), static_cast<std::int64_t>(out.size()));
    return out;
}

// Decodes with each of our decoders (scalar, AVX2 when this CPU has it, the public entry point)
// and requires the same bits as ggml.
void check_against_ggml(std::uint32_t type, std::span<const std::byte> blocks, const std::string& what) {
    CAPTURE(what);
    CAPTURE(type_label(type));
    const std::vector<float> expected = ggml_decode(type, blocks);
    const auto* kernels = dequant::detail::find_kernels(type);
    REQUIRE(kernels != nullptr);
    const TypeInfo& info = *find_type(type);
    const std::size_t n_blocks = blocks.size() / info.type_size;

    std::vector<float> scalar(expected.size());
    kernels->scalar(blocks.data(), n_blocks, scalar.data());
    const std::size_t at = test::first_difference(scalar, expected);
    CHECK_MESSAGE(test::same_bits(scalar, expected),
                  "scalar differs at value " << at << ": bits " << std::hex << float_to_bits(scalar[at]) << ", ggml "
                                             << float_to_bits(expected[at]));

    if (kernels->avx2 && dequant::detail::simd_enabled()) {
        std::vector<float> simd(expected.size());
        kernels->avx2(blocks.data(), n_blocks, simd.data());
        CHECK_MESSAGE(test::same_bits(simd, expected), "AVX2 differs at value " << test::first_difference(simd, expected));
    }

    std::vector<float> pub(expected.size());
    dequant::decode_blocks(type, blocks, ByteOrder::little, pub);
    CHECK(test::same_bits(pub, expected));

    // The same blocks as a big-endian file stores them (where that layout is defined: not IQ1_M).
    std::vector<std::byte> big(blocks.begin(), blocks.end());
    if (swap_block_fields(type, big)) {
        std::vector<float> from_big(expected.size());
        dequant::decode_blocks(type, big, ByteOrder::big, from_big);
        CHECK_MESSAGE(test::same_bits(from_big, expected), "big-endian blocks decode differently");
    }
}

// An importance matrix for the types whose quantizer needs one (IQ1, IQ2_XXS, IQ2_XS): the mean square
// of each column, which is what an activation-weighted imatrix reduces to for unit activations.
std::vector<float> column_mean_squares(std::span<const float> values, std::size_t row_length) {
    std::vector<float> m(row_length, 0.0f);
    const std::size_t n_rows = values.size() / row_length;
    for (std::size_t r = 0; r < n_rows; ++r)
        for (std::size_t c = 0; c < row_length; ++c) m[c] += values[r * row_length + c] * values[r * row_length + c];
    for (float& x : m) x = x / static_cast<float>(n_rows) + 1e-6f;
    return m;
}

std::vector<std::byte> ggml_quantize(std::uint32_t type, std::span<const float> values, std::size_t row_length) {
    const TypeInfo& info = *find_type(type);
    const std::size_t n_rows = values.size() / row_length;
    std::vector<std::byte> out(n_rows * (row_length / info.block_size) * info.type_size);
    const std::vector<float> imatrix = column_mean_squares(values, row_length);
    const std::size_t written = ggml_quantize_chunk(static_cast<int>(type), values.data(), out.data(), 0,
                                                    static_cast<std::int64_t>(n_rows),
                                                    static_cast<std::int64_t>(row_length),
                                                    ggml_quantize_requires_imatrix(static_cast<int>(type)) ? imatrix.data() : nullptr);
    REQUIRE(written == out.size());
    return out;
}

}  // namespace

TEST_CASE("every type ggml dequantizes is supported here, and removed or unknown types are not") {
    for (const TypeInfo& t : all_types()) {
        const auto* traits = ggml_get_type_traits(static_cast<int>(t.id));
        if (dequant::is_supported(static_cast<std::uint32_t>(t.id)) && t.quantized) {
            CAPTURE(t.name);
            CHECK(static_cast<bool>(traits->to_float));
            CHECK(static_cast<std::uint32_t>(traits->blck_size) == t.block_size);
            CHECK(traits->type_size == t.type_size);
        }
    }
    for (TypeId id : kQuantTypes) CHECK(dequant::is_supported(static_cast<std::uint32_t>(id)));
    CHECK_FALSE(dequant::is_supported(static_cast<std::uint32_t>(TypeId::Q4_2)));
    CHECK_FALSE(dequant::is_supported(static_cast<std::uint32_t>(TypeId::Q4_0_4_4)));
    CHECK_FALSE(dequant::is_supported(1000));
}

TEST_CASE("tensors quantized by ggml decode to ggml's floats, bit for bit") {
    const std::size_t row_length = 1024, n_rows = 24;
    const std::vector<float> values = test::weight_like(n_rows, row_length, 42);
    for (TypeId id : kQuantTypes) {
        const auto type = static_cast<std::uint32_t>(id);
        check_against_ggml(type, ggml_quantize(type, values, row_length), "quantized by ggml");
    }
    check_against_ggml(static_cast<std::uint32_t>(TypeId::F16),
                       ggml_quantize(static_cast<std::uint32_t>(TypeId::F16), values, row_length), "F16 by ggml");
    check_against_ggml(static_cast<std::uint32_t>(TypeId::BF16),
                       ggml_quantize(static_cast<std::uint32_t>(TypeId::BF16), values, row_length), "BF16 by ggml");
}

TEST_CASE("random block bytes, with subnormal, infinite and NaN scales, decode to ggml's floats") {
    for (TypeId id : kQuantTypes) {
        const auto type = static_cast<std::uint32_t>(id);
        for (std::uint64_t seed : {1u, 2u, 3u}) {
            auto blocks = test::random_blocks(type, 2048 / find_type(type)->block_size * 32 + 7, seed);
            if (id == TypeId::IQ1_M) test::set_iq1m_special_scales(blocks);
            check_against_ggml(type, blocks, "random bytes, seed " + std::to_string(seed));
        }
    }
}

TEST_CASE("all 65536 F16 and BF16 values decode as ggml decodes them, NaN payloads included") {
    std::vector<std::byte> all(65536 * 2);
    for (std::uint32_t h = 0; h < 65536; ++h) {
        const auto v = static_cast<std::uint16_t>(h);
        std::memcpy(all.data() + 2 * h, &v, 2);
    }
    check_against_ggml(static_cast<std::uint32_t>(TypeId::F16), all, "every half");
    check_against_ggml(static_cast<std::uint32_t>(TypeId::BF16), all, "every bfloat16");
    // The public helpers are the scalar decoders' conversions.
    const std::vector<float> f16 = ggml_decode(static_cast<std::uint32_t>(TypeId::F16), all);
    for (std::uint32_t h = 0; h < 65536; ++h) {
        const std::uint32_t expected = float_to_bits(f16[h]);
        if (fp16_to_fp32_bits(static_cast<std::uint16_t>(h)) != expected) {
            FAIL_CHECK("fp16_to_fp32_bits(" << h << ")");
            break;
        }
    }
}

TEST_CASE("fp32_to_fp16 and fp32_to_bf16 round exactly as ggml's F16 and BF16 quantizers") {
    // A sweep over the whole float32 range (every exponent, many mantissas, both signs), plus the
    // rounding boundaries: halfway cases, the largest half, the subnormal range, NaNs.
    std::vector<float> inputs;
    for (std::uint64_t bits = 0; bits <= 0xFFFFFFFFull; bits += 4099) inputs.push_back(float_from_bits(static_cast<std::uint32_t>(bits)));
    for (std::uint32_t h = 0; h < 0x7C00; ++h) {  // each half, the halfway points above it, and their neighbours
        const std::uint32_t f = fp16_to_fp32_bits(static_cast<std::uint16_t>(h));
        const std::uint32_t next = fp16_to_fp32_bits(static_cast<std::uint16_t>(h + 1));
        const std::uint32_t mid = float_to_bits((float_from_bits(f) + float_from_bits(next)) / 2);
        for (std::uint32_t b : {f, mid - 1, mid, mid + 1}) {
            inputs.push_back(float_from_bits(b));
            inputs.push_back(float_from_bits(b | 0x80000000u));
        }
    }
    for (std::uint32_t b : {0x7F800001u, 0x7FC00000u, 0xFFFFFFFFu, 0x7F800000u, 0x477FEFFFu, 0x477FF000u, 0x33000000u,
                            0x33000001u, 0x7F7FFFFFu, 0x7F7F8000u})
        inputs.push_back(float_from_bits(b));

    std::vector<std::uint16_t> ggml_f16(inputs.size()), ggml_bf16(inputs.size());
    ggml_quantize_chunk(static_cast<int>(TypeId::F16), inputs.data(), ggml_f16.data(), 0, 1,
                        static_cast<std::int64_t>(inputs.size()), nullptr);
    ggml_quantize_chunk(static_cast<int>(TypeId::BF16), inputs.data(), ggml_bf16.data(), 0, 1,
                        static_cast<std::int64_t>(inputs.size()), nullptr);
    std::size_t f16_mismatches = 0, bf16_mismatches = 0;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        if (fp32_to_fp16(inputs[i]) != ggml_f16[i] && f16_mismatches++ < 5)
            FAIL_CHECK("fp32_to_fp16(bits " << std::hex << float_to_bits(inputs[i]) << ") = " << fp32_to_fp16(inputs[i])
                                            << ", ggml " << ggml_f16[i]);
        if (fp32_to_bf16(inputs[i]) != ggml_bf16[i] && bf16_mismatches++ < 5)
            FAIL_CHECK("fp32_to_bf16(bits " << std::hex << float_to_bits(inputs[i]) << ")");
    }
    CHECK(f16_mismatches == 0);
    CHECK(bf16_mismatches == 0);
    CHECK(inputs.size() > 1000000);
}

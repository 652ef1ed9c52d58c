// The reference quantizers: argument checks, valid blocks, and the error bound each format implies.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "dequant/test_data.hpp"
#include "gguf/dequant.hpp"
#include "gguf/float_formats.hpp"
#include "gguf/quantize.hpp"

using namespace gguf;

namespace {

std::vector<float> round_trip(TypeId type, const std::vector<float>& values, std::uint64_t row_length) {
    auto q = dequant::quantize(static_cast<std::uint32_t>(type), values, row_length);
    REQUIRE(q.ok());
    const TypeInfo& info = *find_type(type);
    REQUIRE(q->size() == values.size() / info.block_size * info.type_size);
    std::vector<float> out(values.size());
    dequant::decode_blocks(static_cast<std::uint32_t>(type), *q, ByteOrder::little, out);
    return out;
}

}  // namespace

TEST_CASE("Q8_0 reproduces every value within one step of its block's scale, a step near amax / 127") {
    const auto v = test::weight_like(8, 256, 17);
    auto q = dequant::quantize(static_cast<std::uint32_t>(TypeId::Q8_0), v, 256);
    REQUIRE(q.ok());
    const auto r = round_trip(TypeId::Q8_0, v, 256);
    for (std::size_t b = 0; b < v.size() / 32; ++b) {
        float amax = 0;
        for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(v[32 * b + i]));
        std::uint16_t h;
        std::memcpy(&h, q->data() + 34 * b, 2);
        const float d = std::fabs(fp16_to_fp32(h));
        CHECK(d <= amax / 120);
        CHECK(d >= amax / 130);
        for (int i = 0; i < 32; ++i) CHECK(std::fabs(r[32 * b + i] - v[32 * b + i]) <= d);
    }
}

TEST_CASE("every quantizer's relative RMSE is what its bits per weight allow") {
    const auto v = test::weight_like(16, 512, 23);
    double power = 0;
    for (float x : v) power += static_cast<double>(x) * x;
    // generous upper bounds of RMSE / RMS for weight-like data (from the formats' bit budgets)
    const std::pair<TypeId, double> bounds[] = {
        {TypeId::Q8_0, 0.01}, {TypeId::Q6_K, 0.04}, {TypeId::Q5_0, 0.08}, {TypeId::Q5_1, 0.07}, {TypeId::Q5_K, 0.07},
        {TypeId::Q4_0, 0.15}, {TypeId::Q4_1, 0.13}, {TypeId::Q4_K, 0.13}, {TypeId::IQ4_NL, 0.13}, {TypeId::IQ4_XS, 0.13},
        {TypeId::MXFP4, 0.2}, {TypeId::Q3_K, 0.25}, {TypeId::Q2_K, 0.45}, {TypeId::BF16, 0.005}, {TypeId::F16, 0.001},
        {TypeId::IQ3_S, 0.3}, {TypeId::IQ3_XXS, 0.35}, {TypeId::IQ2_S, 0.5}, {TypeId::IQ2_XS, 0.55},
        {TypeId::IQ2_XXS, 0.65}, {TypeId::IQ1_M, 0.65}, {TypeId::IQ1_S, 0.75},
        // NVFP4: MXFP4's codes with a finer scale every 16 values; Q1_0: signs alone leave sqrt(1 - 2/pi)
        // = 0.60 of a Gaussian's RMS, more for these heavier-tailed weights (0.68); Q2_0: four levels
        {TypeId::NVFP4, 0.2}, {TypeId::Q1_0, 0.75}, {TypeId::Q2_0, 0.45},
        {TypeId::F32, 0.0}};
    for (const auto& [type, bound] : bounds) {
        const std::string_view type_name = find_type(type)->name;  // not the binding: clang < 16 cannot capture it
        CAPTURE(type_name);
        const auto r = round_trip(type, v, 512);
        double err = 0;
        for (std::size_t i = 0; i < v.size(); ++i) err += (static_cast<double>(r[i]) - v[i]) * (static_cast<double>(r[i]) - v[i]);
        const double relative = std::sqrt(err / power);
        CHECK(relative <= bound);
        if (type != TypeId::F32) CHECK(relative > 0.0);
    }
}

TEST_CASE("constant and all-zero blocks quantize exactly where the format can hold them") {
    const std::vector<float> zeros(256, 0.0f), ones(256, 1.0f);
    for (TypeId id : {TypeId::Q8_0, TypeId::Q4_0, TypeId::Q4_K, TypeId::Q5_K, TypeId::Q6_K, TypeId::Q2_K, TypeId::Q3_K,
                      TypeId::IQ4_NL, TypeId::IQ4_XS, TypeId::MXFP4, TypeId::Q4_1, TypeId::Q5_0, TypeId::Q5_1,
                      TypeId::NVFP4, TypeId::Q1_0, TypeId::Q2_0}) {
        CAPTURE(find_type(id)->name);
        CHECK(round_trip(id, zeros, 256) == zeros);
        for (float x : round_trip(id, ones, 256)) CHECK(x == doctest::Approx(1.0f).epsilon(0.01));
    }
}

TEST_CASE("ternary weights survive TQ1_0 and TQ2_0 exactly, in value order") {
    // -1, 0, 1 times 0.25 in a pattern that differs in every position of every packing run.
    std::vector<float> v(512);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = 0.25f * static_cast<float>(static_cast<int>((i * 7 + i / 5) % 3) - 1);
    v[3] = 0.25f;  // the block maximum is the scale
    for (TypeId id : {TypeId::TQ1_0, TypeId::TQ2_0}) {
        CAPTURE(find_type(id)->name);
        CHECK(round_trip(id, v, 256) == v);
    }
}

TEST_CASE("quantize refuses what it cannot encode") {
    const std::vector<float> v(64, 1.0f);
    auto code = [](auto r) { return r.ok() ? ErrorCode{} : r.error().code; };
    CHECK(code(dequant::quantize(static_cast<std::uint32_t>(TypeId::Q4_K), v, 64)) == ErrorCode::invalid_argument);  // row < 256
    CHECK(code(dequant::quantize(static_cast<std::uint32_t>(TypeId::Q8_0), v, 48)) == ErrorCode::invalid_argument);  // not whole rows
    CHECK(code(dequant::quantize(static_cast<std::uint32_t>(TypeId::Q8_0), v, 0)) == ErrorCode::invalid_argument);
    CHECK(code(dequant::quantize(static_cast<std::uint32_t>(TypeId::Q8_K), std::vector<float>(256), 256)) ==
          ErrorCode::invalid_argument);
    CHECK_FALSE(dequant::can_quantize(static_cast<std::uint32_t>(TypeId::Q8_K)));
    CHECK_FALSE(dequant::can_quantize(999));
    std::vector<float> with_nan = v;
    with_nan[5] = std::numeric_limits<float>::quiet_NaN();
    CHECK(code(dequant::quantize(static_cast<std::uint32_t>(TypeId::Q8_0), with_nan, 64)) == ErrorCode::invalid_argument);
    // plain floats keep NaN and infinity
    auto f16 = dequant::quantize(static_cast<std::uint32_t>(TypeId::F16), with_nan, 64);
    REQUIRE(f16.ok());
    std::uint16_t h;
    std::memcpy(&h, f16->data() + 10, 2);
    CHECK(h == 0x7E00);
}

TEST_CASE("block scales beyond the f16 range saturate instead of becoming infinite") {
    std::vector<float> big(32, 1e9f);
    big[3] = -3e9f;
    const auto r = round_trip(TypeId::Q8_0, big, 32);
    for (float x : r) CHECK(std::isfinite(x));
    CHECK(std::fabs(r[3]) >= 65504.0f * 127);  // the largest finite scale
}

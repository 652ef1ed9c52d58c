// The mistaken code-book decoders of the audit read their groups through dequant's shared decoders:
// without a mistake they must agree with gguf_dequant (bit-exact with ggml) bit for bit, in both byte
// orders; and each mistake must change the values of weight-like blocks.
#include <doctest/doctest.h>

#include <cstring>
#include <random>

#include "gguf/dequant.hpp"
#include "gguf/quantize.hpp"
#include "gguf/types.hpp"
#include "iquant_variants.hpp"

using namespace gguf;
using audit::detail::IQuantMistake;

namespace {

const TypeId kTypes[] = {TypeId::IQ2_XXS, TypeId::IQ2_XS, TypeId::IQ2_S, TypeId::IQ3_XXS,
                         TypeId::IQ3_S,   TypeId::IQ1_S,  TypeId::IQ1_M};

std::vector<std::byte> weight_like_blocks(std::uint32_t type) {
    std::mt19937 rng(5);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    std::vector<float> values(256 * 16);
    for (float& v : values) v = normal(rng);
    auto blocks = dequant::quantize(type, values, 256);
    REQUIRE(blocks.ok());
    return *blocks;
}

}  // namespace

TEST_CASE("the correct variant of each code-book decoder is bit-exact with gguf_dequant, in both byte orders") {
    for (const TypeId id : kTypes) {
        const auto type = static_cast<std::uint32_t>(id);
        CAPTURE(type_label(type));
        const auto little = weight_like_blocks(type);
        std::vector<float> expected(little.size() / find_type(type)->type_size * 256), got(expected.size());
        dequant::decode_blocks(type, little, ByteOrder::little, expected);
        audit::detail::decode_iquant(type, IQuantMistake::none, little, ByteOrder::little, got);
        CHECK(std::memcmp(expected.data(), got.data(), got.size() * sizeof(float)) == 0);
        std::vector<std::byte> big = little;
        if (!swap_block_fields(type, big)) continue;  // IQ1_M has no big-endian layout
        audit::detail::decode_iquant(type, IQuantMistake::none, big, ByteOrder::big, got);
        CHECK(std::memcmp(expected.data(), got.data(), got.size() * sizeof(float)) == 0);
    }
}

TEST_CASE("every code-book mistake changes the decoded values") {
    for (const TypeId id : kTypes) {
        const auto type = static_cast<std::uint32_t>(id);
        CAPTURE(type_label(type));
        const auto blocks = weight_like_blocks(type);
        const auto mistakes = audit::detail::iquant_mistakes(type);
        CHECK_FALSE(mistakes.empty());
        std::vector<float> right(blocks.size() / find_type(type)->type_size * 256), wrong(right.size());
        audit::detail::decode_iquant(type, IQuantMistake::none, blocks, ByteOrder::little, right);
        for (const auto& m : mistakes) {
            CAPTURE(m.name);
            audit::detail::decode_iquant(type, m.mistake, blocks, ByteOrder::little, wrong);
            std::size_t changed = 0;
            for (std::size_t i = 0; i < right.size(); ++i) changed += right[i] != wrong[i];
            CHECK(changed > right.size() / 20);
        }
    }
    CHECK(audit::detail::iquant_mistakes(static_cast<std::uint32_t>(TypeId::Q4_K)).empty());
}

// The mistaken ternary decoders of the audit: without a mistake they must agree with gguf_dequant
// (bit-exact with ggml) bit for bit, in both byte orders; and each mistake must change the values of
// weight-like blocks.
#include <doctest/doctest.h>

#include <cstring>
#include <random>

#include "gguf/dequant.hpp"
#include "gguf/quantize.hpp"
#include "gguf/types.hpp"
#include "ternary_variants.hpp"

using namespace gguf;
using audit::detail::TernaryMistake;

namespace {

const TypeId kTypes[] = {TypeId::TQ1_0, TypeId::TQ2_0};

std::vector<std::byte> weight_like_blocks(std::uint32_t type) {
    std::mt19937 rng(7);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    std::vector<float> values(256 * 16);
    for (float& v : values) v = normal(rng);
    auto blocks = dequant::quantize(type, values, 256);
    REQUIRE(blocks.ok());
    return *blocks;
}

}  // namespace

TEST_CASE("the correct variant of each ternary decoder is bit-exact with gguf_dequant, in both byte orders") {
    for (const TypeId id : kTypes) {
        const auto type = static_cast<std::uint32_t>(id);
        CAPTURE(type_label(type));
        // Weight-like blocks, and random bytes (every byte value, scales of every class).
        std::vector<std::vector<std::byte>> inputs{weight_like_blocks(type)};
        std::mt19937 rng(11);
        std::vector<std::byte> random(find_type(type)->type_size * 64);
        for (auto& b : random) b = static_cast<std::byte>(rng() & 0xFF);
        inputs.push_back(random);
        for (const auto& little : inputs) {
            std::vector<float> expected(little.size() / find_type(type)->type_size * 256), got(expected.size());
            dequant::decode_blocks(type, little, ByteOrder::little, expected);
            audit::detail::decode_ternary(type, TernaryMistake::none, little, ByteOrder::little, got);
            CHECK(std::memcmp(expected.data(), got.data(), got.size() * sizeof(float)) == 0);
            std::vector<std::byte> big = little;
            REQUIRE(swap_block_fields(type, big));
            audit::detail::decode_ternary(type, TernaryMistake::none, big, ByteOrder::big, got);
            CHECK(std::memcmp(expected.data(), got.data(), got.size() * sizeof(float)) == 0);
        }
    }
}

TEST_CASE("every ternary mistake changes the decoded values") {
    for (const TypeId id : kTypes) {
        const auto type = static_cast<std::uint32_t>(id);
        CAPTURE(type_label(type));
        const auto blocks = weight_like_blocks(type);
        const auto mistakes = audit::detail::ternary_mistakes(type);
        CHECK(mistakes.size() >= 5);
        std::vector<float> right(blocks.size() / find_type(type)->type_size * 256), wrong(right.size());
        audit::detail::decode_ternary(type, TernaryMistake::none, blocks, ByteOrder::little, right);
        for (const auto& m : mistakes) {
            CAPTURE(m.name);
            audit::detail::decode_ternary(type, m.mistake, blocks, ByteOrder::little, wrong);
            std::size_t changed = 0;
            for (std::size_t i = 0; i < right.size(); ++i) changed += right[i] != wrong[i];
            // qh_byte_major moves 12 of the last 16 values of a block; a third of moves land on an equal value.
            CHECK(changed > right.size() / (m.mistake == TernaryMistake::qh_byte_major ? 100 : 20));
        }
    }
    CHECK(audit::detail::ternary_mistakes(static_cast<std::uint32_t>(TypeId::Q4_K)).empty());
}

// The mistaken K-quant decoders of the audit share their block layout with the correct one, which must
// agree with gguf_dequant (bit-exact with ggml) bit for bit; and each mistake must change the values.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <random>

#include "gguf/dequant.hpp"
#include "gguf/quantize.hpp"
#include "gguf/types.hpp"
#include "kquant_variants.hpp"

using namespace gguf;

TEST_CASE("the correct variant of each K-quant decoder is bit-exact with gguf_dequant, in both byte orders") {
    std::mt19937 rng(3);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    std::vector<float> values(256 * 16);
    for (float& v : values) v = normal(rng);
    for (const TypeId id : {TypeId::Q4_K, TypeId::Q5_K, TypeId::Q6_K}) {
        const auto type = static_cast<std::uint32_t>(id);
        CAPTURE(type_label(type));
        auto blocks = dequant::quantize(type, values, 256);
        REQUIRE(blocks.ok());
        for (const ByteOrder order : {ByteOrder::little, ByteOrder::big}) {
            std::vector<std::byte> bytes = *blocks;
            if (order == ByteOrder::big) {  // swap the multi-byte fields, as a big-endian file stores them
                const auto layout = byte_swap_layout(type);
                REQUIRE(layout.has_value());
                const std::size_t size = find_type(type)->type_size;
                for (std::size_t b = 0; b < bytes.size(); b += size)
                    for (const BlockField& f : *layout)
                        for (std::size_t k = 0; k < f.count; ++k)
                            std::reverse(bytes.begin() + static_cast<std::ptrdiff_t>(b + f.offset + k * f.width),
                                         bytes.begin() + static_cast<std::ptrdiff_t>(b + f.offset + (k + 1) * f.width));
            }
            std::vector<float> expected(values.size()), got(values.size());
            dequant::decode_blocks(type, bytes, order, expected);
            audit::detail::decode_kquant(type, audit::detail::KQuantMistake::none, bytes, order, got);
            CHECK(std::memcmp(expected.data(), got.data(), 4 * got.size()) == 0);
            for (const auto& m : audit::detail::kquant_mistakes(type)) {
                CAPTURE(m.name);
                audit::detail::decode_kquant(type, m.mistake, bytes, order, got);
                CHECK(std::memcmp(expected.data(), got.data(), 4 * got.size()) != 0);
            }
        }
    }
}

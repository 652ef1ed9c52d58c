// The sub-block scale and grid/sign readers of statistics (stats_codes.cpp) held to the shared block
// readers that the bit-exact decoders use (gguf/blocks/*.hpp, group() of each IQ type), on random
// blocks; the K-quant fields on hand-built blocks; and compute_stats carrying them through threads.
#include <doctest/doctest.h>

#include <bit>
#include <cstring>
#include <map>
#include <set>
#include <vector>

#include "blocks.hpp"
#include "dequant/test_data.hpp"
#include "gguf/container.hpp"
#include "gguf/quantize.hpp"
#include "gguf/stats.hpp"
#include "gguf/writer.hpp"
#include "stats_codes.hpp"
#include "support/temp_dir.hpp"

using namespace gguf;
using namespace gguf::blocks;
using dequant::TensorStats;

namespace {

TensorStats codes_of(std::uint32_t type, const std::vector<std::byte>& blocks) {
    dequant::detail::CodeAccumulator a(type);
    REQUIRE(a.active());
    a.add_blocks(blocks.data(), blocks.size() / find_type(type)->type_size);
    TensorStats s;
    a.finish(s);
    return s;
}

// The sub-block scale code a group's float scale was made from (d = 1, so every code gives another scale).
template <class Block>
int code_of(float scale) {
    for (int s = 0; s < 16; ++s) {
        float expected;
        if constexpr (Block::type == TypeId::IQ3_S) expected = static_cast<float>(1 + 2 * s);
        else if constexpr (Block::shifted) expected = static_cast<float>(2 * s + 1);
        else expected = half_step_scale(1.0f, static_cast<std::uint32_t>(s), Block::type == TypeId::IQ3_XXS ? 0.5f : 0.25f);
        if (scale == expected) return s;
    }
    FAIL("no code gives scale " << scale);
    return -1;
}

// d = 1.0 in every block (IQ1_M: in the top nibbles of its scale words), the other bytes random.
std::vector<std::byte> unit_scale_blocks(std::uint32_t type, std::size_t n_blocks) {
    auto bytes = test::random_blocks(type, n_blocks, 99);
    const std::uint32_t size = find_type(type)->type_size;
    for (std::size_t i = 0; i < n_blocks; ++i) {
        auto* b = reinterpret_cast<std::uint8_t*>(bytes.data()) + i * size;
        if (type == static_cast<std::uint32_t>(TypeId::IQ1_M)) {
            for (int w = 0; w < 4; ++w) {
                const std::uint16_t nibble = (0x3C00u >> (4 * w)) & 0xF;
                const std::uint16_t word = static_cast<std::uint16_t>((u16(b + 48 + 2 * w) & 0x0FFFu) | nibble << 12);
                std::memcpy(b + 48 + 2 * w, &word, 2);
            }
        } else {
            b[0] = 0x00;
            b[1] = 0x3C;
        }
    }
    return bytes;
}

template <class Block>
void check_against_group_reader(int groups_per_scale) {
    const auto type = static_cast<std::uint32_t>(Block::type);
    CAPTURE(find_type(type)->name);
    const std::size_t n_blocks = 40;
    const auto bytes = unit_scale_blocks(type, n_blocks);
    const TensorStats s = codes_of(type, bytes);

    std::set<std::uint64_t> entries;
    std::uint64_t signs_set = 0, sign_bits = 0, deltas = 0, negative_deltas = 0;
    std::map<int, std::uint64_t> groups_with_code;
    for (std::size_t i = 0; i < n_blocks; ++i) {
        const auto* b = reinterpret_cast<const std::uint8_t*>(bytes.data()) + i * Block::bytes;
        for (int g = 0; g < 32; ++g) {
            const Group p = Block::group(b, g);
            ++groups_with_code[code_of<Block>(p.scale)];
            if constexpr (Block::shifted) {
                // IQ1_S keeps one shift sign per sub-block of four groups, IQ1_M one per group.
                if (Block::type == TypeId::IQ1_M || g % 4 == 0) {
                    ++deltas;
                    negative_deltas += p.delta < 0;
                }
                entries.insert(p.entry);
            } else {
                sign_bits += 8;
                signs_set += static_cast<std::uint64_t>(std::popcount(static_cast<unsigned>(p.signs)));
                if (Block::type == TypeId::IQ3_XXS || Block::type == TypeId::IQ3_S) {
                    entries.insert(p.entry & 0xFFFFFFFFu);
                    entries.insert(p.entry >> 32);
                } else {
                    entries.insert(p.entry);
                }
            }
        }
    }
    CHECK(s.codes.grid_used == entries.size());
    CHECK(s.codes.grid_lookups == n_blocks * 32 * (Block::type == TypeId::IQ3_XXS || Block::type == TypeId::IQ3_S ? 2 : 1));  // grid entries are distinct, so entries count indices
    CHECK(s.codes.sign_bits == sign_bits);
    CHECK(s.codes.signs_set == signs_set);
    CHECK(s.codes.delta_bits == deltas);
    CHECK(s.codes.deltas_negative == negative_deltas);
    REQUIRE(s.sub_scales.size() == 1);
    for (int code = 0; code < static_cast<int>(s.sub_scales[0].histogram.size()); ++code) {
        CAPTURE(code);
        CHECK(s.sub_scales[0].histogram[code] * groups_per_scale == groups_with_code[code]);
    }
    CHECK(s.sub_scales[0].count == n_blocks * 32 / groups_per_scale);
}

template <std::size_t N, class T>
bool entries_distinct(const T (&grid)[N]) {
    return std::set<T>(std::begin(grid), std::end(grid)).size() == N;
}

}  // namespace

TEST_CASE("grid, sign, shift and sub-block scale readers agree with the decoders' group readers") {
    // grid_used counts indices; the check above compares entries, which needs each table's entries distinct.
    CHECK(entries_distinct(host_grids::kIQ2XXS));
    CHECK(entries_distinct(host_grids::kIQ2XS));
    CHECK(entries_distinct(host_grids::kIQ2S));
    CHECK(entries_distinct(host_grids::kIQ3XXS));
    CHECK(entries_distinct(host_grids::kIQ3S));
    CHECK(entries_distinct(host_grids::kIQ1S));
    check_against_group_reader<BlockIQ2XXS>(4);
    check_against_group_reader<BlockIQ2XS>(2);
    check_against_group_reader<BlockIQ2S>(2);
    check_against_group_reader<BlockIQ3XXS>(4);
    check_against_group_reader<BlockIQ3S>(4);
    check_against_group_reader<BlockIQ1S>(4);
    check_against_group_reader<BlockIQ1M>(2);
}

TEST_CASE("IQ blocks whose d is zero (ggml's all-zero blocks) are left out of the code counts") {
    for (TypeId id : {TypeId::IQ2_XXS, TypeId::IQ1_M}) {
        const auto type = static_cast<std::uint32_t>(id);
        const std::uint32_t size = find_type(type)->type_size;
        const auto one = unit_scale_blocks(type, 1);
        std::vector<std::byte> with_zero(size, std::byte{0});
        with_zero.insert(with_zero.end(), one.begin(), one.end());
        const TensorStats alone = codes_of(type, one), both = codes_of(type, with_zero);
        CHECK(both.codes.zero_blocks == 1);
        CHECK(both.codes.grid_used == alone.codes.grid_used);
        CHECK(both.codes.grid_lookups == alone.codes.grid_lookups);
        CHECK(both.codes.deltas_negative == alone.codes.deltas_negative);
        CHECK(both.sub_scales[0].histogram == alone.sub_scales[0].histogram);
    }
}

TEST_CASE("K-quant sub-block scales and mins on hand-built blocks") {
    SUBCASE("Q2_K: low nibble scale, high nibble min") {
        std::vector<std::byte> block(84, std::byte{0});
        for (int j = 0; j < 16; ++j) block[j] = static_cast<std::byte>(j | (15 - j) << 4);
        const TensorStats s = codes_of(static_cast<std::uint32_t>(TypeId::Q2_K), block);
        REQUIRE(s.sub_scales.size() == 2);
        CHECK(s.sub_scales[0].name == "scales");
        CHECK(s.sub_scales[1].name == "mins");
        for (int c = 0; c < 16; ++c) CHECK(s.sub_scales[0].histogram[c] == 1);
        CHECK(s.sub_scales[0].mean == doctest::Approx(7.5));
        CHECK(s.codes.grid_size == 0);
    }
    SUBCASE("Q4_K: sub-blocks 0-3 in the low 6 bits, 4-7 split over a nibble and two top bits") {
        std::vector<std::byte> block(144, std::byte{0});
        auto* sc = reinterpret_cast<std::uint8_t*>(block.data()) + 4;
        sc[0] = 63;                  // scale 0 = 63
        sc[4] = 5;                   // min 0 = 5
        sc[8] = 0x21;                // scale 4 low nibble 1, min 4 low nibble 2
        sc[0] |= 0x80;               // scale 4 top bits 10 -> 32 + 1 = 33 (and scale 0 keeps 63)
        const TensorStats s = codes_of(static_cast<std::uint32_t>(TypeId::Q4_K), block);
        REQUIRE(s.sub_scales.size() == 2);
        CHECK(s.sub_scales[0].histogram[63] == 1);
        CHECK(s.sub_scales[0].histogram[33] == 1);
        CHECK(s.sub_scales[0].histogram[0] == 6);
        CHECK(s.sub_scales[1].histogram[5] == 1);
        CHECK(s.sub_scales[1].histogram[2] == 1);
    }
    SUBCASE("Q6_K: signed 8-bit scales") {
        std::vector<std::byte> block(210, std::byte{0});
        block[192] = static_cast<std::byte>(0x80);  // -128
        block[193] = static_cast<std::byte>(0x7F);  // 127
        block[194] = static_cast<std::byte>(0xFF);  // -1
        const TensorStats s = codes_of(static_cast<std::uint32_t>(TypeId::Q6_K), block);
        REQUIRE(s.sub_scales.size() == 1);
        CHECK(s.sub_scales[0].min_code == -128);
        CHECK(s.sub_scales[0].histogram[0] == 1);
        CHECK(s.sub_scales[0].histogram[255] == 1);
        CHECK(s.sub_scales[0].histogram[127] == 1);
        CHECK(s.sub_scales[0].histogram[128] == 13);
        CHECK(s.sub_scales[0].mean == doctest::Approx((-128.0 + 127.0 - 1.0) / 16.0));
    }
    SUBCASE("Q3_K: stored 6-bit scales, meaning s - 32") {
        std::vector<std::byte> block(110, std::byte{0});
        const TensorStats s = codes_of(static_cast<std::uint32_t>(TypeId::Q3_K), block);
        REQUIRE(s.sub_scales.size() == 1);
        CHECK(s.sub_scales[0].min_code == -32);
        CHECK(s.sub_scales[0].histogram[0] == 16);  // every stored 0 is the scale -32
        CHECK(s.sub_scales[0].mean == doctest::Approx(-32.0));
    }
}

TEST_CASE("compute_stats carries sub-block scales and code usage, the same for any split into work items") {
    const auto values = test::weight_like(16, 1024, 5);
    for (TypeId id : {TypeId::IQ2_XS, TypeId::IQ1_M, TypeId::Q4_K}) {
        const auto type = static_cast<std::uint32_t>(id);
        CAPTURE(find_type(type)->name);
        auto bytes = dequant::quantize(type, values, 1024);
        REQUIRE(bytes.ok());
        const TensorStats whole = codes_of(type, *bytes);
        test::TempDir dir;
        Writer w;
        REQUIRE(w.add_tensor({"t", type, {1024, 16}, *bytes}).ok());
        REQUIRE(w.write(dir / "t.gguf").ok());
        auto model = open(dir / "t.gguf");
        REQUIRE(model.ok());
        auto view = model->view(model->tensors()[0]);
        REQUIRE(view.ok());
        dequant::StatsOptions options;
        options.threads = 3;
        options.chunk_bytes = 200;  // segments of rows, several threads
        auto s = dequant::compute_stats(*view, options);
        REQUIRE(s.ok());
        REQUIRE(s->sub_scales.size() == whole.sub_scales.size());
        for (std::size_t f = 0; f < whole.sub_scales.size(); ++f) CHECK(s->sub_scales[f].histogram == whole.sub_scales[f].histogram);
        CHECK(s->codes.grid_used == whole.codes.grid_used);
        CHECK(s->codes.signs_set == whole.codes.signs_set);
        CHECK(s->codes.deltas_negative == whole.codes.deltas_negative);
        if (id != TypeId::Q4_K) CHECK(s->codes.grid_used > 0);
    }
}

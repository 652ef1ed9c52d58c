// The IQ code books that dequant carries (gguf/blocks/iq_grid_data.hpp, generated) against the ones
// read out of ggml's to_float again now, and the computed sign table against ggml's.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <span>

#include "gguf/blocks/iq_grids.hpp"
#include "reference/iq_grid_probe.hpp"

using namespace gguf;

namespace {

template <class T, std::size_t N>
std::size_t differences(const std::vector<std::uint64_t>& derived, const T (&ours)[N]) {
    if (derived.size() != N) return N + 1;
    std::size_t n = 0;
    for (std::size_t i = 0; i < N; ++i) n += derived[i] != static_cast<std::uint64_t>(ours[i]);
    return n;
}

}  // namespace

TEST_CASE("the committed IQ grids are the ones ggml's to_float decodes with") {
    const auto grids = test::derive_iq_grids();
    REQUIRE(grids.size() == 6);
    CHECK(differences(grids[0].entries, blocks::host_grids::kIQ2XXS) == 0);
    CHECK(differences(grids[1].entries, blocks::host_grids::kIQ2XS) == 0);
    CHECK(differences(grids[2].entries, blocks::host_grids::kIQ2S) == 0);
    CHECK(differences(grids[3].entries, blocks::host_grids::kIQ3XXS) == 0);
    CHECK(differences(grids[4].entries, blocks::host_grids::kIQ3S) == 0);
    CHECK(differences(grids[5].entries, blocks::host_grids::kIQ1S) == 0);
    // The probe itself can tell entries apart: no two entries of one grid are equal.
    for (const auto& g : grids) {
        CAPTURE(g.name);
        auto sorted = g.entries;
        std::sort(sorted.begin(), sorted.end());
        CHECK(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());
    }
}

TEST_CASE("the sign bits of a 7-bit sign index are the index plus an even-parity bit, as in ggml") {
    const std::vector<std::uint8_t> ggml_signs = test::derive_sign_table();
    REQUIRE(ggml_signs.size() == 128);
    for (int s = 0; s < 128; ++s) {
        CAPTURE(s);
        CHECK(ggml_signs[s] == blocks::signs_from_index(s));
    }
    CHECK(blocks::signs_from_index(0) == 0);
    CHECK(blocks::signs_from_index(1) == 0x81);
    CHECK(blocks::signs_from_index(3) == 0x03);
    CHECK(blocks::signs_from_index(127) == 0xFF);
}

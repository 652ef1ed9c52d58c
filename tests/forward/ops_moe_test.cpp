// The mixture-of-experts feed-forward after routing (ops_moe.hpp) on a case small enough to compute by
// hand: 3 experts of width 1 over 2-value tokens, 2 experts per token.
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "gguf/forward/ops_moe.hpp"

using namespace gguf::forward::ops;

namespace {

// Expert e's matrices, W[n_out][n_in] as ggml stores them: gate and up [1][2], down [2][1].
constexpr std::array<std::array<float, 2>, 3> kGate{{{1, 1}, {0, 1}, {1, 0}}};
constexpr std::array<std::array<float, 2>, 3> kUp{{{2, 0}, {0, 1}, {1, 1}}};
constexpr std::array<std::array<float, 2>, 3> kDown{{{1, -1}, {2, 0}, {0, 3}}};

// Tokens (1, 0) and (0, 2); token 0 chose experts 2 then 0, token 1 experts 0 then 1.
Routing hand_routing() { return {{2, 0, 0, 1}, {0.75f, 0.25f, 0.5f, 0.5f}}; }

}  // namespace

TEST_CASE("group_by_expert lists each expert's choices by token, and where each choice went") {
    const ExpertGroups g = group_by_expert(hand_routing(), 2, 3);
    CHECK(g.start == std::vector<std::size_t>{0, 2, 3, 4});
    CHECK(g.token == std::vector<std::int32_t>{0, 1, 1, 0});      // expert 0: tokens 0, 1; expert 1: 1; expert 2: 0
    CHECK(g.position == std::vector<std::int32_t>{3, 0, 1, 2});   // (t0,r0) (t0,r1) (t1,r0) (t1,r1)
    CHECK_THROWS_AS(group_by_expert({{0, 3}, {1, 1}}, 2, 3), std::invalid_argument);
}

TEST_CASE("moe_ffn: each chosen expert's SwiGLU output times its weight, summed per token") {
    const std::vector<float> x{1, 0, 0, 2};
    std::vector<std::size_t> rows_per_expert(3, 0);
    const ExpertProduct product = [&](std::size_t e, ExpertMatrix which, std::span<const float> in, std::span<float> out) {
        const bool down = which == ExpertMatrix::down;
        const std::size_t n_in = down ? 1 : 2, n_out = down ? 2 : 1, m = in.size() / n_in;
        REQUIRE(out.size() == m * n_out);
        if (which == ExpertMatrix::gate) rows_per_expert[e] = m;
        const float* w = which == ExpertMatrix::gate ? kGate[e].data() : which == ExpertMatrix::up ? kUp[e].data() : kDown[e].data();
        for (std::size_t t = 0; t < m; ++t)
            for (std::size_t o = 0; o < n_out; ++o) {
                float sum = 0;
                for (std::size_t i = 0; i < n_in; ++i) sum += in[t * n_in + i] * w[o * n_in + i];
                out[t * n_out + o] = sum;
            }
    };
    std::vector<float> out(4, -1.0f);
    moe_ffn(x, hand_routing(), {3, 2, 1, 2}, product, out);
    // Each expert multiplies its tokens at once.
    CHECK(rows_per_expert == std::vector<std::size_t>{2, 1, 1});
    // Token 0: 0.75 * (0, 3 silu(1) * 1) + 0.25 * (1, -1) silu(1) * 2.
    // Token 1: 0.5 * (1, -1) silu(2) * 0 + 0.5 * (2, 0) silu(2) * 2.
    const double silu1 = 1 / (1 + std::exp(-1.0)), silu2 = 2 / (1 + std::exp(-2.0));
    CHECK(out[0] == doctest::Approx(0.25 * 2 * silu1).epsilon(1e-6));
    CHECK(out[1] == doctest::Approx(0.75 * 3 * silu1 - 0.25 * 2 * silu1).epsilon(1e-6));
    CHECK(out[2] == doctest::Approx(0.5 * 2 * 2 * silu2).epsilon(1e-6));
    CHECK(out[3] == 0.0f);
    CHECK(out[0] == doctest::Approx(0.3655292893).epsilon(1e-6));  // the same numbers, worked out once
    CHECK(out[1] == doctest::Approx(1.2793525126).epsilon(1e-6));
    CHECK(out[2] == doctest::Approx(3.5231883119).epsilon(1e-6));
}

TEST_CASE("combine_experts adds the weighted outputs in rank order, starting from the first product") {
    // One token, k = 3, width 1: (1e8 * 1) + (1 * 1) + (-1e8 * 1) is 0 in float when added in rank order
    // (1e8 + 1 rounds to 1e8), 1 in any order that cancels the large terms first.
    const std::vector<float> y{1e8f, 1.0f, -1e8f};
    const std::vector<std::int32_t> position{0, 1, 2};
    const std::vector<float> weights{1, 1, 1};
    std::vector<float> out(1);
    combine_experts(y, position, weights, 3, 1, out);
    CHECK(out[0] == 0.0f);
    const std::vector<std::int32_t> swapped{0, 2, 1};
    combine_experts(y, swapped, weights, 3, 1, out);
    CHECK(out[0] == 1.0f);
}

TEST_CASE("the routing slot holds ids then weights per token; ids that are no expert are refused") {
    const Routing r = hand_routing();
    std::vector<float> slot(8);
    write_routing(r, 2, slot);
    CHECK(slot == std::vector<float>{2, 0, 0.75f, 0.25f, 0, 1, 0.5f, 0.5f});
    const Routing back = read_routing(slot, 2, 3);
    CHECK(back.experts == r.experts);
    CHECK(back.weights == r.weights);
    slot[1] = 3;
    CHECK_THROWS_AS(read_routing(slot, 2, 3), std::invalid_argument);
    slot[1] = 0.5f;
    CHECK_THROWS_AS(read_routing(slot, 2, 3), std::invalid_argument);
    slot[1] = std::nanf("");
    CHECK_THROWS_AS(read_routing(slot, 2, 3), std::invalid_argument);
}

// Each operation of the forward pass against values computed by hand.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "gguf/forward/ops.hpp"

namespace ops = gguf::forward::ops;

namespace {

void check_close(const std::vector<float>& got, const std::vector<float>& want, float tolerance = 1e-6f) {
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        INFO("index " << i);
        CHECK(got[i] == doctest::Approx(want[i]).epsilon(tolerance));
    }
}

}  // namespace

TEST_CASE("rms_norm divides each row by its root mean square and scales by the weight") {
    // Row 0: mean of squares (1 + 4 + 9 + 16) / 4 = 7.5. Row 1: (4 * 4) / 4 = 4, so 1/sqrt(4) = 0.5.
    const std::vector<float> x{1, 2, 3, 4, 2, -2, 2, -2};
    const std::vector<float> w{1, 1, 2, 0.5f};
    std::vector<float> out(8);
    ops::rms_norm(x, w, 4, 0.0f, out);
    const float s = 1.0f / std::sqrt(7.5f);
    check_close(out, {1 * s, 2 * s, 3 * s * 2, 4 * s * 0.5f, 1, -1, 2, -0.5f});
}

TEST_CASE("rms_norm adds eps inside the square root") {
    const std::vector<float> x{1, 1};
    const std::vector<float> w{1, 1};
    std::vector<float> out(2);
    ops::rms_norm(x, w, 2, 1.0f, out);  // 1 / sqrt(1 + 1)
    check_close(out, {1 / std::sqrt(2.0f), 1 / std::sqrt(2.0f)});
}

TEST_CASE("rms_norm works in place on heads (the per-head q/k norm of qwen3)") {
    std::vector<float> q{3, 4, 0, 2};  // two heads of width 2: rms 3.5355 and 1.4142
    ops::rms_norm(q, std::vector<float>{1, 1}, 2, 0.0f, q);
    check_close(q, {3 / std::sqrt(12.5f), 4 / std::sqrt(12.5f), 0, std::sqrt(2.0f)});
}

TEST_CASE("softmax of 1, 2, 3 and a masked entry") {
    std::vector<float> row{1, 2, 3, -std::numeric_limits<float>::infinity()};
    ops::softmax(row);
    // e^-2, e^-1, 1 over their sum 1.5032147
    check_close(row, {0.09003057f, 0.24472847f, 0.66524096f, 0.0f});
}

TEST_CASE("softmax of a row it cannot normalize is all NaN, as on the GPU: corrupt weights reach the logits") {
    constexpr float inf = std::numeric_limits<float>::infinity();
    for (std::vector<float> row : {std::vector<float>{-inf, -inf}, std::vector<float>{1, NAN, 2},
                                   std::vector<float>{NAN, NAN}, std::vector<float>{inf, 1}}) {
        CAPTURE(row.size());
        ops::softmax(row);
        for (const float v : row) CHECK(std::isnan(v));
    }
}

TEST_CASE("swiglu is silu(gate) times up") {
    const std::vector<float> gate{0, 1, -1};
    const std::vector<float> up{2, 2, 3};
    std::vector<float> out(3);
    ops::swiglu(gate, up, out);
    // silu(1) = 1 / (1 + e^-1) = 0.7310586; silu(-1) = -1 / (1 + e) = -0.2689414
    check_close(out, {0, 2 * 0.7310586f, 3 * -0.2689414f});
}

TEST_CASE("matmul multiplies by the transposed weight (ggml's ne[0] = inputs)") {
    const std::vector<float> x{1, 2, 3, 4, 5, 6};     // two tokens of 3 inputs
    const std::vector<float> w{1, 0, 0, 0, 1, -1};    // 2 outputs: x0 and x1 - x2
    std::vector<float> out(4);
    ops::matmul(x, w, 3, 2, out);
    check_close(out, {1, -1, 4, -1});
}

TEST_CASE("add_bias adds the vector to every row") {
    std::vector<float> x{1, 2, 3, 4};
    ops::add_bias(x, std::vector<float>{10, 20});
    check_close(x, {11, 22, 13, 24});
}

TEST_CASE("rope rotates adjacent pairs in the normal style") {
    // head_dim 4, base 10000: pair 0 turns by position * 1, pair 1 by position * 10000^(-2/4) = 0.01.
    ops::RopeParams p;
    p.n_rot = 4;
    std::vector<float> x{1, 0, 1, 0, 1, 2, 3, 4};
    const std::vector<std::int64_t> positions{1, 0};
    ops::rope(x, 1, 4, positions, p);
    check_close(x, {std::cos(1.0f), std::sin(1.0f), std::cos(0.01f), std::sin(0.01f), 1, 2, 3, 4});
}

TEST_CASE("rope pairs i with i + n_rot/2 in the NeoX style") {
    ops::RopeParams p;
    p.n_rot = 4;
    p.neox = true;
    std::vector<float> x{1, 2, 3, 4};
    const std::vector<std::int64_t> positions{2};
    ops::rope(x, 1, 4, positions, p);
    // pairs (x0, x2) = (1, 3) by angle 2, (x1, x3) = (2, 4) by angle 0.02
    const float c0 = std::cos(2.0f), s0 = std::sin(2.0f), c1 = std::cos(0.02f), s1 = std::sin(0.02f);
    check_close(x, {1 * c0 - 3 * s0, 2 * c1 - 4 * s1, 1 * s0 + 3 * c0, 2 * s1 + 4 * c1}, 1e-5f);
}

TEST_CASE("rope leaves dimensions past n_rot alone and rotates every head") {
    ops::RopeParams p;
    p.n_rot = 2;
    std::vector<float> x{1, 0, 7, 8, 0, 1, 5, 6};  // two heads of head_dim 4
    const std::vector<std::int64_t> positions{3};
    ops::rope(x, 2, 4, positions, p);
    check_close(x, {std::cos(3.0f), std::sin(3.0f), 7, 8, -std::sin(3.0f), std::cos(3.0f), 5, 6});
}

TEST_CASE("rope scales angles linearly and divides them by frequency factors") {
    ops::RopeParams p;
    p.n_rot = 4;
    p.freq_scale = 0.5f;
    p.freq_factors = {1.0f, 0.25f};  // pair 1: 0.01 / 0.25 = 0.04, then * 0.5
    std::vector<float> c(2), s(2);
    ops::rope_angles(p, 4, c, s);
    check_close(c, {std::cos(2.0f), std::cos(0.08f)});
    check_close(s, {std::sin(2.0f), std::sin(0.08f)});
}

TEST_CASE("attention of two tokens hides the future from the first") {
    // One head of size 2, scale 1. Token 0 sees only key 0; token 1 scores keys 0 and 1 as 0 and 1.
    const std::vector<float> q{1, 0, 0, 1};
    const std::vector<float> k{1, 0, 0, 1};
    const std::vector<float> v{1, 2, 3, 4};
    std::vector<float> out(4);
    ops::causal_attention(q, k, v, 2, 0, {1, 1, 2, 2}, 1.0f, out);
    const float e = std::exp(1.0f), p0 = 1 / (1 + e), p1 = e / (1 + e);
    check_close(out, {1, 2, p0 * 1 + p1 * 3, p0 * 2 + p1 * 4});
}

TEST_CASE("attention scales the scores before the softmax") {
    const std::vector<float> q{0, 2};  // the second token alone, at position 1
    const std::vector<float> k{1, 0, 0, 1};
    const std::vector<float> v{1, 2, 3, 4};
    std::vector<float> out(2);
    ops::causal_attention(q, k, v, 2, 1, {1, 1, 2, 2}, 0.5f, out);  // scores 0 and 2 * 0.5 = 1
    const float e = std::exp(1.0f), p0 = 1 / (1 + e), p1 = e / (1 + e);
    check_close(out, {p0 * 1 + p1 * 3, p0 * 2 + p1 * 4});
}

TEST_CASE("grouped-query attention shares one key/value head between query heads") {
    // Two query heads, one kv head; the second query head prefers key 1, the first key 0.
    const std::vector<float> q{10, 0, 0, 10};                // one token: head 0 = (10, 0), head 1 = (0, 10)
    const std::vector<float> k{1, 0, 0, 1};                  // positions 0 and 1
    const std::vector<float> v{1, 1, -1, -1};
    std::vector<float> out(4);
    ops::causal_attention(q, k, v, 2, 1, {2, 1, 2, 2}, 1.0f, out);
    const float p = 1 / (1 + std::exp(-10.0f));  // weight of the preferred key
    check_close(out, {p - (1 - p), p - (1 - p), (1 - p) - p, (1 - p) - p});
}

// The agreement measures against values computed by hand.
#include <doctest/doctest.h>

#include <cmath>

#include "gguf/forward/compare.hpp"

using gguf::forward::Logits;

TEST_CASE("compare_logits measures max difference, argmax and KL(reference || candidate)") {
    // Row 0: p = softmax(0, 0) = (1/2, 1/2), q = softmax(ln 3, 0) = (3/4, 1/4):
    //   KL = 1/2 ln(2/3) + 1/2 ln 2 = 0.1438410. Row 1: identical rows, KL 0; argmax differs in row 0 only.
    const Logits reference{2, 2, {0, 0.01f, 5, 1}};
    const Logits candidate{2, 2, {std::log(3.0f), 0, 5, 1}};
    const auto a = gguf::forward::compare_logits(reference, candidate);
    CHECK(a.positions == 2);
    CHECK(a.argmax_mismatches == 1);
    CHECK(a.max_abs_diff == doctest::Approx(std::log(3.0)).epsilon(1e-6));
    CHECK(a.max_abs_reference == 5);
    CHECK(a.relative_diff == doctest::Approx(std::log(3.0) / 5).epsilon(1e-6));
    const double p0 = 1 / (1 + std::exp(0.01)), p1 = 1 - p0;  // softmax(0, 0.01)
    const double kl = p0 * std::log(p0 / 0.75) + p1 * std::log(p1 / 0.25);
    CHECK(a.max_kl == doctest::Approx(kl).epsilon(1e-6));
    CHECK(a.mean_kl == doctest::Approx(kl / 2).epsilon(1e-6));
}

TEST_CASE("compare_logits gives nothing for different shapes and infinity for non-finite rows") {
    CHECK(gguf::forward::compare_logits(Logits{1, 2, {0, 0}}, Logits{2, 1, {0, 0}}).positions == 0);
    const auto a = gguf::forward::compare_logits(Logits{1, 2, {0, 1}}, Logits{1, 2, {NAN, 1}});
    CHECK(a.argmax_mismatches == 1);
    CHECK(std::isinf(a.mean_kl));
}

// llama 4's query temperature (mistral3) against values computed by hand from llama.cpp's formula
// 1 + s ln(floor(p / interval) + 1).
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "gguf/forward/ops_temperature.hpp"

using namespace gguf::forward;

namespace {
// llama.cpp's formula with the scale as the float the file stores.
float expected(double steps, float scale) { return static_cast<float>(1.0 + static_cast<double>(scale) * std::log(steps + 1.0)); }
}  // namespace

TEST_CASE("the attention temperature steps up once per interval") {
    CHECK(ops::attention_temperature(0, 0.1f, 8) == 1.0f);
    CHECK(ops::attention_temperature(7, 0.1f, 8) == 1.0f);
    CHECK(ops::attention_temperature(8, 0.1f, 8) == expected(1, 0.1f));
    CHECK(ops::attention_temperature(23, 0.1f, 8) == expected(2, 0.1f));
    CHECK(ops::attention_temperature(16384 * 3, 0.1f, 16384) == expected(3, 0.1f));
    CHECK_THROWS(ops::attention_temperature(1, 0.1f, 0));
}

TEST_CASE("scale_by_temperature multiplies each token's row by its position's factor") {
    std::vector<float> x{1, 2, 3, 1, 2, 3};
    const std::vector<std::int64_t> positions{7, 8};
    ops::scale_by_temperature(x, 3, positions, 0.5f, 8);
    const float f = expected(1, 0.5f);
    CHECK(x == std::vector<float>{1, 2, 3, 1 * f, 2 * f, 3 * f});
    CHECK_THROWS(ops::scale_by_temperature(x, 4, positions, 0.5f, 8));
}

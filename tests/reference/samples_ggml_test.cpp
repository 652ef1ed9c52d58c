// The generator's files as ggml reads them: the same tensors at the same offsets and sizes, F16 and BF16
// bytes identical to ggml's own converters, every type decoding (with ggml's to_float) to the seeded
// F32 weights within quantization error, and gguf_dequant's decoding of the same bytes bit-identical.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <span>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/dequant.hpp"
#include "gguf/samples/generator.hpp"
#include "reference/ggml_reference.hpp"
#include "support/command.hpp"
#include "support/temp_dir.hpp"

using namespace gguf;

namespace {

std::vector<float> f32_of(const Container& m, const std::string& name) {
    const TensorInfo* t = m.find_tensor(name);
    REQUIRE(t != nullptr);
    REQUIRE(t->type == 0);
    auto view = m.view(*t);
    REQUIRE(view.ok());
    std::vector<float> v(t->n_elements());
    std::memcpy(v.data(), view->bytes.data(), v.size() * 4);
    return v;
}

// Relative RMSE that a type's bits allow on the generator's Gaussian weights: 4 bits and more 0.15;
// the 3, 2 and 1.6-bit code books and the ternary types (whose zero takes every value under half the
// block maximum) much more.
double relative_error_bound(std::uint32_t type) {
    switch (static_cast<TypeId>(type)) {
        case TypeId::IQ3_XXS: case TypeId::IQ3_S: return 0.3;
        case TypeId::IQ2_XXS: case TypeId::IQ2_XS: case TypeId::IQ2_S: return 0.45;
        case TypeId::IQ1_S: case TypeId::IQ1_M: return 0.7;
        case TypeId::TQ1_0: case TypeId::TQ2_0: return 0.9;  // ggml's own rounding gives 0.82
        default: return 0.15;
    }
}

}  // namespace

TEST_CASE("ggml reads every tiny preset in every type mix as the generator planned it") {
    test::TempDir dir;
    for (std::string preset : {"tiny-llama", "tiny-qwen2", "tiny-qwen3"}) {
        const samples::ModelConfig exact = samples::preset(preset).value();
        REQUIRE(samples::write_model(exact, dir / "f32.gguf").ok());
        auto reference = gguf::open(dir / "f32.gguf");
        REQUIRE(reference.ok());
        for (auto mix : samples::mix_names()) {
            CAPTURE(preset);
            CAPTURE(mix);
            samples::ModelConfig c = exact;
            REQUIRE(samples::apply_mix(c, mix).ok());
            const auto path = dir / "m.gguf";
            REQUIRE(samples::write_model(c, path).ok());
            const auto plan = samples::plan_tensors(c).value();
            const auto bytes = test::read_file(path);

            gguf_context* ctx = gguf_init_from_file(path.c_str(), {true, nullptr});
            REQUIRE(ctx != nullptr);
            REQUIRE(gguf_get_n_tensors(ctx) == static_cast<std::int64_t>(plan.size()));
            const std::size_t data = gguf_get_data_offset(ctx);
            for (std::int64_t i = 0; i < gguf_get_n_tensors(ctx); ++i) {
                const auto& want = plan[static_cast<std::size_t>(i)];
                CAPTURE(want.name);
                REQUIRE(want.name == gguf_get_tensor_name(ctx, i));
                REQUIRE(gguf_get_tensor_type(ctx, i) == static_cast<int>(want.type));
                const std::size_t size = gguf_get_tensor_size(ctx, i);
                const std::size_t at = data + gguf_get_tensor_offset(ctx, i);
                REQUIRE(at + size <= bytes.size());

                const std::vector<float> source = f32_of(*reference, want.name);
                const auto* traits = ggml_get_type_traits(static_cast<int>(want.type));
                std::vector<float> decoded(source.size());
                if (want.type == 0) {  // ggml has no to_float for F32: the bytes are the values
                    REQUIRE(size == decoded.size() * 4);
                    std::memcpy(decoded.data(), bytes.data() + at, size);
                } else {
                    REQUIRE(static_cast<bool>(traits->to_float));
                    traits->to_float(bytes.data() + at, decoded.data(), static_cast<std::int64_t>(decoded.size()));
                }
                if (want.type != 0) {
                    // gguf_dequant reads the generator's bytes exactly as ggml does, bit for bit (every
                    // mix: the code-book and ternary types, quantized without an importance matrix, too).
                    std::vector<float> ours(decoded.size());
                    REQUIRE(dequant::is_supported(want.type));
                    dequant::decode_blocks(want.type, std::as_bytes(std::span(bytes.data() + at, size)), ByteOrder::little, ours);
                    CHECK(std::memcmp(ours.data(), decoded.data(), ours.size() * sizeof(float)) == 0);
                }
                if (want.type == 1 || want.type == 30) {  // F16, BF16: exactly ggml's rounding
                    std::vector<char> ggml(size);
                    traits->from_float_ref(source.data(), ggml.data(), static_cast<std::int64_t>(source.size()));
                    CHECK(std::memcmp(ggml.data(), bytes.data() + at, size) == 0);
                } else if (want.type == 0) {
                    CHECK(decoded == source);
                }
                double err = 0, norm = 0;
                for (std::size_t k = 0; k < source.size(); ++k) {
                    err += (decoded[k] - source[k]) * (decoded[k] - source[k]);
                    norm += double{source[k]} * source[k];
                }
                CHECK(std::sqrt(err / norm) < relative_error_bound(want.type));
            }
            gguf_free(ctx);
        }
    }
}

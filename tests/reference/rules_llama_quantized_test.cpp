// No false alarms on files quantized by llama.cpp itself: the value rules (block scales, code usage of
// quantized blocks, float-format profiles, norms) must accept every quantization type llama.cpp
// writes, on sample models with realistic norms. A rule that only agrees with our own quantizers would
// cry wolf on every real file.
#include <doctest/doctest.h>

#include <string>

#include "gguf/container.hpp"
#include "gguf/rules/check.hpp"
#include "gguf/samples/generator.hpp"
#include "reference/ggml_reference.hpp"
#include "reference/llama_quantize.hpp"
#include "support/temp_dir.hpp"

using namespace gguf;

namespace {


std::string warnings_and_errors(const std::filesystem::path& file) {
    auto model = gguf::open(file);
    REQUIRE(model.ok());
    std::string out;
    for (const auto& f : rules::check(*model).findings)
        if (f.severity >= Severity::warning) out += f.code + " " + f.subject + ": " + f.message + "\n";
    return out;
}

}  // namespace

TEST_CASE("files quantized by llama.cpp raise no warning and no error") {
    llama_backend_init();
    test::TempDir dir;
    struct Type {
        const char* name;
        int32_t ftype;
    };
    const Type types[] = {
        {"F16", reference_ftype::mostly_f16},       {"BF16", reference_ftype::mostly_bf16},
        {"Q8_0", reference_ftype::mostly_q8_0},     {"Q4_0", reference_ftype::mostly_q4_0},
        {"Q4_1", reference_ftype::mostly_q4_1},     {"Q5_0", reference_ftype::mostly_q5_0},
        {"Q5_1", reference_ftype::mostly_q5_1},     {"Q2_K", reference_ftype::mostly_q2_k},
        {"Q3_K_M", reference_ftype::mostly_q3_k_m}, {"Q4_K_M", reference_ftype::mostly_q4_k_m},
        {"Q5_K_M", reference_ftype::mostly_q5_k_m}, {"Q6_K", reference_ftype::mostly_q6_k},
        {"IQ4_NL", reference_ftype::mostly_iq4_nl},
        // the code-book and ternary mixes llama.cpp writes without an importance matrix (its IQ3_XXS mix
        // puts attn_k in IQ2_S, which needs one)
        {"IQ3_S", reference_ftype::mostly_iq3_s}, {"TQ1_0", reference_ftype::mostly_tq1_0},
        {"TQ2_0", reference_ftype::mostly_tq2_0},
    };
    for (const char* preset : {"tiny-llama", "tiny-qwen2"}) {
        auto config = samples::preset(preset);
        REQUIRE(config.ok());
        config->n_layer = 4;
        const auto source = dir / (std::string(preset) + "-f32.gguf");
        REQUIRE(samples::write_model(*config, source).ok());
        CHECK_MESSAGE(warnings_and_errors(source).empty(), preset << " F32\n" << warnings_and_errors(source));
        for (const Type& t : types) {
            const auto out = dir / (std::string(preset) + "-" + t.name + ".gguf");
            test::llama_quantize(source, out, t.ftype);
            const std::string found = warnings_and_errors(out);
            CHECK_MESSAGE(found.empty(), preset << " " << t.name << "\n" << found);
        }
    }
}

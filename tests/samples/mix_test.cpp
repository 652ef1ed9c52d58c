// Type mixes choose per tensor what llama.cpp's quantizer would (llama-quant.cpp): Q6_K for the output
// and tied embeddings, more bits for attn_v / ffn_down in the layers use_more_bits() picks, and the
// 32-block fallbacks for rows that 256-value blocks do not divide.
#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <set>

#include "gguf/container.hpp"
#include "gguf/dequant.hpp"
#include "gguf/samples/generator.hpp"
#include "support/temp_dir.hpp"

using namespace gguf;
using namespace gguf::samples;

namespace {

std::map<std::string, std::string> types_after(std::string_view model, std::string_view mix) {
    ModelConfig c = preset(model).value();
    REQUIRE(apply_mix(c, mix).ok());
    auto plan = plan_tensors(c);
    REQUIRE(plan.ok());
    std::map<std::string, std::string> out;
    for (const auto& t : *plan) out[t.name] = std::string(find_type(t.type)->name);
    return out;
}

}  // namespace

TEST_CASE("q4_k_m on TinyLlama: Q6_K output, Q6_K attn_v/ffn_down in the use_more_bits layers") {
    const auto t = types_after("tinyllama-1.1b", "q4_k_m");
    CHECK(t.at("output.weight") == "Q6_K");
    CHECK(t.at("token_embd.weight") == "Q4_K");  // untied: the default type
    CHECK(t.at("output_norm.weight") == "F32");
    // use_more_bits(i, 22): i < 2, i >= 19, or (i - 2) % 3 == 2, worked out by hand.
    const std::set<int> more{0, 1, 4, 7, 10, 13, 16, 19, 20, 21};
    for (int i = 0; i < 22; ++i) {
        CAPTURE(i);
        const std::string blk = "blk." + std::to_string(i) + ".";
        const char* want = more.count(i) ? "Q6_K" : "Q4_K";
        CHECK(t.at(blk + "attn_v.weight") == want);
        CHECK(t.at(blk + "ffn_down.weight") == want);
        CHECK(t.at(blk + "attn_q.weight") == "Q4_K");
        CHECK(t.at(blk + "ffn_up.weight") == "Q4_K");
        CHECK(t.at(blk + "attn_norm.weight") == "F32");
    }
}

TEST_CASE("q4_k_m on Qwen2.5-0.5B falls back where 896-wide rows do not fit 256-value blocks") {
    const auto t = types_after("qwen2.5-0.5b", "q4_k_m");
    CHECK(t.at("token_embd.weight") == "Q8_0");  // tied: the output's Q6_K, which falls back to Q8_0
    CHECK(t.at("blk.5.attn_q.weight") == "Q5_0");
    CHECK(t.at("blk.5.ffn_gate.weight") == "Q5_0");
    CHECK(t.at("blk.0.attn_v.weight") == "Q8_0");   // Q6_K (more bits) -> Q8_0
    CHECK(t.at("blk.0.ffn_down.weight") == "Q6_K");  // 4864 = 19 * 256 rows: no fallback
    CHECK(t.at("blk.4.ffn_down.weight") == "Q4_K");
    CHECK(t.at("blk.5.attn_q.bias") == "F32");
}

TEST_CASE("pure mixes and their general.file_type") {
    ModelConfig c = preset("tiny-qwen2").value();
    REQUIRE(apply_mix(c, "q8_0").ok());
    CHECK(c.file_type == 7);
    const auto plan = plan_tensors(c).value();
    for (const auto& t : plan)
        CHECK(find_type(t.type)->name == (t.ne.size() == 1 ? "F32" : "Q8_0"));
    REQUIRE(apply_mix(c, "f16").ok());
    CHECK(c.file_type == 1);
    CHECK(c.types.per_tensor.empty());
    const auto q40 = types_after("tiny-llama", "q4_0");
    CHECK(q40.at("output.weight") == "Q6_K");
    CHECK(q40.at("blk.1.ffn_down.weight") == "Q4_0");
    CHECK_FALSE(apply_mix(c, "q3_x").ok());
}

TEST_CASE("quantized mixes are written with gguf_dequant's quantizers and decode close to the F32 weights") {
    gguf::test::TempDir dir;
    const std::pair<const char*, const char*> cases[] = {
        {"tiny-qwen2", "q8_0"}, {"tiny-qwen2", "q4_k_m"}, {"tiny-llama", "q4_0"}, {"tiny-llama", "q6_k"}, {"tiny-qwen3", "q5_k_m"}};
    for (const auto& [model, mix] : cases) {
        {
            const auto& model_name = model;  // a lambda cannot capture a structured binding before clang 16
            const auto& mix_name = mix;
            CAPTURE(model_name);
            CAPTURE(mix_name);
            ModelConfig exact = preset(model).value();
            ModelConfig c = exact;
            REQUIRE(apply_mix(c, mix).ok());
            REQUIRE(write_model(exact, dir / "f32.gguf").ok());
            REQUIRE(write_model(c, dir / "q.gguf").ok());
            auto a = gguf::open(dir / "f32.gguf"), q = gguf::open(dir / "q.gguf");
            REQUIRE((a.ok() && q.ok()));
            const auto plan = plan_tensors(c).value();
            REQUIRE(q->tensors().size() == plan.size());
            for (std::size_t i = 0; i < plan.size(); ++i) {
                const auto& t = q->tensors()[i];
                CAPTURE(t.name);
                CHECK(t.type == plan[i].type);
                auto ref = gguf::dequant::to_float(*a->view(*a->find_tensor(t.name)));
                auto got = gguf::dequant::to_float(*q->view(t));
                REQUIRE((ref.ok() && got.ok()));
                double err = 0, norm = 0;
                for (std::size_t k = 0; k < ref->size(); ++k) {
                    err += ((*got)[k] - (*ref)[k]) * ((*got)[k] - (*ref)[k]);
                    norm += (*ref)[k] * (*ref)[k];
                }
                // 4-bit blocks of Gaussian data keep the error near 10% of the signal; 8-bit near 0.5%.
                CHECK(std::sqrt(err / norm) < 0.15);
            }
        }
    }
}

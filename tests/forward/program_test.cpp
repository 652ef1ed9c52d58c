// The programs the architecture builders produce: the trace points of docs/trace.md in their order, the
// tensors llama.cpp's graph of each architecture reads, and the sizes the executors allocate from.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <variant>
#include <vector>

#include "fixtures.hpp"
#include "gguf/dequant.hpp"
#include "gguf/forward/program.hpp"
#include "gguf/model/spec.hpp"

using namespace gguf;

namespace {

std::vector<std::string> record_names(const std::vector<forward::Op>& ops) {
    std::vector<std::string> names;
    for (const forward::Op& op : ops)
        if (const auto* r = std::get_if<forward::Record>(&op)) names.push_back(r->name);
    return names;
}

std::vector<std::string> matrix_names(const forward::WeightSet& set) {
    std::vector<std::string> names;
    for (const auto& m : set.matrices) names.push_back(m.name());
    return names;
}

std::vector<std::string> vector_names(const forward::WeightSet& set) {
    std::vector<std::string> names;
    for (const auto& v : set.vectors) names.push_back(v.name);
    return names;
}

struct Described {
    Container model;
    model::ModelSpec spec;
    forward::Architecture arch;
};

Described describe(const std::filesystem::path& path) {
    Container model = test::open_model(path);
    auto spec = model::read_spec(model);
    REQUIRE(spec.ok());
    auto arch = forward::describe_architecture(model, *spec);
    REQUIRE_MESSAGE(arch.ok(), (arch.ok() ? std::string() : arch.error().describe()));
    return {std::move(model), std::move(*spec), std::move(*arch)};
}

}  // namespace

TEST_CASE("the llama family's programs record docs/trace.md's points in its order") {
    const test::TempDir dir;
    // docs/trace.md, "Records": per layer exactly this order.
    const std::vector<std::string> layer{"attn_norm", "q_proj", "k_proj", "q", "k", "v", "attn", "attn_out",
                                         "attn_residual", "ffn_norm", "gate", "up", "ffn_act", "down", "ffn_residual"};
    for (const char* preset : {"tiny-llama", "tiny-qwen2", "tiny-qwen3", "tiny-granite", "tiny-phi3", "tiny-mistral3"}) {
        CAPTURE(preset);
        const Described d = describe(test::write_preset(dir, preset, "q8_0"));
        const forward::Program& p = d.arch.program;
        // granite's scaled embeddings add a record (docs/trace.md).
        const bool scaled = std::string(preset) == "tiny-granite";
        CHECK(record_names(p.input) == (scaled ? std::vector<std::string>{"embedding", "embedding_scaled"}
                                               : std::vector<std::string>{"embedding"}));
        REQUIRE(p.layers.size() == d.spec.n_layer);
        for (const auto& l : p.layers) CHECK(record_names(l.ops) == layer);
        CHECK(record_names(p.output) == std::vector<std::string>{"output_norm", "logits"});
    }
}

TEST_CASE("the binding holds the tensors the architecture's llama.cpp graph reads") {
    const test::TempDir dir;
    const std::vector<std::string> matrices{"blk.1.attn_q.weight",   "blk.1.attn_k.weight",   "blk.1.attn_v.weight",
                                            "blk.1.attn_output.weight", "blk.1.ffn_gate.weight", "blk.1.ffn_up.weight",
                                            "blk.1.ffn_down.weight"};
    SUBCASE("qwen2: q/k/v biases") {
        const Described d = describe(test::write_preset(dir, "tiny-qwen2", "f32"));
        CHECK(matrix_names(d.arch.weights.layers[1]) == matrices);
        CHECK(vector_names(d.arch.weights.layers[1]) ==
              std::vector<std::string>{"blk.1.attn_norm.weight", "blk.1.attn_q.bias", "blk.1.attn_k.bias",
                                       "blk.1.attn_v.bias", "blk.1.ffn_norm.weight"});
    }
    SUBCASE("qwen3: per-head q and k norms") {
        const Described d = describe(test::write_preset(dir, "tiny-qwen3", "f32"));
        CHECK(matrix_names(d.arch.weights.layers[1]) == matrices);
        CHECK(vector_names(d.arch.weights.layers[1]) ==
              std::vector<std::string>{"blk.1.attn_norm.weight", "blk.1.attn_q_norm.weight", "blk.1.attn_k_norm.weight",
                                       "blk.1.ffn_norm.weight"});
        const auto& q_norm = d.arch.weights.layers[1].vectors[1];
        CHECK(q_norm.values.size() == d.spec.head_dim);
    }
    SUBCASE("a tied lm_head multiplies by the embedding") {
        const Described d = describe(test::write_preset(dir, "tiny-qwen2", "f32"));
        REQUIRE(d.spec.tied_output);
        CHECK(matrix_names(d.arch.weights.globals) == std::vector<std::string>{"token_embd.weight"});
        const auto* head = std::get_if<forward::Linear>(&d.arch.program.output[2]);
        REQUIRE(head != nullptr);
        CHECK(head->matrix == 0);
        CHECK(head->out == forward::Slot::logits);
    }
}

TEST_CASE("slot widths and KV cache widths come from the spec") {
    const test::TempDir dir;
    const Described d = describe(test::write_preset(dir, "tiny-qwen3", "f32"));
    const model::ModelSpec& s = d.spec;
    const forward::Program& p = d.arch.program;
    CHECK(p.width(forward::Slot::x) == s.n_embd);
    CHECK(p.width(forward::Slot::xn) == s.n_embd);
    CHECK(p.width(forward::Slot::q) == s.n_head * s.head_dim);
    CHECK(p.width(forward::Slot::k) == s.n_head_kv * s.head_dim);
    CHECK(p.width(forward::Slot::v) == s.n_head_kv * s.head_dim_v);
    CHECK(p.width(forward::Slot::att) == s.n_head * s.head_dim_v);
    CHECK(p.width(forward::Slot::gate) == s.n_ff);
    CHECK(p.width(forward::Slot::up) == s.n_ff);
    CHECK(p.width(forward::Slot::logits) == d.arch.weights.n_vocab);
    for (const auto& l : p.layers) {
        CHECK(l.k_width == s.n_head_kv * s.head_dim);
        CHECK(l.v_width == s.n_head_kv * s.head_dim_v);
    }
    REQUIRE(p.ropes.size() == 1);
    CHECK(p.ropes[0].n_rot == s.rope.n_rot);
    CHECK(p.ropes[0].neox);
}

TEST_CASE("every architecture with a builder is one the spec reader models") {
    for (const std::string& arch : forward::forward_architectures()) {
        CAPTURE(arch);
        const auto& modelled = model::modelled_architectures();
        CHECK(std::find(modelled.begin(), modelled.end(), arch) != modelled.end());
    }
}

TEST_CASE("gemma3's program: scaled embedding, post-norms, GELU, sliding layers with their own RoPE table") {
    const test::TempDir dir;
    const Described d = describe(test::write_preset(dir, "tiny-gemma3", "f32"));
    const forward::Program& p = d.arch.program;
    CHECK(record_names(p.input) == std::vector<std::string>{"embedding", "embedding_scaled"});
    const std::vector<std::string> layer{"attn_norm", "q_proj", "k_proj", "q", "k", "v", "attn", "attn_out",
                                         "attn_post_norm", "attn_residual", "ffn_norm", "gate", "up", "ffn_act",
                                         "down", "ffn_post_norm", "ffn_residual"};
    for (const auto& l : p.layers) CHECK(record_names(l.ops) == layer);
    CHECK(record_names(p.output) == std::vector<std::string>{"output_norm", "logits"});

    const auto* scale = std::get_if<forward::Scale>(&p.input[2]);
    REQUIRE(scale != nullptr);
    CHECK(scale->factor == doctest::Approx(16.0));  // sqrt(n_embd = 256)

    // The preset (samples/generator/src/presets.cpp): window 4, block 0 slides, block 1 is global.
    REQUIRE(p.ropes.size() == 2);
    CHECK(p.ropes[0].freq_base == doctest::Approx(d.spec.rope.freq_base));
    CHECK(p.ropes[1].freq_base == doctest::Approx(d.spec.rope_freq_base_swa));
    for (std::size_t il = 0; il < p.layers.size(); ++il) {
        CAPTURE(il);
        for (const auto& op : p.layers[il].ops) {
            if (const auto* a = std::get_if<forward::Attention>(&op)) {
                CHECK(a->window == (d.spec.is_sliding(il) ? d.spec.sliding_window : 0));
                CHECK(a->scale == 1.0f);
            }
            if (const auto* r = std::get_if<forward::Rope>(&op)) CHECK(r->table == (d.spec.is_sliding(il) ? 1 : 0));
        }
    }
    CHECK(d.spec.is_sliding(0));
    CHECK_FALSE(d.spec.is_sliding(1));
    CHECK(d.spec.sliding_window == 4);
    const std::vector<std::string> norms{"blk.0.attn_norm.weight", "blk.0.attn_q_norm.weight", "blk.0.attn_k_norm.weight",
                                         "blk.0.post_attention_norm.weight", "blk.0.ffn_norm.weight", "blk.0.post_ffw_norm.weight"};
    CHECK(vector_names(d.arch.weights.layers[0]) == norms);
}

TEST_CASE("gemma2's program: gemma3's block without q/k norms, soft-capped scores and logits") {
    const test::TempDir dir;
    const Described d = describe(test::write_preset(dir, "tiny-gemma2", "f32"));
    const forward::Program& p = d.arch.program;
    // The preset (samples/generator/src/presets.cpp): caps 50 and 30, window 4, block 0 slides.
    REQUIRE(d.spec.attn_logit_softcapping == doctest::Approx(50.0));
    for (std::size_t il = 0; il < p.layers.size(); ++il) {
        CAPTURE(il);
        const auto attention = std::find_if(p.layers[il].ops.begin(), p.layers[il].ops.end(),
                                            [](const forward::Op& op) { return std::holds_alternative<forward::Attention>(op); });
        REQUIRE(attention != p.layers[il].ops.end());
        const auto& a = std::get<forward::Attention>(*attention);
        CHECK(a.softcap == 50.0f);
        CHECK(a.window == (il == 0 ? 4u : 0u));
    }
    CHECK(vector_names(d.arch.weights.layers[0]) ==
          std::vector<std::string>{"blk.0.attn_norm.weight", "blk.0.post_attention_norm.weight", "blk.0.ffn_norm.weight",
                                   "blk.0.post_ffw_norm.weight"});
    const auto* cap = std::get_if<forward::SoftCap>(&p.output[p.output.size() - 2]);
    REQUIRE(cap != nullptr);
    CHECK(cap->cap == 30.0f);
    CHECK(record_names(p.output) == std::vector<std::string>{"output_norm", "logits"});
}

TEST_CASE("olmo2's program: no pre-norms, q/k norms over the whole projection, post-norms") {
    const test::TempDir dir;
    const Described d = describe(test::write_preset(dir, "tiny-olmo2", "f32"));
    const forward::Program& p = d.arch.program;
    const std::vector<std::string> layer{"q_proj", "k_proj", "q", "k", "v", "attn", "attn_out", "attn_post_norm",
                                         "attn_residual", "gate", "up", "ffn_act", "down", "ffn_post_norm", "ffn_residual"};
    for (const auto& l : p.layers) CHECK(record_names(l.ops) == layer);
    CHECK(vector_names(d.arch.weights.layers[1]) ==
          std::vector<std::string>{"blk.1.attn_q_norm.weight", "blk.1.attn_k_norm.weight",
                                   "blk.1.post_attention_norm.weight", "blk.1.post_ffw_norm.weight"});
    // The q norm spans all heads: one group of n_head * head_dim values.
    const auto* q_norm = std::get_if<forward::RmsNorm>(&p.layers[0].ops[3]);
    REQUIRE(q_norm != nullptr);
    CHECK(q_norm->group == d.spec.n_head * d.spec.head_dim);
    CHECK(q_norm->in == forward::Slot::q);
    const auto* first = std::get_if<forward::Linear>(&p.layers[0].ops[0]);
    REQUIRE(first != nullptr);
    CHECK(first->in == forward::Slot::x);  // the stream itself, no attn_norm
    CHECK(matrix_names(d.arch.weights.globals) == std::vector<std::string>{"token_embd.weight", "output.weight"});
}

TEST_CASE("granite's program: the four multipliers of the file") {
    const test::TempDir dir;
    const Described d = describe(test::write_preset(dir, "tiny-granite", "f32"));
    const forward::Program& p = d.arch.program;
    // The preset (samples/generator/src/presets.cpp): embedding 12, residual 0.22, attention 1/64, logits / 8.
    CHECK(record_names(p.input) == std::vector<std::string>{"embedding", "embedding_scaled"});
    const auto* embedding = std::get_if<forward::Scale>(&p.input[2]);
    REQUIRE(embedding != nullptr);
    CHECK(embedding->factor == 12.0f);
    for (const auto& l : p.layers) {
        std::vector<float> scales;
        for (const auto& op : l.ops) {
            if (const auto* s = std::get_if<forward::Scale>(&op)) scales.push_back(s->factor);
            if (const auto* a = std::get_if<forward::Attention>(&op)) CHECK(a->scale == 0.015625f);
        }
        CHECK(scales == std::vector<float>{0.22f, 0.22f});  // before each residual add
    }
    const auto* logits = std::get_if<forward::Scale>(&p.output[p.output.size() - 2]);
    REQUIRE(logits != nullptr);
    CHECK(logits->factor == 0.125f);
}

TEST_CASE("phi3's program: q, k, v and gate, up are row blocks of the fused tensors; LongRoPE's short factors") {
    const test::TempDir dir;
    const Described d = describe(test::write_preset(dir, "tiny-phi3", "q8_0"));
    const forward::Program& p = d.arch.program;
    const std::vector<std::string> layer{"attn_norm", "q_proj", "k_proj", "q", "k", "v", "attn", "attn_out",
                                         "attn_residual", "ffn_norm", "gate", "up", "ffn_act", "down", "ffn_residual"};
    for (const auto& l : p.layers) CHECK(record_names(l.ops) == layer);
    const model::ModelSpec& s = d.spec;
    const std::uint64_t n_q = s.n_head * s.head_dim, n_k = s.n_head_kv * s.head_dim, n_ff = s.n_ff;
    CHECK(s.fused_qkv);

    // Each block decodes to the same values as those rows of the whole fused tensor.
    const auto rows_of = [&](const std::string& name, std::uint64_t first, std::uint64_t count) {
        auto view = d.model.view(*d.model.find_tensor(name));
        REQUIRE(view.ok());
        auto all = dequant::to_float(*view, 1);
        REQUIRE(all.ok());
        const std::uint64_t n_in = view->info->ne[0];
        return std::vector<float>(all->begin() + static_cast<std::ptrdiff_t>(first * n_in),
                                  all->begin() + static_cast<std::ptrdiff_t>((first + count) * n_in));
    };
    const auto decoded = [](const forward::BoundMatrix& m) {
        auto v = dequant::to_float(m.view, 1);
        REQUIRE(v.ok());
        return *v;
    };
    const auto& m = d.arch.weights.layers[0].matrices;
    REQUIRE(m.size() == 7);  // q, k, v, attn_output, gate, up, down
    const struct {
        std::size_t index;
        const char* tensor;
        std::uint64_t first, count;
    } blocks[] = {{0, "blk.0.attn_qkv.weight", 0, n_q},          {1, "blk.0.attn_qkv.weight", n_q, n_k},
                  {2, "blk.0.attn_qkv.weight", n_q + n_k, n_k},  {4, "blk.0.ffn_up.weight", 0, n_ff},
                  {5, "blk.0.ffn_up.weight", n_ff, n_ff}};
    for (const auto& b : blocks) {
        CAPTURE(b.index);
        CHECK(m[b.index].n_out == b.count);
        CHECK(m[b.index].n_in == s.n_embd);
        CHECK(decoded(m[b.index]) == rows_of(b.tensor, b.first, b.count));
    }

    // Queries scaled by 1/sqrt(head_dim), scores by 1.
    for (const auto& op : p.layers[0].ops) {
        if (const auto* scale = std::get_if<forward::Scale>(&op)) CHECK(scale->factor == doctest::Approx(1.0 / std::sqrt(32.0)));
        if (const auto* a = std::get_if<forward::Attention>(&op)) CHECK(a->scale == 1.0f);
    }
    // The test contexts stay within the original context, so RoPE divides by the short factors.
    REQUIRE(p.ropes.size() == 1);
    CHECK(p.ropes[0].neox);
    CHECK(p.ropes[0].attn_factor == 1.19f);
    CHECK(p.ropes[0].freq_factors == rows_of("rope_factors_short.weight", 0, 1));
}

TEST_CASE("mistral3's program: llama's block with the query temperature after RoPE") {
    const test::TempDir dir;
    const Described d = describe(test::write_preset(dir, "tiny-mistral3", "f32"));
    const forward::Program& p = d.arch.program;
    // The preset: YaRN x4 over 8 positions with log multiplier 1, temperature 0.1 in steps of 8.
    CHECK(d.spec.attn_temperature_interval == 8);
    for (const auto& l : p.layers) {
        const auto temperature = std::find_if(l.ops.begin(), l.ops.end(), [](const forward::Op& op) {
            return std::holds_alternative<forward::Temperature>(op);
        });
        REQUIRE(temperature != l.ops.end());
        CHECK(std::get<forward::Temperature>(*temperature).scale == 0.1f);
        CHECK(std::holds_alternative<forward::Attention>(*(temperature + 1)));
    }
    CHECK(p.ropes[0].ext_factor == 1.0f);
    CHECK(p.ropes[0].freq_scale == 0.25f);
    // With log multiplier 1 the magnitude is 1 / (1 + 0.1 ln 4), which ggml's rope multiplies back in.
    CHECK(p.ropes[0].attn_factor == doctest::Approx(1.0 / (1.0 + 0.1 * std::log(4.0))));
}

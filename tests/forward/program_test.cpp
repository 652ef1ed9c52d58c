// The programs the architecture builders produce: the trace points of docs/trace.md in their order, the
// tensors llama.cpp's graph of each architecture reads, and the sizes the executors allocate from.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <variant>
#include <vector>

#include "fixtures.hpp"
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
    for (const char* preset : {"tiny-llama", "tiny-qwen2", "tiny-qwen3"}) {
        CAPTURE(preset);
        const Described d = describe(test::write_preset(dir, preset, "q8_0"));
        const forward::Program& p = d.arch.program;
        CHECK(record_names(p.input) == std::vector<std::string>{"embedding"});
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

// The preset (samples/generator/src/presets.cpp): blocks 0 and 2 slide (head 64), 1 and 3 are global
// (head 128, a quarter rotated); 2 and 3 read the caches of 0 and 1; per-layer inputs of 64 values.
TEST_CASE("gemma4's program: per-layer inputs, shared-KV blocks, head sizes and RoPE tables by layer kind") {
    const test::TempDir dir;
    const Described d = describe(test::write_preset(dir, "tiny-gemma4", "f32"));
    const forward::Program& p = d.arch.program;
    CHECK(record_names(p.input) == std::vector<std::string>{"embedding", "embedding_scaled", "per_layer_inputs"});
    const std::vector<std::string> tail{"attn", "attn_out", "attn_post_norm", "attn_residual", "ffn_norm", "gate", "up",
                                        "ffn_act", "down", "ffn_post_norm", "ffn_residual", "per_layer_gate",
                                        "per_layer_out", "per_layer_residual", "layer_out_scaled"};
    std::vector<std::string> own{"attn_norm", "q_proj", "q", "k_proj", "k", "v"}, shared{"attn_norm", "q_proj", "q"};
    own.insert(own.end(), tail.begin(), tail.end());
    shared.insert(shared.end(), tail.begin(), tail.end());
    REQUIRE(p.layers.size() == 4);
    CHECK(matrix_names(d.arch.weights.globals) ==
          std::vector<std::string>{"token_embd.weight", "per_layer_token_embd.weight", "per_layer_model_proj.weight"});

    // Global RoPE: rope_freqs' factors, 1 for the 16 rotated pairs and 1e30 for the other 48.
    REQUIRE(p.ropes.size() == 2);
    REQUIRE(p.ropes[0].freq_factors.size() == 64);
    CHECK(p.ropes[0].freq_factors[15] == 1.0f);
    CHECK(p.ropes[0].freq_factors[16] == 1e30f);
    CHECK(p.ropes[0].n_rot == 128);
    CHECK(p.ropes[1].n_rot == 64);
    CHECK(p.ropes[1].freq_factors.empty());
    CHECK(p.ropes[1].freq_base == doctest::Approx(10000.0));

    for (std::size_t il = 0; il < 4; ++il) {
        CAPTURE(il);
        const forward::LayerProgram& l = p.layers[il];
        const bool sliding = il % 2 == 0, own_kv = il < 2;
        const std::uint64_t head = sliding ? 64 : 128;
        CHECK(record_names(l.ops) == (own_kv ? own : shared));
        CHECK(l.k_width == (own_kv ? head : 0));  // one KV head
        CHECK(l.v_width == (own_kv ? head : 0));
        int attentions = 0;
        for (const auto& op : l.ops) {
            if (const auto* a = std::get_if<forward::Attention>(&op)) {
                ++attentions;
                CHECK(a->scale == 1.0f);
                CHECK(a->shape.head_dim == head);
                CHECK(a->window == (sliding ? 4u : 0u));
                CHECK(a->kv_layer == (own_kv ? -1 : static_cast<std::int32_t>(il - 2)));
            }
            if (const auto* r = std::get_if<forward::Rope>(&op)) CHECK(r->table == (sliding ? 1 : 0));
            if (const auto* s = std::get_if<forward::Slice>(&op)) {
                CHECK(s->offset == il * 64);
                CHECK(s->width == 64);
                CHECK(s->in_width == 4 * 64);
            }
        }
        CHECK(attentions == 1);
    }
    CHECK(p.width(forward::Slot::per_layer) == 4 * 64);
}

// docs/trace.md's qwen35 records; the preset (samples/generator/src/presets.cpp) has delta-net blocks 0
// and 1 and a full-attention block 2.
TEST_CASE("qwen35's program: delta-net blocks with recurrent state, gated attention with sectioned RoPE") {
    const test::TempDir dir;
    const Described d = describe(test::write_preset(dir, "tiny-qwen35", "q8_0"));
    const model::ModelSpec& s = d.spec;
    const forward::Program& p = d.arch.program;
    const std::vector<std::string> ffn{"attn_residual", "ffn_norm", "gate", "up", "ffn_act", "down", "ffn_residual"};
    std::vector<std::string> delta{"attn_norm", "ssm_qkv", "ssm_z", "ssm_beta", "ssm_alpha", "ssm_conv", "ssm_delta",
                                   "ssm_gated_norm", "attn_out"};
    std::vector<std::string> attention{"attn_norm", "q_proj", "attn_gate", "k_proj", "q", "k", "v", "attn", "attn_gated",
                                       "attn_out"};
    delta.insert(delta.end(), ffn.begin(), ffn.end());
    attention.insert(attention.end(), ffn.begin(), ffn.end());
    CHECK(record_names(p.input) == std::vector<std::string>{"embedding"});
    CHECK(record_names(p.output) == std::vector<std::string>{"output_norm", "logits"});
    REQUIRE(p.layers.size() == 3);
    const std::uint64_t d_state = s.ssm.d_state, channels = 2 * 2 * d_state + 4 * d_state;  // 2 q/k heads, 4 v heads
    for (std::size_t il : {0, 1}) {
        CAPTURE(il);
        const forward::LayerProgram& l = p.layers[il];
        CHECK(record_names(l.ops) == delta);
        CHECK(l.k_width == 0);
        CHECK(l.v_width == 0);
        CHECK(l.conv_state == channels * (s.ssm.d_conv - 1));
        CHECK(l.delta_state == 4 * d_state * d_state);
        const auto* net = std::get_if<forward::DeltaNet>(&l.ops[12]);
        REQUIRE(net != nullptr);
        CHECK(net->shape.n_k_heads == 2);
        CHECK(net->shape.n_v_heads == 4);
        CHECK(net->shape.head_dim == d_state);
    }
    const forward::LayerProgram& full = p.layers[2];
    CHECK(record_names(full.ops) == attention);
    CHECK(full.k_width == s.n_head_kv * s.head_dim);
    CHECK(full.conv_state == 0);
    CHECK(full.delta_state == 0);
    int ropes = 0;
    for (const auto& op : full.ops)
        if (const auto* r = std::get_if<forward::RopeMulti>(&op)) {
            ++ropes;
            CHECK(r->sections == std::array<std::uint32_t, 4>{3, 3, 2, 0});
            CHECK(r->interleaved);
            CHECK(r->head_dim == 64);
        }
    CHECK(ropes == 2);
    REQUIRE(p.ropes.size() == 1);
    CHECK(p.ropes[0].n_rot == 16);  // a quarter of each 64-value head rotates

    CHECK(matrix_names(d.arch.weights.layers[0]) ==
          std::vector<std::string>{"blk.0.attn_qkv.weight", "blk.0.attn_gate.weight", "blk.0.ssm_beta.weight",
                                   "blk.0.ssm_alpha.weight", "blk.0.ssm_out.weight", "blk.0.ffn_gate.weight",
                                   "blk.0.ffn_up.weight", "blk.0.ffn_down.weight"});
    CHECK(vector_names(d.arch.weights.layers[0]) ==
          std::vector<std::string>{"blk.0.attn_norm.weight", "blk.0.ssm_conv1d.weight", "blk.0.ssm_dt.bias", "blk.0.ssm_a",
                                   "blk.0.ssm_norm.weight", "blk.0.post_attention_norm.weight"});
    CHECK(d.arch.weights.layers[0].vectors[1].values.size() == channels * s.ssm.d_conv);  // the conv taps, decoded
    CHECK(matrix_names(d.arch.weights.layers[2]) ==
          std::vector<std::string>{"blk.2.attn_q.weight", "blk.2.attn_k.weight", "blk.2.attn_v.weight",
                                   "blk.2.attn_output.weight", "blk.2.ffn_gate.weight", "blk.2.ffn_up.weight",
                                   "blk.2.ffn_down.weight"});
    CHECK(d.arch.weights.layers[2].matrices[0].n_out == 2 * s.n_head * s.head_dim);  // query and gate halves
    CHECK(p.width(forward::Slot::fused) == 2 * s.n_head * s.head_dim);  // wider than the 256 conv channels
    CHECK(p.width(forward::Slot::conv) == channels);
    CHECK(p.width(forward::Slot::alpha) == 4);
}

TEST_CASE("qwen35: the NextN block after the main blocks is not part of the pass") {
    const test::TempDir dir;
    Writer w = test::build_preset("tiny-qwen35");
    w.set("qwen35.nextn_predict_layers", Value::u32(1));
    const auto path = dir / "nextn.gguf";
    REQUIRE(w.write(path).ok());
    const Described d = describe(path);
    REQUIRE(d.arch.program.layers.size() == 2);
    REQUIRE(d.arch.weights.layers.size() == 2);
    for (const auto& set : d.arch.weights.layers)
        for (const auto& name : matrix_names(set)) CHECK(name.rfind("blk.2.", 0) == std::string::npos);
}

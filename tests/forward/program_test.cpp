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

TEST_CASE("gemma4 with KV heads per block: each block's attention, cache and projections have its own count") {
    const test::TempDir dir;
    const Described d = describe(test::write_preset(dir, "tiny-gemma4", "f32", [](samples::ModelConfig& c) {
        c.n_head_kv = 2;
        c.n_head_kv_global = 1;
    }));
    const forward::Program& p = d.arch.program;
    REQUIRE(p.layers.size() == 4);
    for (std::size_t il = 0; il < 4; ++il) {
        CAPTURE(il);
        const bool sliding = il % 2 == 0, own_kv = il < 2;
        const std::uint64_t head = sliding ? 64 : 128, kv_heads = sliding ? 2 : 1;
        CHECK(p.layers[il].k_width == (own_kv ? kv_heads * head : 0));
        for (const auto& op : p.layers[il].ops) {
            if (const auto* a = std::get_if<forward::Attention>(&op)) {
                CHECK(a->shape.n_head == 4);
                CHECK(a->shape.n_head_kv == kv_heads);
            }
            if (const auto* r = std::get_if<forward::Rope>(&op); r && !own_kv) CHECK(r->n_heads == 4);
        }
    }
    // A shared block whose KV head count differs from its source's cache is refused.
    const test::TempDir other;
    Container model = test::open_model(test::write_preset(other, "tiny-gemma4", "f32"));
    auto spec = model::read_spec(model);
    REQUIRE(spec.ok());
    spec->n_head_kv_layers = {1, 1, 1, 2};
    spec->n_head_layers = {4, 4, 4, 4};
    auto refused = forward::describe_architecture(model, *spec);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().message.find("block 3 reads the KV cache of block 1") != std::string::npos);
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

TEST_CASE("qwen3moe's and qwen2moe's programs: routed experts bound as views, the routing recorded, qwen2moe's shared expert") {
    const test::TempDir dir;
    const std::vector<std::string> attention{"attn_norm", "q_proj", "k_proj", "q", "k", "v", "attn", "attn_out",
                                             "attn_residual", "ffn_norm", "router_logits", "moe_experts", "moe_out"};
    for (const char* preset : {"tiny-qwen3moe", "tiny-qwen2moe"}) {
        CAPTURE(preset);
        const bool qwen2 = std::string(preset) == "tiny-qwen2moe";
        const Described d = describe(test::write_preset(dir, preset, "q8_0"));
        const model::MoeSpec& moe = d.spec.moe;
        const forward::Program& p = d.arch.program;
        REQUIRE(p.layers.size() == d.spec.n_layer);
        std::vector<std::string> layer = attention;
        if (qwen2) layer.insert(layer.end(), {"shexp", "shexp_gated", "ffn_out"});
        layer.push_back("ffn_residual");
        for (const auto& l : p.layers) CHECK(record_names(l.ops) == layer);
        CHECK(p.width(forward::Slot::router) == moe.n_expert);
        CHECK(p.width(forward::Slot::routing) == 2 * moe.n_expert_used);
        CHECK(p.width(forward::Slot::shared) == (qwen2 ? d.spec.n_embd : 0));

        // Layer 1: the router, then each 3-D expert tensor as n_expert consecutive views of its rows.
        const forward::WeightSet& w = d.arch.weights.layers[1];
        const forward::MoeFfn* ffn = nullptr;
        const forward::RouteExperts* route = nullptr;
        for (const forward::Op& op : p.layers[1].ops) {
            if (const auto* m = std::get_if<forward::MoeFfn>(&op)) ffn = m;
            if (const auto* r = std::get_if<forward::RouteExperts>(&op)) route = r;
        }
        REQUIRE(ffn != nullptr);
        REQUIRE(route != nullptr);
        CHECK(route->n_expert == moe.n_expert);
        CHECK(route->params.n_expert_used == moe.n_expert_used);
        CHECK(route->params.gating == forward::ops::RouterGating::softmax);
        CHECK(route->params.normalize == !qwen2);  // fixed per architecture by llama.cpp's builders
        CHECK(ffn->n_expert == moe.n_expert);
        const std::pair<int, const char*> stacks[] = {{ffn->gate, "blk.1.ffn_gate_exps.weight"},
                                                      {ffn->up, "blk.1.ffn_up_exps.weight"},
                                                      {ffn->down, "blk.1.ffn_down_exps.weight"}};
        for (const auto& stack : stacks) {
            const int first = stack.first;
            const char* const name = stack.second;  // not a structured binding: CAPTURE's lambda takes it (clang 14)
            CAPTURE(name);
            for (std::uint64_t e = 0; e < moe.n_expert; ++e) {
                const forward::BoundMatrix& m = w.matrices[static_cast<std::size_t>(first) + e];
                CHECK(m.name() == name);
                CHECK(m.first_row == e * m.n_out);
                CHECK(m.bytes().size() == m.view.bytes.size() / moe.n_expert);
                CHECK(m.bytes().data() == m.view.bytes.data() + e * m.bytes().size());
            }
        }
        CHECK(w.matrices[static_cast<std::size_t>(ffn->gate)].n_out == moe.n_ff_exp);
        CHECK(w.matrices[static_cast<std::size_t>(ffn->down)].n_in == moe.n_ff_exp);
        const std::vector<std::string> names = matrix_names(w);
        CHECK(std::count(names.begin(), names.end(), "blk.1.ffn_gate_inp.weight") == 1);
        CHECK(std::count(names.begin(), names.end(), "blk.1.ffn_gate_inp_shexp.weight") == (qwen2 ? 1 : 0));
        CHECK(std::count(names.begin(), names.end(), "blk.1.ffn_down_shexp.weight") == (qwen2 ? 1 : 0));
        if (qwen2) CHECK(vector_names(w)[1] == "blk.1.attn_q.bias");
    }
}

TEST_CASE("qwen35moe's program: qwen35's blocks with routed experts and a shared expert behind a plain sigmoid") {
    const test::TempDir dir;
    const Described d = describe(test::write_preset(dir, "tiny-qwen35moe", "q8_0"));
    const forward::Program& p = d.arch.program;
    const std::vector<std::string> ffn{"attn_residual", "ffn_norm", "router_logits", "moe_experts", "moe_out",
                                       "shexp", "shexp_gated", "ffn_out", "ffn_residual"};
    REQUIRE(p.layers.size() == d.spec.n_main_layers());
    bool recurrent = false, attention = false;
    for (std::size_t il = 0; il < p.layers.size(); ++il) {
        CAPTURE(il);
        const forward::LayerProgram& l = p.layers[il];
        recurrent = recurrent || l.delta_state > 0;
        attention = attention || l.k_width > 0;
        const std::vector<std::string> names = record_names(l.ops);
        REQUIRE(names.size() > ffn.size());
        CHECK(std::vector<std::string>(names.end() - static_cast<std::ptrdiff_t>(ffn.size()), names.end()) == ffn);
        int gates = 0;
        for (const forward::Op& op : l.ops) {
            if (const auto* g = std::get_if<forward::SharedExpertGate>(&op)) {
                ++gates;
                CHECK(g->plain_sigmoid);  // ggml_sigmoid, not qwen2moe's silu(g) / g
            }
            if (const auto* r = std::get_if<forward::RouteExperts>(&op)) {
                CHECK(r->params.gating == forward::ops::RouterGating::softmax);
                CHECK(r->params.normalize);
            }
        }
        CHECK(gates == 1);
        // The norm before the experts is qwen35's post_attention_norm (the file has no ffn_norm).
        const std::vector<std::string> vectors = vector_names(d.arch.weights.layers[il]);
        CHECK(std::count(vectors.begin(), vectors.end(), "blk." + std::to_string(il) + ".post_attention_norm.weight") == 1);
        const std::vector<std::string> matrices = matrix_names(d.arch.weights.layers[il]);
        CHECK(std::count(matrices.begin(), matrices.end(), "blk." + std::to_string(il) + ".ffn_gate_inp_shexp.weight") == 1);
        CHECK(std::count(matrices.begin(), matrices.end(), "blk." + std::to_string(il) + ".ffn_up_exps.weight") ==
              static_cast<std::ptrdiff_t>(d.spec.moe.n_expert));
    }
    CHECK(recurrent);
    CHECK(attention);
    CHECK(p.width(forward::Slot::shared) == d.spec.n_embd);
}

TEST_CASE("gpt-oss's program: sinks, alternating windows with their own RoPE table, biased experts, clamped SwiGLU") {
    const test::TempDir dir;
    const Described d = describe(test::write_preset(dir, "tiny-gpt-oss", "q8_0"));
    const model::ModelSpec& m = d.spec;
    const forward::Program& p = d.arch.program;
    REQUIRE(p.layers.size() == m.n_layer);
    REQUIRE(p.ropes.size() == 2);
    CHECK(p.ropes[1].freq_base == static_cast<float>(m.rope_freq_base_swa));
    CHECK(p.ropes[0].ext_factor == p.ropes[1].ext_factor);  // the YaRN mix is the same in both
    const std::vector<std::string> names{"attn_norm", "q_proj", "k_proj", "q", "k", "v", "attn", "attn_out", "attn_residual",
                                         "ffn_norm", "router_logits", "moe_experts", "moe_out", "ffn_residual"};
    for (std::size_t il = 0; il < p.layers.size(); ++il) {
        CAPTURE(il);
        const bool sliding = m.is_sliding(il);
        CHECK(sliding == (il % 2 == 0));  // gpt-oss alternates, starting with a sliding layer
        const forward::LayerProgram& l = p.layers[il];
        CHECK(record_names(l.ops) == names);
        const forward::WeightSet& w = d.arch.weights.layers[il];
        const std::string blk = "blk." + std::to_string(il) + ".";
        for (const forward::Op& op : l.ops) {
            if (const auto* a = std::get_if<forward::Attention>(&op)) {
                CHECK(a->window == (sliding ? m.sliding_window : 0));
                REQUIRE(a->sinks >= 0);
                CHECK(w.vectors[static_cast<std::size_t>(a->sinks)].name == blk + "attn_sinks.weight");
                CHECK(w.vectors[static_cast<std::size_t>(a->sinks)].values.size() == m.n_head);
            }
            if (const auto* r = std::get_if<forward::Rope>(&op)) CHECK(r->table == (sliding ? 1 : 0));
            if (const auto* r = std::get_if<forward::RouteExperts>(&op)) {
                CHECK(r->params.gating == forward::ops::RouterGating::softmax_weight);
                CHECK_FALSE(r->params.normalize);
            }
            if (const auto* lin = std::get_if<forward::Linear>(&op)) {
                const std::string name = w.matrices[static_cast<std::size_t>(lin->matrix)].name();
                if (name == blk + "ffn_gate_inp.weight" || name == blk + "attn_output.weight") CHECK(lin->bias >= 0);
            }
            if (const auto* f = std::get_if<forward::MoeFfn>(&op)) {
                CHECK(f->swiglu_limit == 7.0f);
                CHECK(f->swiglu_alpha == 1.702f);
                const std::pair<int, const char*> biases[] = {{f->gate_bias, "ffn_gate_exps.bias"},
                                                              {f->up_bias, "ffn_up_exps.bias"},
                                                              {f->down_bias, "ffn_down_exps.bias"}};
                for (const auto& bias : biases) {
                    const int first = bias.first;
                    const char* const name = bias.second;  // see above: CAPTURE and clang 14
                    CAPTURE(name);
                    REQUIRE(first >= 0);
                    for (std::uint64_t e = 0; e < m.moe.n_expert; ++e)
                        CHECK(w.vectors[static_cast<std::size_t>(first) + e].name == blk + name);
                }
                CHECK(w.vectors[static_cast<std::size_t>(f->down_bias)].values.size() == m.n_embd);
                CHECK(w.vectors[static_cast<std::size_t>(f->gate_bias)].values.size() == m.moe.n_ff_exp);
            }
        }
    }
}

TEST_CASE("a missing expert tensor is refused naming it") {
    const test::TempDir dir;
    Writer w = test::build_preset("tiny-qwen3moe");
    const std::vector<WriterTensor> tensors = w.tensors();
    w.clear_tensors();
    for (const WriterTensor& t : tensors)
        if (t.name != "blk.0.ffn_up_exps.weight") REQUIRE(w.add_tensor(t).ok());
    const auto path = dir / "no-up-exps.gguf";
    REQUIRE(w.write(path).ok());
    const Container model = test::open_model(path);
    auto spec = model::read_spec(model);
    REQUIRE(spec.ok());
    auto arch = forward::describe_architecture(model, *spec);
    REQUIRE_FALSE(arch.ok());
    CHECK(arch.error().message == "tensor 'blk.0.ffn_up_exps.weight' is missing");
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

// read_spec and the schemas of the newer architectures, on files the generator writes: every
// hyperparameter under llama.cpp's key, layer kinds from their patterns and per-layer arrays, the expert
// settings llama.cpp fixes per architecture, and schemas that match the files tensor for tensor. The
// full-size shaped presets are compared with schemas of their published hyperparameters, typed here by
// hand, from their tensor plans only.
#include <doctest/doctest.h>

#include <cmath>
#include <map>

#include "gguf/container.hpp"
#include "gguf/model/schema.hpp"
#include "gguf/samples/generator.hpp"
#include "support/temp_dir.hpp"

using namespace gguf;
using namespace gguf::model;

namespace {

Writer built(std::string_view preset) {
    auto c = samples::preset(preset);
    REQUIRE(c.ok());
    auto w = samples::build_model(*c);
    REQUIRE(w.ok());
    return std::move(*w);
}

Result<ModelSpec> spec_of(const Writer& w, const test::TempDir& dir, std::string_view name = "m.gguf") {
    const auto path = dir / std::string(name);
    REQUIRE(w.write(path).ok());
    auto m = gguf::open(path);
    REQUIRE(m.ok());
    return read_spec(*m);
}

ModelSpec spec_of(std::string_view preset) {
    test::TempDir dir;
    auto s = spec_of(built(preset), dir);
    REQUIRE_MESSAGE(s.ok(), s.error().message);
    return *s;
}

// Every tensor of the file is in the schema with its shape (vocabulary rows aside), and every required
// schema tensor is in the file.
void matches_schema(std::string_view preset) {
    CAPTURE(preset);
    test::TempDir dir;
    const auto path = dir / "m.gguf";
    REQUIRE(built(preset).write(path).ok());
    auto m = gguf::open(path);
    REQUIRE(m.ok());
    auto spec = read_spec(*m);
    REQUIRE(spec.ok());
    const auto schema = schema_for(*spec);
    REQUIRE(schema);
    for (const auto& t : m->tensors()) {
        CAPTURE(t.name);
        const ExpectedTensor* e = schema->find(t.name);
        REQUIRE(e != nullptr);
        const std::vector<std::uint64_t> ne(t.ne.begin(), t.ne.begin() + t.n_dims);
        if (e->vocab_rows) CHECK(ne[0] == e->ne[0]);
        else CHECK(ne == e->ne);
    }
    for (const auto& e : schema->tensors)
        if (e.presence == Presence::required) CHECK_MESSAGE(m->find_tensor(e.name) != nullptr, e.name);
}

std::map<std::string, std::vector<std::uint64_t>> planned(std::string_view preset) {
    auto c = samples::preset(preset);
    REQUIRE(c.ok());
    auto plan = samples::plan_tensors(*c);
    REQUIRE(plan.ok());
    std::map<std::string, std::vector<std::uint64_t>> out;
    for (auto& t : *plan) out[t.name] = t.ne;
    return out;
}

void plan_matches(const std::map<std::string, std::vector<std::uint64_t>>& plan, const Schema& schema) {
    for (const auto& entry : plan) {
        // doctest's CAPTURE keeps a reference in a lambda, which clang 14 cannot take of a structured binding.
        const std::string& name = entry.first;
        CAPTURE(name);
        const ExpectedTensor* e = schema.find(name);
        REQUIRE(e != nullptr);
        CHECK(entry.second == e->ne);
    }
    for (const auto& e : schema.tensors)
        if (e.presence == Presence::required) CHECK_MESSAGE(plan.count(e.name), e.name);
}

// A file of metadata only, with as many 1-value tensors as blocks (read_spec refuses a block count
// beyond the file's tensors): enough for the hyperparameters of architectures without a preset.
ModelSpec spec_from_keys(const std::string& arch, std::uint32_t n_layer,
                         const std::vector<std::pair<std::string, Value>>& extra) {
    Writer w(ByteOrder::little, 32);
    w.set("general.architecture", Value::string(arch));
    w.set(arch + ".block_count", Value::u32(n_layer));
    w.set(arch + ".context_length", Value::u32(4096));
    w.set(arch + ".embedding_length", Value::u32(2304));
    w.set(arch + ".feed_forward_length", Value::u32(9216));
    w.set(arch + ".attention.head_count", Value::u32(8));
    w.set(arch + ".attention.head_count_kv", Value::u32(4));
    w.set(arch + ".attention.key_length", Value::u32(256));
    w.set(arch + ".attention.value_length", Value::u32(256));
    w.set(arch + ".attention.layer_norm_rms_epsilon", Value::f32(1e-6f));
    w.set(arch + ".vocab_size", Value::u32(256000));
    for (const auto& [k, v] : extra) w.set(k, v);
    for (std::uint32_t i = 0; i < n_layer; ++i)
        REQUIRE(w.add_tensor(WriterTensor{"t" + std::to_string(i), 0, {1}, std::vector<std::byte>(4)}).ok());
    test::TempDir dir;
    auto s = spec_of(w, dir);
    REQUIRE_MESSAGE(s.ok(), s.error().message);
    return *s;
}

}  // namespace

TEST_CASE("gemma2: soft-capping defaults 50 and 30, every other block slides over 4096, post norms") {
    const ModelSpec s = spec_from_keys("gemma2", 4, {});
    CHECK(s.known);
    CHECK(s.attn_logit_softcapping == 50.0);
    CHECK(s.final_logit_softcapping == 30.0);
    CHECK(s.sliding_window == 4096);
    const auto S = LayerKind::sliding_attention, G = LayerKind::attention;
    CHECK(s.layer_kinds == std::vector<LayerKind>{S, G, S, G});
    CHECK(s.embedding_scale == doctest::Approx(48.0));  // sqrt(2304)
    CHECK(s.attention_scale == doctest::Approx(1.0 / 16.0));
    const ModelSpec t = spec_from_keys("gemma2", 2, {{"gemma2.attn_logit_softcapping", Value::f32(20.0f)},
                                                     {"gemma2.attention.sliding_window", Value::u32(512)}});
    CHECK(t.attn_logit_softcapping == 20.0);
    CHECK(t.sliding_window == 512);
    const auto schema = schema_for(s);
    REQUIRE(schema);
    CHECK(schema->find("output.weight") == nullptr);  // llama.cpp's gemma2 loader always ties
    CHECK(schema->find("blk.3.post_ffw_norm.weight") != nullptr);
    CHECK(schema->find("blk.3.attn_q_norm.weight") == nullptr);
}

TEST_CASE("olmo2: norms after attention and FFN only, q/k norms over the whole projection") {
    const ModelSpec s = spec_from_keys("olmo2", 2, {});
    CHECK(s.post_norms);
    CHECK(s.sliding_window == 0);
    CHECK(s.layer_kinds == std::vector<LayerKind>{LayerKind::attention, LayerKind::attention});
    const auto schema = schema_for(s);
    REQUIRE(schema);
    CHECK(schema->find("blk.0.attn_norm.weight") == nullptr);
    CHECK(schema->find("blk.0.ffn_norm.weight") == nullptr);
    CHECK(schema->find("blk.1.attn_q_norm.weight")->ne == std::vector<std::uint64_t>{8 * 256});
    CHECK(schema->find("blk.1.attn_k_norm.weight")->ne == std::vector<std::uint64_t>{4 * 256});
    CHECK(schema->find("output.weight")->presence == Presence::required);
    // OLMo 3: a sliding window makes three of every four blocks slide.
    const ModelSpec t = spec_from_keys("olmo2", 5, {{"olmo2.attention.sliding_window", Value::u32(4096)}});
    const auto S = LayerKind::sliding_attention, G = LayerKind::attention;
    CHECK(t.layer_kinds == std::vector<LayerKind>{S, S, S, G, S});
}

TEST_CASE("granite: the four multipliers, logit_scale required") {
    const ModelSpec s = spec_from_keys("granite", 2,
                                       {{"granite.logit_scale", Value::f32(8.0f)},
                                        {"granite.residual_scale", Value::f32(0.22f)},
                                        {"granite.embedding_scale", Value::f32(12.0f)},
                                        {"granite.attention.scale", Value::f32(0.0078125f)}});
    CHECK(s.logit_scale == doctest::Approx(8.0));
    CHECK(s.residual_scale == doctest::Approx(0.22));
    CHECK(s.embedding_scale == doctest::Approx(12.0));
    CHECK(s.attention_scale == doctest::Approx(0.0078125));
    CHECK(s.rope.style == RopeStyle::normal);
    CHECK(schema_for(s)->find("blk.1.ffn_down.bias")->presence == Presence::optional);
    Writer w(ByteOrder::little, 32);
    w.set("general.architecture", Value::string("granite"));
    w.set("granite.block_count", Value::u32(1));
    w.set("granite.embedding_length", Value::u32(64));
    w.set("granite.feed_forward_length", Value::u32(128));
    w.set("granite.attention.head_count", Value::u32(2));
    w.set("granite.attention.layer_norm_rms_epsilon", Value::f32(1e-5f));
    REQUIRE(w.add_tensor(WriterTensor{"t", 0, {1}, std::vector<std::byte>(4)}).ok());
    test::TempDir dir;
    auto missing = spec_of(w, dir);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().message.find("granite.logit_scale") != std::string::npos);
}

TEST_CASE("phi3: fused q/k/v and gate/up, LongRoPE factors, NeoX; the sliding window is not read") {
    const ModelSpec s = spec_of("tiny-phi3");
    CHECK(s.fused_qkv);
    CHECK(s.rope.style == RopeStyle::neox);
    CHECK(s.sliding_window == 0);
    const auto schema = schema_for(s);
    REQUIRE(schema);
    // tiny-phi3: n_embd 256, 8 query and 4 KV heads of 32, n_ff 512.
    CHECK(schema->find("blk.0.attn_qkv.weight")->ne == std::vector<std::uint64_t>{256, 256 + 2 * 128});
    CHECK(schema->find("blk.0.ffn_up.weight")->ne == std::vector<std::uint64_t>{256, 1024});
    CHECK(schema->find("blk.0.ffn_gate.weight") == nullptr);
    CHECK(schema->find("blk.0.attn_q.weight") == nullptr);
    CHECK(schema->find("rope_factors_short.weight")->ne == std::vector<std::uint64_t>{16});
    CHECK(schema->find("rope_factors_long.weight")->presence == Presence::optional);
    // A file with separate projections expects them instead.
    const ModelSpec t = spec_from_keys("phi3", 1, {{"phi3.attention.sliding_window", Value::u32(2047)}});
    CHECK_FALSE(t.fused_qkv);
    CHECK(t.sliding_window == 0);
    CHECK(schema_for(t)->find("blk.0.attn_q.weight")->presence == Presence::required);
    CHECK(schema_for(t)->find("blk.0.attn_qkv.weight") == nullptr);
}

TEST_CASE("mistral3: the query temperature steps over the original context, which must not be 0") {
    const ModelSpec s = spec_of("tiny-mistral3");
    CHECK(s.attn_temperature_scale == doctest::Approx(0.1));
    CHECK(s.attn_temperature_interval == 8);  // rope.scaling.original_context_length
    CHECK(s.rope.style == RopeStyle::normal);
    CHECK(s.rope.scaling == RopeScaling::yarn);
    const ModelSpec t = spec_from_keys("mistral3", 1, {{"mistral3.attention.temperature_scale", Value::f32(0.1f)}});
    CHECK(t.attn_temperature_interval == 4096);  // context_length without an original context
    Writer w = built("tiny-mistral3");
    w.set("mistral3.rope.scaling.original_context_length", Value::u32(0));
    w.set("mistral3.context_length", Value::u32(0));
    test::TempDir dir;
    auto refused = spec_of(w, dir);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().message.find("original_context_length") != std::string::npos);
}

TEST_CASE("qwen35: delta-net sizes, multi-section RoPE and the recurrent/attention layout") {
    const ModelSpec s = spec_of("tiny-qwen35");
    CHECK(s.known);
    CHECK(s.modelled);  // the forward pass computes it (validate/forward/src/architectures/qwen35.cpp)
    CHECK(s.ssm.d_conv == 4);
    CHECK(s.ssm.d_state == 32);
    CHECK(s.ssm.n_group == 2);
    CHECK(s.ssm.dt_rank == 4);
    CHECK(s.ssm.d_inner == 128);
    CHECK(s.ssm.head_v_dim() == 32);
    CHECK(s.ssm.conv_channels() == 2 * 64 + 128);
    CHECK(s.rope.n_rot == 16);
    CHECK(s.rope.sections == std::array<std::uint32_t, 4>{3, 3, 2, 0});
    CHECK(s.rope.interleaved_sections);
    CHECK(s.rope.style == RopeStyle::neox);
    CHECK(s.attention_output_gate);
    CHECK(s.qk_norm);
    // full_attention_interval 3 over 3 blocks: recurrent, recurrent, attention.
    CHECK(s.layer_kinds == std::vector<LayerKind>{LayerKind::recurrent, LayerKind::recurrent, LayerKind::attention});
    CHECK_FALSE(s.moe.enabled());
    CHECK(s.n_main_layers() == 3);
}

TEST_CASE("qwen35: attention.recurrent_layers overrides the interval; nextn blocks are attention") {
    test::TempDir dir;
    Writer w = built("tiny-qwen35");
    const std::array<std::uint8_t, 3> flags{0, 1, 0};
    w.set("qwen35.attention.recurrent_layers", Value::array(ValueType::boolean, std::span<const std::uint8_t>(flags)));
    auto s = spec_of(w, dir);
    REQUIRE_MESSAGE(s.ok(), s.error().message);
    CHECK(s->layer_kinds == std::vector<LayerKind>{LayerKind::attention, LayerKind::recurrent, LayerKind::attention});

    Writer nextn = built("tiny-qwen35");
    nextn.set("qwen35.nextn_predict_layers", Value::u32(1));
    auto t = spec_of(nextn, dir, "n.gguf");
    REQUIRE_MESSAGE(t.ok(), t.error().message);
    CHECK(t->n_main_layers() == 2);
    // The last block is the NextN block: the interval applies to the main blocks only.
    CHECK(t->layer_kinds == std::vector<LayerKind>{LayerKind::recurrent, LayerKind::recurrent, LayerKind::attention});
}

TEST_CASE("qwen35: a missing ssm key or sections key is an error that names it") {
    test::TempDir dir;
    for (const char* key : {"qwen35.ssm.state_size", "qwen35.ssm.group_count", "qwen35.rope.dimension_sections"}) {
        CAPTURE(key);
        Writer w = built("tiny-qwen35");
        REQUIRE(w.erase(key));
        auto s = spec_of(w, dir);
        REQUIRE_FALSE(s.ok());
        CHECK(s.error().message.find(key) != std::string::npos);
    }
}

TEST_CASE("qwen35moe: routed experts with normalised weights and a gated shared expert") {
    const ModelSpec s = spec_of("tiny-qwen35moe");
    CHECK(s.moe.n_expert == 8);
    CHECK(s.moe.n_expert_used == 2);
    CHECK(s.moe.n_ff_exp == 256);
    CHECK(s.moe.n_ff_shexp == 256);
    CHECK(s.moe.shared_expert_gate);
    CHECK(s.moe.norm_weights);
    CHECK(s.moe.gating == ExpertGating::softmax);
    CHECK(s.layer_kinds.size() == 3);
}

TEST_CASE("gemma3: sliding layers by period, their RoPE base, embedding and query scales, post norms") {
    const ModelSpec s = spec_of("tiny-gemma3");
    CHECK(s.sliding_window == 4);
    // Period 2: block 0 slides, block 1 is global.
    CHECK(s.layer_kinds == std::vector<LayerKind>{LayerKind::sliding_attention, LayerKind::attention});
    CHECK(s.rope_freq_base_swa == doctest::Approx(10000.0));
    CHECK(s.rope.freq_base == doctest::Approx(1000000.0));
    CHECK(s.embedding_scale == doctest::Approx(16.0));         // sqrt(256)
    CHECK(s.attention_scale == doctest::Approx(1.0 / std::sqrt(128.0)));  // 1/sqrt(head_dim)
    CHECK(s.post_norms);
    CHECK(s.qk_norm);
    CHECK(s.final_logit_softcapping == 0.0);
    CHECK(s.tied_output);
}

TEST_CASE("gemma4: the flag pattern, head sizes by kind, per-layer input width, shared-KV blocks, unit query scale") {
    const ModelSpec s = spec_of("tiny-gemma4");
    const auto S = LayerKind::sliding_attention, G = LayerKind::attention;
    CHECK(s.layer_kinds == std::vector<LayerKind>{S, G, S, G});
    CHECK(s.head_dim == 128);
    CHECK(s.head_dim_swa == 64);
    CHECK(s.layer_head_dim(0) == 64);
    CHECK(s.layer_head_dim(1) == 128);
    CHECK(s.rope.n_rot == 128);
    CHECK(s.n_rot_swa == 64);
    CHECK(s.n_embd_per_layer == 64);
    CHECK(s.n_layer_kv_shared == 2);
    // llama.cpp: a shared block reads the last block of its kind that keeps its own cache.
    CHECK(s.kv_source(0) == 0);
    CHECK(s.kv_source(1) == 1);
    CHECK(s.kv_source(2) == 0);
    CHECK(s.kv_source(3) == 1);
    // feed_forward_length per block: the shared blocks' FFN is twice as wide.
    CHECK(s.n_ff == 1024);
    CHECK(s.n_ff_layers == std::vector<std::uint64_t>{512, 512, 1024, 1024});
    CHECK(s.layer_n_ff(0) == 512);
    CHECK(s.layer_n_ff(3) == 1024);
    CHECK(s.attention_scale == 1.0);
    CHECK(s.embedding_scale == doctest::Approx(16.0));
    CHECK(s.final_logit_softcapping == doctest::Approx(30.0));
    CHECK(s.rope_freq_base_swa == doctest::Approx(10000.0));
    CHECK(s.post_norms);
    CHECK(s.qk_norm);
}

TEST_CASE("gemma4: per-block head counts (head_count_kv as an array) are read per block and in the schema") {
    test::TempDir dir;
    auto c = samples::preset("tiny-gemma4").value();
    c.n_head_kv = 2;
    c.n_head_kv_global = 1;  // the 31B's structure: fewer KV heads in the global blocks
    auto w = samples::build_model(c);
    REQUIRE(w.ok());
    const Value* kv = w->find("gemma4.attention.head_count_kv");
    REQUIRE(kv != nullptr);
    CHECK(kv->is_array());
    const auto s = spec_of(*w, dir);
    REQUIRE_MESSAGE(s.ok(), s.error().message);
    CHECK(s->n_head_kv == 2);  // block 0's, as llama.cpp's n_head_kv()
    CHECK(s->n_head_kv_layers == std::vector<std::uint64_t>{2, 1, 2, 1});
    CHECK(s->layer_n_head_kv(1) == 1);
    CHECK(s->layer_n_head(1) == 4);
    CHECK(s->n_head_layers.empty());
    const auto schema = schema_for(*s);
    REQUIRE(schema);
    CHECK(schema->find("blk.0.attn_k.weight")->ne == std::vector<std::uint64_t>{256, 128});
    CHECK(schema->find("blk.1.attn_k.weight")->ne == std::vector<std::uint64_t>{256, 128});
    CHECK(schema->find("blk.1.attn_v.weight")->ne == std::vector<std::uint64_t>{256, 128});
    CHECK(schema->find("blk.1.attn_q.weight")->ne == std::vector<std::uint64_t>{256, 512});

    // A head_count array that varies: each block its own; head_count_kv absent follows it per block.
    Writer heads = std::move(*w);
    const std::int32_t per_block[] = {4, 2, 4, 2};
    heads.set("gemma4.attention.head_count", Value::array(ValueType::int32, std::span<const std::int32_t>(per_block)));
    CHECK(heads.erase("gemma4.attention.head_count_kv"));
    const auto h = spec_of(heads, dir, "heads.gguf");
    REQUIRE_MESSAGE(h.ok(), h.error().message);
    CHECK(h->n_head == 4);
    CHECK(h->n_head_layers == std::vector<std::uint64_t>{4, 2, 4, 2});
    CHECK(h->n_head_kv_layers == std::vector<std::uint64_t>{4, 2, 4, 2});
}

TEST_CASE("a head_count_kv array that varies is refused outside gemma4 (llama.cpp sizes every block by block 0)") {
    test::TempDir dir;
    Writer w = built("tiny-llama");
    const std::int32_t per_block[] = {4, 2};
    w.set("llama.attention.head_count_kv", Value::array(ValueType::int32, std::span<const std::int32_t>(per_block)));
    const auto s = spec_of(w, dir);
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().message.find("varies per layer") != std::string::npos);
}

TEST_CASE("gemma4's MoE variant: its expert tensors are in the schema, optional, with their shapes") {
    test::TempDir dir;
    auto w = samples::build_model(samples::preset("tiny-gemma4").value());
    REQUIRE(w.ok());
    w->set("gemma4.expert_count", Value::u32(8));
    w->set("gemma4.expert_used_count", Value::u32(2));
    w->set("gemma4.expert_feed_forward_length", Value::u32(128));
    REQUIRE(w->write(dir / "moe.gguf").ok());
    auto model = gguf::open(dir / "moe.gguf");
    REQUIRE(model.ok());
    const auto s = read_spec(*model);
    REQUIRE(s.ok());
    CHECK(s->moe.n_expert == 8);
    const auto schema = schema_for(*s);
    REQUIRE(schema);
    const auto* gate_up = schema->find("blk.1.ffn_gate_up_exps.weight");
    REQUIRE(gate_up != nullptr);
    CHECK(gate_up->ne == std::vector<std::uint64_t>{256, 256, 8});
    CHECK(gate_up->presence == Presence::optional);
    for (const char* name : {"blk.1.ffn_gate_inp.scale", "blk.1.pre_ffw_norm_2.weight", "blk.1.post_ffw_norm_1.weight",
                             "blk.1.post_ffw_norm_2.weight", "blk.1.ffn_down_exps.scale", "blk.1.ffn_down_exps.weight"})
        CHECK_MESSAGE(schema->find(name) != nullptr, name);
}

TEST_CASE("gemma3: the default period is 6, and a per-layer pattern array is read as flags") {
    test::TempDir dir;
    auto c = samples::preset("tiny-gemma3").value();
    c.n_layer = 7;
    c.sliding_window_pattern = 6;  // the default: not written, llama.cpp assumes it
    auto w = samples::build_model(c);
    REQUIRE(w.ok());
    REQUIRE_FALSE(w->erase("gemma3.attention.sliding_window_pattern"));
    auto s = spec_of(*w, dir);
    REQUIRE(s.ok());
    const auto S = LayerKind::sliding_attention, G = LayerKind::attention;
    CHECK(s->layer_kinds == std::vector<LayerKind>{S, S, S, S, S, G, S});
    const std::array<std::uint8_t, 7> flags{1, 0, 1, 0, 1, 0, 0};
    w->set("gemma3.attention.sliding_window_pattern", Value::array(ValueType::boolean, std::span<const std::uint8_t>(flags)));
    auto t = spec_of(*w, dir, "p.gguf");
    REQUIRE(t.ok());
    CHECK(t->layer_kinds == std::vector<LayerKind>{S, G, S, G, S, G, G});
}

TEST_CASE("qwen3moe and qwen2moe: expert widths, normalisation fixed per architecture, qwen2moe's shared expert") {
    const ModelSpec q3 = spec_of("tiny-qwen3moe");
    CHECK(q3.moe.n_expert == 8);
    CHECK(q3.moe.n_ff_exp == 256);
    CHECK(q3.moe.norm_weights);
    CHECK(q3.moe.n_ff_shexp == 0);
    CHECK(q3.qk_norm);
    const ModelSpec q2 = spec_of("tiny-qwen2moe");
    CHECK_FALSE(q2.moe.norm_weights);
    CHECK(q2.moe.n_ff_shexp == 512);
    CHECK(q2.moe.shared_expert_gate);
    CHECK(q2.attention_bias);
    CHECK_FALSE(q2.qk_norm);
}

TEST_CASE("experts: expert_used_count above expert_count is an error; without expert_feed_forward_length the "
          "width is n_ff / n_expert_used as in llama.cpp") {
    test::TempDir dir;
    Writer w = built("tiny-qwen3moe");
    w.set("qwen3moe.expert_used_count", Value::u32(9));
    auto s = spec_of(w, dir);
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().message.find("expert_used_count") != std::string::npos);
    Writer v = built("tiny-qwen3moe");
    REQUIRE(v.erase("qwen3moe.expert_feed_forward_length"));
    auto t = spec_of(v, dir, "v.gguf");
    REQUIRE(t.ok());
    CHECK(t->moe.n_ff_exp == 512 / 2);
}

TEST_CASE("gpt-oss: sinks, alternating sliding layers sharing the global RoPE, softmax over the chosen experts") {
    const ModelSpec s = spec_of("tiny-gpt-oss");
    CHECK(s.attention_sinks);
    CHECK(s.sliding_window == 4);
    CHECK(s.layer_kinds == std::vector<LayerKind>{LayerKind::sliding_attention, LayerKind::attention});
    CHECK(s.rope_freq_base_swa == doctest::Approx(s.rope.freq_base));
    CHECK(s.rope.scaling == RopeScaling::yarn);
    CHECK(s.rope.scaling_factor == doctest::Approx(32.0));
    CHECK(s.rope_freq_scale_swa == doctest::Approx(1.0 / 32));
    CHECK(s.moe.gating == ExpertGating::softmax_weight);
    CHECK_FALSE(s.moe.norm_weights);
    CHECK(s.moe.expert_biases);
    CHECK(s.moe.swiglu_limit == 7.0);
    CHECK(s.moe.swiglu_alpha == 1.702);
    CHECK(s.moe.weights_scale == 0.0);  // llama.cpp's openai-moe loader does not read expert_weights_scale
    CHECK(s.modelled);
    CHECK(s.attention_scale == doctest::Approx(1.0 / 8.0));  // 1/sqrt(64)
    CHECK_FALSE(s.tied_output);
}

TEST_CASE("the tiny presets of the newer architectures match their schemas tensor for tensor") {
    for (auto preset : {"tiny-qwen35", "tiny-qwen35moe", "tiny-gemma3", "tiny-qwen3moe", "tiny-qwen2moe", "tiny-gpt-oss",
                        "tiny-gemma2", "tiny-olmo2", "tiny-granite", "tiny-phi3", "tiny-mistral3", "tiny-gemma4"})
        matches_schema(preset);
}

TEST_CASE("schemas: a delta-net block and an attention block of qwen35 have their own tensors") {
    const ModelSpec s = spec_of("tiny-qwen35");
    const auto schema = schema_for(s);
    REQUIRE(schema);
    CHECK(schema->find("blk.0.ssm_a") != nullptr);
    CHECK(schema->find("blk.0.ssm_a")->role == TensorRole::ssm_a);
    CHECK(role_from_name("blk.0.ssm_a") == TensorRole::ssm_a);
    CHECK(schema->find("blk.0.attn_q.weight") == nullptr);
    CHECK(schema->find("blk.2.ssm_conv1d.weight") == nullptr);
    CHECK(schema->find("blk.2.attn_q.weight")->ne == std::vector<std::uint64_t>{256, 2 * 4 * 64});
    CHECK(schema->find("blk.0.ssm_conv1d.weight")->ne == std::vector<std::uint64_t>{4, 256});
    CHECK(is_norm(TensorRole::ssm_norm));
    CHECK(is_expert_stack(TensorRole::ffn_down_exps));
}

TEST_CASE("full-size shaped presets: Qwen3.5-4B, Gemma 3 1B, Qwen3-30B-A3B and gpt-oss-20b plans match schemas of "
          "their published hyperparameters") {
    ModelSpec q35;
    q35.architecture = "qwen35";
    q35.known = true;
    q35.n_vocab = 248320;
    q35.n_embd = 2560;
    q35.n_layer = 32;
    q35.n_head = 16;
    q35.n_head_kv = 4;
    q35.head_dim = q35.head_dim_v = 256;
    q35.n_ff = 9216;
    q35.ssm = {4, 128 * 32, 128, 32, 16};
    for (std::uint64_t i = 0; i < 32; ++i)
        q35.layer_kinds.push_back((i + 1) % 4 ? LayerKind::recurrent : LayerKind::attention);
    plan_matches(planned("qwen3.5-4b"), *schema_for(q35));

    ModelSpec g;
    g.architecture = "gemma3";
    g.known = true;
    g.n_vocab = 262144;
    g.n_embd = 1152;
    g.n_layer = 26;
    g.n_head = 4;
    g.n_head_kv = 1;
    g.head_dim = g.head_dim_v = 256;
    g.n_ff = 6912;
    plan_matches(planned("gemma3-1b"), *schema_for(g));

    ModelSpec m;
    m.architecture = "qwen3moe";
    m.known = true;
    m.n_vocab = 151936;
    m.n_embd = 2048;
    m.n_layer = 48;
    m.n_head = 32;
    m.n_head_kv = 4;
    m.head_dim = m.head_dim_v = 128;
    m.n_ff = 6144;
    m.moe.n_expert = 128;
    m.moe.n_expert_used = 8;
    m.moe.n_ff_exp = 768;
    const auto plan = planned("qwen3-30b-a3b");
    plan_matches(plan, *schema_for(m));
    CHECK(plan.at("blk.47.ffn_down_exps.weight") == std::vector<std::uint64_t>{768, 2048, 128});
    CHECK(plan.count("output.weight"));  // untied

    ModelSpec o;
    o.architecture = "gpt-oss";
    o.known = true;
    o.n_vocab = 201088;
    o.n_embd = 2880;
    o.n_layer = 24;
    o.n_head = 64;
    o.n_head_kv = 8;
    o.head_dim = o.head_dim_v = 64;
    o.rope.n_rot = 64;
    o.moe.n_expert = 32;
    o.moe.n_expert_used = 4;
    o.moe.n_ff_exp = 2880;
    const auto oss = planned("gpt-oss-20b");
    plan_matches(oss, *schema_for(o));
    CHECK(oss.at("blk.23.attn_sinks.weight") == std::vector<std::uint64_t>{64});
    CHECK(oss.at("blk.0.ffn_gate_exps.bias") == std::vector<std::uint64_t>{2880, 32});
}

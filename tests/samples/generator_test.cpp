// The generator's models: llama.cpp's tensor names and shapes per architecture, the hyperparameter keys,
// streamed files identical to the in-memory ones, seeded determinism, and realistic value scales.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>
#include <map>

#include "gguf/container.hpp"
#include "gguf/samples/generator.hpp"
#include "support/command.hpp"
#include "support/temp_dir.hpp"

using namespace gguf;
using namespace gguf::samples;

namespace {

ModelConfig tiny(std::string_view name) {
    auto c = preset(name);
    REQUIRE(c.ok());
    return *c;
}

std::map<std::string, std::vector<std::uint64_t>> shapes(const ModelConfig& c) {
    auto plan = plan_tensors(c);
    REQUIRE(plan.ok());
    std::map<std::string, std::vector<std::uint64_t>> out;
    for (const auto& t : *plan) out[t.name] = t.ne;
    return out;
}

std::vector<float> f32_values(const Container& m, std::string_view name) {
    const TensorInfo* t = m.find_tensor(name);
    REQUIRE(t != nullptr);
    REQUIRE(t->type == 0);
    auto view = m.view(*t);
    REQUIRE(view.ok());
    std::vector<float> v(t->n_elements());
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = load<float>(view->bytes.data() + 4 * i, ByteOrder::little);
    return v;
}

double mean(const std::vector<float>& v) {
    double s = 0;
    for (float x : v) s += x;
    return s / static_cast<double>(v.size());
}

double rms(const std::vector<float>& v) {
    double s = 0;
    for (float x : v) s += double{x} * x;
    return std::sqrt(s / static_cast<double>(v.size()));
}

}  // namespace

TEST_CASE("TinyLlama preset has llama.cpp's tensor names and GQA shapes, with an untied output") {
    const auto s = shapes(tiny("tinyllama-1.1b"));
    CHECK(s.size() == 2 + 22 * 9 + 1);
    CHECK(s.at("token_embd.weight") == std::vector<std::uint64_t>{2048, 32000});
    CHECK(s.at("output.weight") == std::vector<std::uint64_t>{2048, 32000});
    CHECK(s.at("blk.0.attn_q.weight") == std::vector<std::uint64_t>{2048, 2048});
    CHECK(s.at("blk.21.attn_k.weight") == std::vector<std::uint64_t>{2048, 256});  // 4 KV heads of 64
    CHECK(s.at("blk.21.attn_v.weight") == std::vector<std::uint64_t>{2048, 256});
    CHECK(s.at("blk.3.ffn_down.weight") == std::vector<std::uint64_t>{5632, 2048});
    CHECK(s.at("blk.3.ffn_gate.weight") == std::vector<std::uint64_t>{2048, 5632});
    CHECK(s.at("output_norm.weight") == std::vector<std::uint64_t>{2048});
    CHECK_FALSE(s.count("blk.0.attn_q.bias"));
    CHECK_FALSE(s.count("blk.22.attn_q.weight"));
}

TEST_CASE("Qwen2.5 preset is tied, has q/k/v biases and 151936 embedding rows") {
    const auto s = shapes(tiny("qwen2.5-0.5b"));
    CHECK_FALSE(s.count("output.weight"));
    CHECK(s.at("token_embd.weight") == std::vector<std::uint64_t>{896, 151936});
    CHECK(s.at("blk.23.attn_k.bias") == std::vector<std::uint64_t>{128});
    CHECK(s.at("blk.0.attn_q.bias") == std::vector<std::uint64_t>{896});
    CHECK(s.at("blk.0.attn_v.weight") == std::vector<std::uint64_t>{896, 128});
    CHECK(s.size() == 1 + 24 * 12 + 1);
}

TEST_CASE("Qwen3 preset has per-head q/k norms and a q projection wider than n_embd") {
    const auto s = shapes(tiny("qwen3-0.6b"));
    CHECK(s.at("blk.0.attn_q.weight") == std::vector<std::uint64_t>{1024, 2048});
    CHECK(s.at("blk.0.attn_output.weight") == std::vector<std::uint64_t>{2048, 1024});
    CHECK(s.at("blk.27.attn_q_norm.weight") == std::vector<std::uint64_t>{128});
    CHECK(s.at("blk.27.attn_k_norm.weight") == std::vector<std::uint64_t>{128});
    CHECK_FALSE(s.count("blk.0.attn_q.bias"));
}

TEST_CASE("every preset validates, and the tiny ones keep their full-size structure") {
    for (auto name : preset_names()) {
        CAPTURE(name);
        CHECK(validate(tiny(name)).ok());
    }
    const auto big = tiny("qwen2.5-0.5b"), small = tiny("tiny-qwen2");
    CHECK(small.tied_output == big.tied_output);
    CHECK(small.attn_bias);
    CHECK(small.n_vocab_padding > 0);
    CHECK(small.n_head > small.n_head_kv);
    CHECK(tiny("tiny-qwen3").head_dim * tiny("tiny-qwen3").n_head != tiny("tiny-qwen3").n_embd);
    CHECK_FALSE(preset("no-such-model").ok());
}

TEST_CASE("hyperparameters are written under llama.cpp's keys") {
    test::TempDir dir;
    for (auto name : {"tiny-llama", "tiny-qwen2", "tiny-qwen3"}) {
        CAPTURE(name);
        const ModelConfig c = tiny(name);
        const auto path = dir / (std::string(name) + ".gguf");
        REQUIRE(write_model(c, path).ok());
        auto m = gguf::open(path);
        REQUIRE(m.ok());
        const std::string arch(architecture_name(c.architecture));
        CHECK(m->get_string("general.architecture") == arch);
        CHECK(m->get_u64(arch + ".block_count") == c.n_layer);
        CHECK(m->get_u64(arch + ".embedding_length") == c.n_embd);
        CHECK(m->get_u64(arch + ".feed_forward_length") == c.n_ff);
        CHECK(m->get_u64(arch + ".attention.head_count") == c.n_head);
        CHECK(m->get_u64(arch + ".attention.head_count_kv") == c.n_head_kv);
        CHECK(m->get_u64(arch + ".context_length") == c.n_ctx);
        CHECK(m->get_f64(arch + ".attention.layer_norm_rms_epsilon") == doctest::Approx(c.rms_eps));
        CHECK(m->get_f64(arch + ".rope.freq_base") == doctest::Approx(c.rope_base));
        const bool custom_head = c.head_dim * c.n_head != c.n_embd;
        CHECK((m->get_u64(arch + ".attention.key_length") == c.head_dim) == (custom_head || arch == "qwen3"));
        CHECK(m->find("tokenizer.ggml.tokens")->size() == c.n_vocab);
        CHECK(m->issues().empty());
    }
}

TEST_CASE("the newer architectures' hyperparameters are written under llama.cpp's keys") {
    test::TempDir dir;
    const auto open_preset = [&](std::string_view name) {
        const auto path = dir / (std::string(name) + ".gguf");
        REQUIRE(write_model(tiny(name), path).ok());
        auto m = gguf::open(path);
        REQUIRE(m.ok());
        CHECK(m->issues().empty());
        return std::move(*m);
    };
    const Container q35 = open_preset("tiny-qwen35");
    CHECK(q35.get_u64("qwen35.ssm.conv_kernel") == 4u);
    CHECK(q35.get_u64("qwen35.ssm.state_size") == 32u);
    CHECK(q35.get_u64("qwen35.ssm.group_count") == 2u);
    CHECK(q35.get_u64("qwen35.ssm.time_step_rank") == 4u);
    CHECK(q35.get_u64("qwen35.ssm.inner_size") == 128u);  // v heads x head size
    CHECK(q35.get_u64("qwen35.full_attention_interval") == 3u);
    CHECK(q35.get_u64("qwen35.rope.dimension_count") == 16u);
    const Value* sections = q35.find("qwen35.rope.dimension_sections");
    REQUIRE(sections != nullptr);
    REQUIRE(sections->size() == 4);
    CHECK(sections->integer_at(0) == 3);
    CHECK(sections->integer_at(2) == 2);
    CHECK(sections->integer_at(3) == 0);
    // Blocks 0 and 1 are delta-net blocks, block 2 full attention with a q projection twice as wide.
    CHECK(q35.find_tensor("blk.0.ssm_a") != nullptr);
    CHECK(q35.find_tensor("blk.1.attn_qkv.weight") != nullptr);
    CHECK(q35.find_tensor("blk.2.ssm_a") == nullptr);
    CHECK(q35.find_tensor("blk.2.attn_q.weight")->ne[1] == 2 * 4 * 64);
    CHECK(q35.find_tensor("blk.2.post_attention_norm.weight") != nullptr);
    CHECK(q35.find_tensor("blk.2.ffn_norm.weight") == nullptr);

    const Container moe = open_preset("tiny-qwen35moe");
    CHECK(moe.get_u64("qwen35moe.expert_count") == 8u);
    CHECK(moe.get_u64("qwen35moe.expert_used_count") == 2u);
    CHECK(moe.get_u64("qwen35moe.expert_feed_forward_length") == 256u);
    CHECK(moe.get_u64("qwen35moe.expert_shared_feed_forward_length") == 256u);
    const TensorInfo* down = moe.find_tensor("blk.1.ffn_down_exps.weight");
    REQUIRE(down != nullptr);
    CHECK(down->n_dims == 3);
    CHECK(down->ne[0] == 256);
    CHECK(down->ne[1] == 256);
    CHECK(down->ne[2] == 8);

    const Container g = open_preset("tiny-gemma3");
    CHECK(g.get_u64("gemma3.attention.sliding_window") == 4u);
    CHECK(g.get_u64("gemma3.attention.sliding_window_pattern") == 2u);
    CHECK(g.get_f64("gemma3.rope.freq_base_swa") == doctest::Approx(10000.0));
    CHECK(g.get_u64("gemma3.attention.key_length") == 128u);
    CHECK(g.find_tensor("blk.1.post_ffw_norm.weight") != nullptr);
    // Gemma's stored norms sit near 1 plus a learned offset: positive, mean above 1.
    const auto norm = f32_values(g, "blk.0.attn_norm.weight");
    CHECK(mean(norm) > 1.2);
    CHECK(*std::min_element(norm.begin(), norm.end()) > 0.0f);

    const Container q2 = open_preset("tiny-qwen2moe");
    CHECK(q2.find_tensor("blk.0.ffn_gate_inp_shexp.weight")->n_dims == 1);
    CHECK(q2.find_tensor("blk.0.attn_q.bias") != nullptr);
    CHECK(q2.find_tensor("output.weight") != nullptr);  // llama.cpp requires qwen2moe's own lm_head
    // The delta-net decay rates are all negative, like -exp(A_log).
    const auto a = f32_values(q35, "blk.0.ssm_a");
    CHECK(*std::max_element(a.begin(), a.end()) < 0.0f);
}

TEST_CASE("mixes keep conv taps and routers in F32 and quantize the expert stacks") {
    ModelConfig c = tiny("tiny-qwen35moe");
    REQUIRE(apply_mix(c, "q4_k_m").ok());
    auto plan = plan_tensors(c);
    REQUIRE(plan.ok());
    std::map<std::string, std::uint32_t> types;
    for (const auto& t : *plan) types[t.name] = t.type;
    CHECK(types.at("blk.0.ssm_conv1d.weight") == static_cast<std::uint32_t>(TypeId::F32));
    CHECK(types.at("blk.0.ffn_gate_inp.weight") == static_cast<std::uint32_t>(TypeId::F32));
    CHECK(types.at("blk.0.ffn_gate_exps.weight") == static_cast<std::uint32_t>(TypeId::Q4_K));
    CHECK(types.at("blk.0.attn_qkv.weight") == static_cast<std::uint32_t>(TypeId::Q4_K));
    // ffn_down_exps gets llama.cpp's extra bits where ffn_down would (of 3 blocks: the last one).
    CHECK(types.at("blk.0.ffn_down_exps.weight") == static_cast<std::uint32_t>(TypeId::Q4_K));
    CHECK(types.at("blk.2.ffn_down_exps.weight") == static_cast<std::uint32_t>(TypeId::Q6_K));
}

TEST_CASE("the streamed file is byte for byte the in-memory model that gguf::Writer serializes") {
    test::TempDir dir;
    for (auto name : {"tiny-llama", "tiny-qwen2", "tiny-qwen3"}) {
        CAPTURE(name);
        ModelConfig c = tiny(name);
        c.types.set_all(static_cast<std::uint32_t>(TypeId::F16));
        c.types.attn_v = static_cast<std::uint32_t>(TypeId::BF16);
        auto built = build_model(c);
        REQUIRE(built.ok());
        auto serialized = built->serialize();
        REQUIRE(serialized.ok());
        REQUIRE(write_model(c, dir / "streamed.gguf").ok());
        const auto streamed = test::read_file(dir / "streamed.gguf");
        REQUIRE(streamed.size() == serialized->size());
        CHECK(std::memcmp(streamed.data(), serialized->data(), streamed.size()) == 0);
    }
}

TEST_CASE("the same seed gives the same file; another seed changes every weight matrix") {
    test::TempDir dir;
    ModelConfig c = tiny("tiny-llama");
    REQUIRE(write_model(c, dir / "a.gguf").ok());
    REQUIRE(write_model(c, dir / "b.gguf").ok());
    CHECK(test::read_file(dir / "a.gguf") == test::read_file(dir / "b.gguf"));
    c.seed = 2;
    REQUIRE(write_model(c, dir / "c.gguf").ok());
    auto a = gguf::open(dir / "a.gguf"), other = gguf::open(dir / "c.gguf");
    REQUIRE((a.ok() && other.ok()));
    for (const auto& t : a->tensors()) {
        CAPTURE(t.name);
        CHECK(f32_values(*a, t.name) != f32_values(*other, t.name));
    }
}

TEST_CASE("weights have the scale of real checkpoints: small layer-0 norms, a Qwen-like final norm") {
    test::TempDir dir;
    ModelConfig c = tiny("tiny-qwen2");
    c.n_layer = 4;
    REQUIRE(write_model(c, dir / "m.gguf").ok());
    auto m = gguf::open(dir / "m.gguf");
    REQUIRE(m.ok());
    const auto attn0 = f32_values(*m, "blk.0.attn_norm.weight");
    CHECK(mean(attn0) == doctest::Approx(0.05).epsilon(0.25));
    CHECK(mean(f32_values(*m, "blk.3.attn_norm.weight")) > 4 * mean(attn0));  // norms grow with depth
    const auto final_norm = f32_values(*m, "output_norm.weight");
    CHECK(mean(final_norm) == doctest::Approx(7.0).epsilon(0.15));
    CHECK(*std::max_element(final_norm.begin(), final_norm.end()) > 11.0);
    CHECK(rms(f32_values(*m, "blk.1.ffn_up.weight")) == doctest::Approx(0.02).epsilon(0.05));
    CHECK(rms(f32_values(*m, "blk.1.ffn_down.weight")) == doctest::Approx(0.02 / std::sqrt(8.0)).epsilon(0.05));
    CHECK(std::abs(mean(f32_values(*m, "token_embd.weight"))) < 0.002);

    c.norms = NormStyle::ones;
    REQUIRE(write_model(c, dir / "ones.gguf").ok());
    auto ones = gguf::open(dir / "ones.gguf");
    REQUIRE(ones.ok());
    for (float v : f32_values(*ones, "output_norm.weight")) CHECK(v == 1.0f);
}

TEST_CASE("configurations llama.cpp would reject are refused with a message") {
    ModelConfig c = tiny("tiny-qwen2");
    c.head_dim = 32;  // 4 heads of 32 != 256
    CHECK_FALSE(validate(c).ok());
    c = tiny("tiny-llama");
    c.n_head_kv = 3;
    CHECK_FALSE(validate(c).ok());
    c = tiny("tiny-llama");
    c.n_vocab = 300;  // fewer than 3 + 256 + 95 SentencePiece pieces
    CHECK_FALSE(validate(c).ok());
    c = tiny("tiny-llama");
    c.types.per_tensor["blk.9.attn_q.weight"] = 1;
    CHECK_FALSE(validate(c).ok());
    c = tiny("tiny-llama");
    c.types.attn_q = static_cast<std::uint32_t>(TypeId::Q8_K);
    const auto r = validate(c);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("blk.0.attn_q.weight") != std::string::npos);
    c = tiny("tiny-qwen35");
    c.ssm_dt_rank = 3;  // v heads must repeat the 2 q/k heads whole
    CHECK_FALSE(validate(c).ok());
    c = tiny("tiny-qwen35");
    c.rope_sections = {0, 0, 0, 0};
    CHECK_FALSE(validate(c).ok());
    c = tiny("tiny-qwen3moe");
    c.n_expert_used = 9;  // more than the 8 experts
    CHECK_FALSE(validate(c).ok());
    c = tiny("tiny-qwen3moe");
    c.n_ff_shexp = 256;  // qwen3moe has no shared expert
    CHECK_FALSE(validate(c).ok());
    c = tiny("tiny-qwen2moe");
    c.head_dim = 32;  // llama.cpp sizes qwen2moe's q projection by n_embd
    CHECK_FALSE(validate(c).ok());
    c = tiny("tiny-llama");
    c.n_embd = 100;  // Q8_0 blocks of 32 do not divide it
    c.head_dim = 100 / 8;
    c.types.set_all(static_cast<std::uint32_t>(TypeId::Q8_0));
    CHECK_FALSE(validate(c).ok());
}

TEST_CASE("a failed write leaves no file behind") {
    test::TempDir dir;
    ModelConfig c = tiny("tiny-llama");
    c.weights_from = dir / "missing-folder";
    CHECK_FALSE(write_model(c, dir / "out.gguf").ok());
    CHECK(std::distance(std::filesystem::directory_iterator(dir.path()), {}) == 0);
}

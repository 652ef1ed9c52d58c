// Schemas: the shapes llama.cpp's loaders create for each modelled architecture, written here by hand
// from the published configurations of TinyLlama-1.1B, Qwen2.5-0.5B and Qwen3-0.6B.
#include <doctest/doctest.h>

#include <algorithm>

#include "gguf/model/schema.hpp"

using namespace gguf::model;

namespace {

ModelSpec tinyllama() {
    ModelSpec s;
    s.architecture = "llama";
    s.modelled = true;
    s.known = true;
    s.n_vocab = 32000;
    s.n_embd = 2048;
    s.n_layer = 22;
    s.n_head = 32;
    s.n_head_kv = 4;
    s.head_dim = s.head_dim_v = 64;
    s.n_ff = 5632;
    s.rope.n_rot = 64;
    return s;
}

ModelSpec qwen25_05b() {
    ModelSpec s;
    s.architecture = "qwen2";
    s.modelled = true;
    s.known = true;
    s.n_vocab = 151936;
    s.n_embd = 896;
    s.n_layer = 24;
    s.n_head = 14;
    s.n_head_kv = 2;
    s.head_dim = s.head_dim_v = 64;
    s.n_ff = 4864;
    s.rope.n_rot = 64;
    s.attention_bias = true;
    return s;
}

std::vector<std::uint64_t> shape(const Schema& schema, std::string_view name) {
    const ExpectedTensor* t = schema.find(name);
    REQUIRE_MESSAGE(t != nullptr, name);
    return t->ne;
}

using Shape = std::vector<std::uint64_t>;

}  // namespace

TEST_CASE("llama schema has TinyLlama's shapes, with grouped-query k/v") {
    const auto schema = schema_for(tinyllama());
    REQUIRE(schema);
    CHECK(shape(*schema, "token_embd.weight") == Shape{2048, 32000});
    CHECK(shape(*schema, "output.weight") == Shape{2048, 32000});
    CHECK(shape(*schema, "output_norm.weight") == Shape{2048});
    CHECK(shape(*schema, "blk.0.attn_q.weight") == Shape{2048, 2048});
    CHECK(shape(*schema, "blk.21.attn_k.weight") == Shape{2048, 256});
    CHECK(shape(*schema, "blk.21.attn_v.weight") == Shape{2048, 256});
    CHECK(shape(*schema, "blk.5.attn_output.weight") == Shape{2048, 2048});
    CHECK(shape(*schema, "blk.5.ffn_gate.weight") == Shape{2048, 5632});
    CHECK(shape(*schema, "blk.5.ffn_up.weight") == Shape{2048, 5632});
    CHECK(shape(*schema, "blk.5.ffn_down.weight") == Shape{5632, 2048});
    CHECK(shape(*schema, "rope_freqs.weight") == Shape{32});
    CHECK(schema->find("blk.22.attn_q.weight") == nullptr);
    CHECK(schema->find("output.weight")->presence == Presence::optional);
    CHECK(schema->find("token_embd.weight")->vocab_rows);
    CHECK(schema->find("blk.3.attn_q.bias")->presence == Presence::optional);
    const auto required = std::count_if(schema->tensors.begin(), schema->tensors.end(),
                                        [](const ExpectedTensor& t) { return t.presence == Presence::required; });
    CHECK(required == 2 + 22 * 9);  // token_embd, output_norm; 9 per block
}

TEST_CASE("qwen2 schema expects q/k/v biases of the projection widths") {
    const auto schema = schema_for(qwen25_05b());
    REQUIRE(schema);
    CHECK(shape(*schema, "blk.0.attn_q.weight") == Shape{896, 896});
    CHECK(shape(*schema, "blk.0.attn_k.weight") == Shape{896, 128});
    CHECK(shape(*schema, "blk.0.attn_q.bias") == Shape{896});
    CHECK(shape(*schema, "blk.23.attn_k.bias") == Shape{128});
    CHECK(shape(*schema, "blk.23.attn_v.bias") == Shape{128});
    CHECK(schema->find("blk.23.attn_v.bias")->presence == Presence::expected);
    CHECK(shape(*schema, "blk.0.ffn_down.weight") == Shape{4864, 896});
    CHECK(schema->find("blk.0.attn_output.bias") == nullptr);
    CHECK(schema->find("rope_freqs.weight") == nullptr);
}

TEST_CASE("qwen3 schema has per-head q/k norms and a head width independent of n_embd") {
    ModelSpec s = qwen25_05b();
    s.architecture = "qwen3";
    s.n_embd = 1024;
    s.n_head = 16;
    s.n_head_kv = 8;
    s.head_dim = s.head_dim_v = 128;  // Qwen3-0.6B: 16 x 128 = 2048 != n_embd
    s.n_ff = 3072;
    s.n_layer = 28;
    const auto schema = schema_for(s);
    REQUIRE(schema);
    CHECK(shape(*schema, "blk.0.attn_q.weight") == Shape{1024, 2048});
    CHECK(shape(*schema, "blk.0.attn_k.weight") == Shape{1024, 1024});
    CHECK(shape(*schema, "blk.0.attn_output.weight") == Shape{2048, 1024});
    CHECK(shape(*schema, "blk.27.attn_q_norm.weight") == Shape{128});
    CHECK(shape(*schema, "blk.27.attn_k_norm.weight") == Shape{128});
    CHECK(schema->find("blk.0.attn_q.bias") == nullptr);
}

TEST_CASE("an architecture without a schema gets none") {
    ModelSpec s = tinyllama();
    s.architecture = "gemma2";
    s.modelled = false;
    s.known = false;
    CHECK_FALSE(schema_for(s));
}

TEST_CASE("tensor names parse into layer, base and suffix") {
    const TensorName n = parse_tensor_name("blk.12.attn_norm.weight");
    CHECK(n.layer == 12);
    CHECK(n.base == "attn_norm");
    CHECK(n.suffix == "weight");
    CHECK(n.group() == "blk.*.attn_norm.weight");
    const TensorName g = parse_tensor_name("output_norm.weight");
    CHECK(g.layer == -1);
    CHECK(g.group() == "output_norm.weight");
    CHECK(parse_tensor_name("blk.x.attn_norm.weight").layer == -1);
    CHECK(role_from_name("blk.3.ffn_down.weight") == TensorRole::ffn_down);
    CHECK(role_from_name("blk.3.attn_k.bias") == TensorRole::attn_k_bias);
    CHECK(role_from_name("token_embd.weight") == TensorRole::token_embd);
    CHECK(role_from_name("blk.3.token_embd.weight") == TensorRole::other);
    CHECK(role_from_name("blk.3.mystery.weight") == TensorRole::other);
    CHECK(tensor_name(TensorRole::attn_q_norm, 7) == "blk.7.attn_q_norm.weight");
    CHECK(is_norm(TensorRole::attn_k_norm));
    CHECK(is_bias(TensorRole::output_bias));
    CHECK(is_matrix(TensorRole::ffn_up));
    // The FFN norm feeds the dense FFN, or the router and the shared expert of a mixture of experts.
    CHECK(consumers_of(TensorRole::ffn_norm) == std::vector{TensorRole::ffn_gate, TensorRole::ffn_up, TensorRole::ffn_gate_inp,
                                                            TensorRole::ffn_gate_shexp, TensorRole::ffn_up_shexp});
}

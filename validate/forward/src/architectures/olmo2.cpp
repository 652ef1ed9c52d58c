// olmo2 (src/models/olmo2.cpp): no norm before attention or the feed-forward; q and k projections
// normalized over their whole width (not per head), RoPE (OLMo 3's sliding layers unscaled), attention,
// the output projection normalized by post_attention_norm before the residual add; a SwiGLU feed-forward
// of the stream itself, normalized by post_ffw_norm before its residual add; the final norm and an
// untied lm_head.
#include "architectures.hpp"
#include "blocks.hpp"

namespace gguf::forward::architectures {
namespace {

// RoPE table 1: llama.cpp rotates the sliding layers with the global base and no context scaling
// (frequency scale 1, no YaRN ramp, magnitude 1).
int sliding_rope_table(Build& b) {
    ops::RopeParams sliding = b.arch.program.ropes[0];
    sliding.freq_scale = 1.0f;
    sliding.ext_factor = 0.0f;
    sliding.attn_factor = 1.0f;
    b.arch.program.ropes.push_back(sliding);
    return 1;
}

void olmo2_layer(Build& b, std::uint64_t il, int sliding_table) {
    const model::ModelSpec& m = b.spec;
    Scope s = b.layer(il);
    const std::uint64_t n_embd = m.n_embd, n_q = m.n_head * m.head_dim, n_k = m.n_head_kv * m.head_dim,
                        n_v = m.n_head_kv * m.head_dim_v, n_att = m.n_head * m.head_dim_v, n_ff = m.n_ff;
    const float eps = b.params.rms_eps;
    const bool sliding = m.is_sliding(il);
    WeightSet& w = s.weights;
    const int wq = b.bind.matrix(w, s.tensor("attn_q.weight"), n_embd, n_q);
    const int wk = b.bind.matrix(w, s.tensor("attn_k.weight"), n_embd, n_k);
    const int wv = b.bind.matrix(w, s.tensor("attn_v.weight"), n_embd, n_v);
    const int bq = b.bind.vector(w, s.tensor("attn_q.bias"), n_q, false);
    const int bk = b.bind.vector(w, s.tensor("attn_k.bias"), n_k, false);
    const int bv = b.bind.vector(w, s.tensor("attn_v.bias"), n_v, false);
    const int q_norm = b.bind.vector(w, s.tensor("attn_q_norm.weight"), n_q, true);
    const int k_norm = b.bind.vector(w, s.tensor("attn_k_norm.weight"), n_k, true);
    const int wo = b.bind.matrix(w, s.tensor("attn_output.weight"), n_att, n_embd);
    const int attn_post_norm = b.bind.vector(w, s.tensor("post_attention_norm.weight"), n_embd, true);
    const int gate = b.bind.matrix(w, s.tensor("ffn_gate.weight"), n_embd, n_ff);
    const int up = b.bind.matrix(w, s.tensor("ffn_up.weight"), n_embd, n_ff);
    const int down = b.bind.matrix(w, s.tensor("ffn_down.weight"), n_ff, n_embd);
    const int ffn_post_norm = b.bind.vector(w, s.tensor("post_ffw_norm.weight"), n_embd, true);
    const int rope = sliding ? sliding_table : 0;
    const ops::AttentionShape shape{m.n_head, m.n_head_kv, m.head_dim, m.head_dim_v};

    std::vector<Op>& ops = s.ops;
    ops.push_back(Linear{Slot::q, Slot::x, wq, bq});
    ops.push_back(Linear{Slot::k, Slot::x, wk, bk});
    ops.push_back(Linear{Slot::v, Slot::x, wv, bv});
    ops.push_back(RmsNorm{Slot::q, Slot::q, n_q, n_q, q_norm, eps});
    ops.push_back(RmsNorm{Slot::k, Slot::k, n_k, n_k, k_norm, eps});
    ops.push_back(Record{Slot::q, n_q, "q_proj"});
    ops.push_back(Record{Slot::k, n_k, "k_proj"});
    ops.push_back(Rope{Slot::q, m.n_head, m.head_dim, rope});
    ops.push_back(Record{Slot::q, n_q, "q"});
    ops.push_back(Rope{Slot::k, m.n_head_kv, m.head_dim, rope});
    ops.push_back(Record{Slot::k, n_k, "k"});
    ops.push_back(Record{Slot::v, n_v, "v"});
    ops.push_back(Attention{Slot::att, Slot::q, shape, b.params.kq_scale, sliding ? m.sliding_window : 0});
    ops.push_back(Record{Slot::att, n_att, "attn"});
    ops.push_back(Linear{Slot::proj, Slot::att, wo});
    ops.push_back(Record{Slot::proj, n_embd, "attn_out"});
    post_norm_residual(b, s, attn_post_norm, "attn_post_norm", "attn_residual");

    ops.push_back(Linear{Slot::gate, Slot::x, gate});
    ops.push_back(Record{Slot::gate, n_ff, "gate"});
    ops.push_back(Linear{Slot::up, Slot::x, up});
    ops.push_back(Record{Slot::up, n_ff, "up"});
    ops.push_back(SwiGlu{Slot::gate, Slot::gate, Slot::up, n_ff});
    ops.push_back(Record{Slot::gate, n_ff, "ffn_act"});
    ops.push_back(Linear{Slot::proj, Slot::gate, down});
    ops.push_back(Record{Slot::proj, n_embd, "down"});
    post_norm_residual(b, s, ffn_post_norm, "ffn_post_norm", "ffn_residual");
    b.arch.program.layers[il].k_width = n_k;
    b.arch.program.layers[il].v_width = n_v;
}

}  // namespace

void build_olmo2(Build& b) {
    if (b.bind.has("blk.0.attn_qkv.weight"))
        b.bind.reject("fused attn_qkv tensors are not supported by the reference forward pass");
    // llama.cpp's olmo2 loader requires its own lm_head.
    if (!b.bind.has("output.weight")) b.bind.reject("tensor 'output.weight' is missing");
    embed_tokens(b);
    const int sliding_table = b.spec.sliding_window > 0 ? sliding_rope_table(b) : 0;
    for (std::uint64_t il = 0; il < b.spec.n_layer; ++il) olmo2_layer(b, il, sliding_table);
    norm_and_lm_head(b, false);
}

}  // namespace gguf::forward::architectures

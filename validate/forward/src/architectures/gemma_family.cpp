#include "gemma_family.hpp"

#include "blocks.hpp"

namespace gguf::forward::architectures {
namespace {

// RoPE table 1: the sliding layers' base and scale; the rest (YaRN mix, magnitude) as the global table.
int sliding_rope_table(Build& b) {
    ops::RopeParams sliding = b.arch.program.ropes[0];
    sliding.freq_base = static_cast<float>(b.spec.rope_freq_base_swa);
    sliding.freq_scale = static_cast<float>(b.spec.rope_freq_scale_swa);
    b.arch.program.ropes.push_back(sliding);
    return 1;
}

void gemma_layer(Build& b, std::uint64_t il, int sliding_table, const GemmaBlock& block) {
    const model::ModelSpec& m = b.spec;
    Scope s = b.layer(il);
    const std::uint64_t n_embd = m.n_embd, n_q = m.n_head * m.head_dim, n_k = m.n_head_kv * m.head_dim,
                        n_v = m.n_head_kv * m.head_dim_v, n_att = m.n_head * m.head_dim_v, n_ff = m.n_ff;
    const float eps = b.params.rms_eps;
    const bool sliding = m.is_sliding(il);
    WeightSet& w = s.weights;
    const int attn_norm = b.bind.vector(w, s.tensor("attn_norm.weight"), n_embd, true);
    const int wq = b.bind.matrix(w, s.tensor("attn_q.weight"), n_embd, n_q);
    const int wk = b.bind.matrix(w, s.tensor("attn_k.weight"), n_embd, n_k);
    const int wv = b.bind.matrix(w, s.tensor("attn_v.weight"), n_embd, n_v);
    const int bq = b.bind.vector(w, s.tensor("attn_q.bias"), n_q, false);
    const int bk = b.bind.vector(w, s.tensor("attn_k.bias"), n_k, false);
    const int bv = b.bind.vector(w, s.tensor("attn_v.bias"), n_v, false);
    const int q_norm = block.qk_norm ? b.bind.vector(w, s.tensor("attn_q_norm.weight"), m.head_dim, true) : -1;
    const int k_norm = block.qk_norm ? b.bind.vector(w, s.tensor("attn_k_norm.weight"), m.head_dim, true) : -1;
    const int wo = b.bind.matrix(w, s.tensor("attn_output.weight"), n_att, n_embd);
    const int attn_post_norm = b.bind.vector(w, s.tensor("post_attention_norm.weight"), n_embd, true);
    const int ffn_norm = b.bind.vector(w, s.tensor("ffn_norm.weight"), n_embd, true);
    const int gate = b.bind.matrix(w, s.tensor("ffn_gate.weight"), n_embd, n_ff);
    const int up = b.bind.matrix(w, s.tensor("ffn_up.weight"), n_embd, n_ff);
    const int down = b.bind.matrix(w, s.tensor("ffn_down.weight"), n_ff, n_embd);
    const int ffn_post_norm = b.bind.vector(w, s.tensor("post_ffw_norm.weight"), n_embd, true);
    const int rope = sliding ? sliding_table : 0;
    const ops::AttentionShape shape{m.n_head, m.n_head_kv, m.head_dim, m.head_dim_v};

    std::vector<Op>& ops = s.ops;
    ops.push_back(RmsNorm{Slot::xn, Slot::x, n_embd, n_embd, attn_norm, eps});
    ops.push_back(Record{Slot::xn, n_embd, "attn_norm"});
    ops.push_back(Linear{Slot::q, Slot::xn, wq, bq});
    ops.push_back(Linear{Slot::k, Slot::xn, wk, bk});
    ops.push_back(Linear{Slot::v, Slot::xn, wv, bv});
    if (block.qk_norm) {
        ops.push_back(RmsNorm{Slot::q, Slot::q, n_q, m.head_dim, q_norm, eps});
        ops.push_back(RmsNorm{Slot::k, Slot::k, n_k, m.head_dim, k_norm, eps});
    }
    ops.push_back(Record{Slot::q, n_q, "q_proj"});
    ops.push_back(Record{Slot::k, n_k, "k_proj"});
    ops.push_back(Rope{Slot::q, m.n_head, m.head_dim, rope});
    ops.push_back(Record{Slot::q, n_q, "q"});
    ops.push_back(Rope{Slot::k, m.n_head_kv, m.head_dim, rope});
    ops.push_back(Record{Slot::k, n_k, "k"});
    ops.push_back(Record{Slot::v, n_v, "v"});
    // The queries carry the attention scale; the scores are not scaled again.
    ops.push_back(Scale{Slot::q, n_q, static_cast<float>(m.attention_scale)});
    ops.push_back(Attention{Slot::att, Slot::q, shape, 1.0f, sliding ? m.sliding_window : 0, block.attn_softcap});
    ops.push_back(Record{Slot::att, n_att, "attn"});
    ops.push_back(Linear{Slot::proj, Slot::att, wo});
    ops.push_back(Record{Slot::proj, n_embd, "attn_out"});
    post_norm_residual(b, s, attn_post_norm, "attn_post_norm", "attn_residual");

    ops.push_back(RmsNorm{Slot::xn, Slot::x, n_embd, n_embd, ffn_norm, eps});
    ops.push_back(Record{Slot::xn, n_embd, "ffn_norm"});
    ops.push_back(Linear{Slot::gate, Slot::xn, gate});
    ops.push_back(Record{Slot::gate, n_ff, "gate"});
    ops.push_back(Linear{Slot::up, Slot::xn, up});
    ops.push_back(Record{Slot::up, n_ff, "up"});
    ops.push_back(GeGlu{Slot::gate, Slot::gate, Slot::up, n_ff});
    ops.push_back(Record{Slot::gate, n_ff, "ffn_act"});
    ops.push_back(Linear{Slot::proj, Slot::gate, down});
    ops.push_back(Record{Slot::proj, n_embd, "down"});
    post_norm_residual(b, s, ffn_post_norm, "ffn_post_norm", "ffn_residual");
    b.arch.program.layers[il].k_width = n_k;
    b.arch.program.layers[il].v_width = n_v;
}

}  // namespace

void build_gemma_family(Build& b, const GemmaBlock& block) {
    if (b.bind.has("blk.0.attn_qkv.weight"))
        b.bind.reject("fused attn_qkv tensors are not supported by the reference forward pass");
    if (b.spec.n_main_layers() != b.spec.n_layer)
        b.bind.reject(b.spec.architecture + ": multi-token-prediction blocks are not modelled by the reference forward pass");
    embed_tokens(b);
    Scope input = b.input();
    input.ops.push_back(Scale{Slot::x, b.spec.n_embd, static_cast<float>(b.spec.embedding_scale)});
    input.ops.push_back(Record{Slot::x, b.spec.n_embd, "embedding_scaled"});

    const int sliding_table = b.spec.sliding_window > 0 ? sliding_rope_table(b) : 0;
    for (std::uint64_t il = 0; il < b.spec.n_layer; ++il) gemma_layer(b, il, sliding_table, block);

    norm_and_lm_head(b, false);
    if (b.spec.final_logit_softcapping > 0) {
        // The cap applies to the logits before their record.
        Scope output = b.output();
        const Op record = output.ops.back();
        output.ops.back() = SoftCap{Slot::logits, b.arch.weights.n_vocab, static_cast<float>(b.spec.final_logit_softcapping)};
        output.ops.push_back(record);
    }
}

}  // namespace gguf::forward::architectures

// phi3 (src/models/phi3.cpp), dense: per layer RMSNorm(attn_norm); q, k and v from one fused attn_qkv
// (rows q, then k, then v; separate projections in some files); NeoX RoPE with LongRoPE's frequency
// divisors (pass_params); queries scaled by 1/sqrt(head_dim) and attention with kq scale 1; the output
// projection and the residual add; RMSNorm(ffn_norm); a SwiGLU whose gate and up projections are the
// two halves of one ffn_up (gate rows first); ffn_down and the residual add. Then the final norm and the
// lm_head (token_embd when output.weight is absent). llama.cpp turns phi3's sliding window off.
#include <cmath>

#include "architectures.hpp"
#include "blocks.hpp"

namespace gguf::forward::architectures {
namespace {

struct Projections {
    int q, k, v, q_bias, k_bias, v_bias;
};

// q, k and v as three matrices: the row blocks of attn_qkv (and of its bias, or separate biases), or
// attn_q/k/v when the file has no fused tensor.
Projections bind_qkv(Build& b, Scope& s, std::uint64_t n_q, std::uint64_t n_k, std::uint64_t n_v) {
    const std::uint64_t n_embd = b.spec.n_embd, n_qkv = n_q + n_k + n_v;
    WeightSet& w = s.weights;
    const std::string fused = s.tensor("attn_qkv.weight");
    if (!b.bind.has(fused))
        return {b.bind.matrix(w, s.tensor("attn_q.weight"), n_embd, n_q),
                b.bind.matrix(w, s.tensor("attn_k.weight"), n_embd, n_k),
                b.bind.matrix(w, s.tensor("attn_v.weight"), n_embd, n_v),
                b.bind.vector(w, s.tensor("attn_q.bias"), n_q, false),
                b.bind.vector(w, s.tensor("attn_k.bias"), n_k, false),
                b.bind.vector(w, s.tensor("attn_v.bias"), n_v, false)};
    Projections p{b.bind.matrix_rows(w, fused, n_embd, n_qkv, 0, n_q), b.bind.matrix_rows(w, fused, n_embd, n_qkv, n_q, n_k),
                  b.bind.matrix_rows(w, fused, n_embd, n_qkv, n_q + n_k, n_v), -1, -1, -1};
    const std::string fused_bias = s.tensor("attn_qkv.bias");
    if (b.bind.has(fused_bias)) {
        p.q_bias = b.bind.vector_part(w, fused_bias, n_qkv, 0, n_q, true);
        p.k_bias = b.bind.vector_part(w, fused_bias, n_qkv, n_q, n_k, true);
        p.v_bias = b.bind.vector_part(w, fused_bias, n_qkv, n_q + n_k, n_v, true);
    } else if (b.bind.has(s.tensor("attn_q.bias")) && b.bind.has(s.tensor("attn_k.bias")) &&
               b.bind.has(s.tensor("attn_v.bias"))) {
        // llama.cpp adds separate biases to a fused product only when all three are present.
        p.q_bias = b.bind.vector(w, s.tensor("attn_q.bias"), n_q, true);
        p.k_bias = b.bind.vector(w, s.tensor("attn_k.bias"), n_k, true);
        p.v_bias = b.bind.vector(w, s.tensor("attn_v.bias"), n_v, true);
    }
    return p;
}

void phi3_layer(Build& b, std::uint64_t il) {
    const model::ModelSpec& m = b.spec;
    Scope s = b.layer(il);
    const std::uint64_t n_embd = m.n_embd, n_q = m.n_head * m.head_dim, n_k = m.n_head_kv * m.head_dim,
                        n_v = m.n_head_kv * m.head_dim_v, n_att = m.n_head * m.head_dim_v, n_ff = m.n_ff;
    const float eps = b.params.rms_eps;
    WeightSet& w = s.weights;
    const int attn_norm = b.bind.vector(w, s.tensor("attn_norm.weight"), n_embd, true);
    const Projections qkv = bind_qkv(b, s, n_q, n_k, n_v);
    const int wo = b.bind.matrix(w, s.tensor("attn_output.weight"), n_att, n_embd);
    const int ffn_norm = b.bind.vector(w, s.tensor("ffn_norm.weight"), n_embd, true);
    const int gate = b.bind.matrix_rows(w, s.tensor("ffn_up.weight"), n_embd, 2 * n_ff, 0, n_ff);
    const int up = b.bind.matrix_rows(w, s.tensor("ffn_up.weight"), n_embd, 2 * n_ff, n_ff, n_ff);
    const int down = b.bind.matrix(w, s.tensor("ffn_down.weight"), n_ff, n_embd);
    const ops::AttentionShape shape{m.n_head, m.n_head_kv, m.head_dim, m.head_dim_v};

    std::vector<Op>& ops = s.ops;
    ops.push_back(RmsNorm{Slot::xn, Slot::x, n_embd, n_embd, attn_norm, eps});
    ops.push_back(Record{Slot::xn, n_embd, "attn_norm"});
    ops.push_back(Linear{Slot::q, Slot::xn, qkv.q, qkv.q_bias});
    ops.push_back(Linear{Slot::k, Slot::xn, qkv.k, qkv.k_bias});
    ops.push_back(Linear{Slot::v, Slot::xn, qkv.v, qkv.v_bias});
    ops.push_back(Record{Slot::q, n_q, "q_proj"});
    ops.push_back(Record{Slot::k, n_k, "k_proj"});
    ops.push_back(Rope{Slot::q, m.n_head, m.head_dim, 0});
    ops.push_back(Record{Slot::q, n_q, "q"});
    ops.push_back(Rope{Slot::k, m.n_head_kv, m.head_dim, 0});
    ops.push_back(Record{Slot::k, n_k, "k"});
    ops.push_back(Record{Slot::v, n_v, "v"});
    // The queries carry the attention scale; the scores are not scaled again.
    ops.push_back(Scale{Slot::q, n_q, 1.0f / std::sqrt(static_cast<float>(m.head_dim))});
    ops.push_back(Attention{Slot::att, Slot::q, shape, 1.0f});
    ops.push_back(Record{Slot::att, n_att, "attn"});
    ops.push_back(Linear{Slot::proj, Slot::att, wo});
    ops.push_back(Record{Slot::proj, n_embd, "attn_out"});
    ops.push_back(Add{Slot::x, Slot::x, Slot::proj, n_embd});
    ops.push_back(Record{Slot::x, n_embd, "attn_residual"});

    ops.push_back(RmsNorm{Slot::xn, Slot::x, n_embd, n_embd, ffn_norm, eps});
    ops.push_back(Record{Slot::xn, n_embd, "ffn_norm"});
    ops.push_back(Linear{Slot::gate, Slot::xn, gate});
    ops.push_back(Record{Slot::gate, n_ff, "gate"});
    ops.push_back(Linear{Slot::up, Slot::xn, up});
    ops.push_back(Record{Slot::up, n_ff, "up"});
    ops.push_back(SwiGlu{Slot::gate, Slot::gate, Slot::up, n_ff});
    ops.push_back(Record{Slot::gate, n_ff, "ffn_act"});
    ops.push_back(Linear{Slot::proj, Slot::gate, down});
    ops.push_back(Record{Slot::proj, n_embd, "down"});
    ops.push_back(Add{Slot::x, Slot::x, Slot::proj, n_embd});
    ops.push_back(Record{Slot::x, n_embd, "ffn_residual"});
    b.arch.program.layers[il].k_width = n_k;
    b.arch.program.layers[il].v_width = n_v;
}

}  // namespace

void build_phi3(Build& b) {
    if (b.model.get_u64(b.spec.architecture + ".expert_count").value_or(0) > 0)
        b.bind.reject("mixture-of-experts models are not supported by the reference forward pass");
    embed_tokens(b);
    for (std::uint64_t il = 0; il < b.spec.n_layer; ++il) phi3_layer(b, il);
    norm_and_lm_head(b, false);
}

}  // namespace gguf::forward::architectures

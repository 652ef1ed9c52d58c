#include "blocks.hpp"

namespace gguf::forward::architectures {

void embed_tokens(Build& b) {
    Scope s = b.input();
    const int table = b.bind.matrix(s.weights, "token_embd.weight", b.spec.n_embd, b.arch.weights.n_vocab);
    s.ops.push_back(Embed{Slot::x, table});
    s.ops.push_back(Record{Slot::x, b.spec.n_embd, "embedding"});
}

void norm_and_lm_head(Build& b, bool output_bias) {
    Scope s = b.output();
    const std::uint64_t n_embd = b.spec.n_embd, n_vocab = b.arch.weights.n_vocab;
    const int norm = b.bind.vector(s.weights, "output_norm.weight", n_embd, true);
    const int head = b.bind.has("output.weight") ? b.bind.matrix(s.weights, "output.weight", n_embd, n_vocab) : 0;
    const int bias = output_bias ? b.bind.vector(s.weights, "output.bias", n_vocab, false) : -1;
    s.ops.push_back(RmsNorm{Slot::xn, Slot::x, n_embd, n_embd, norm, b.params.rms_eps});
    s.ops.push_back(Record{Slot::xn, n_embd, "output_norm"});
    s.ops.push_back(Linear{Slot::logits, Slot::xn, head, bias});
    s.ops.push_back(Record{Slot::logits, n_vocab, "logits"});
}

void pre_norm_attention(Build& b, std::uint64_t il, const AttentionTensors& tensors) {
    const model::ModelSpec& m = b.spec;
    Scope s = b.layer(il);
    const std::uint64_t n_embd = m.n_embd, n_q = m.n_head * m.head_dim, n_k = m.n_head_kv * m.head_dim,
                        n_v = m.n_head_kv * m.head_dim_v, n_att = m.n_head * m.head_dim_v;
    const float eps = b.params.rms_eps;
    WeightSet& w = s.weights;
    const int norm = b.bind.vector(w, s.tensor("attn_norm.weight"), n_embd, true);
    const int wq = b.bind.matrix(w, s.tensor("attn_q.weight"), n_embd, n_q);
    const int wk = b.bind.matrix(w, s.tensor("attn_k.weight"), n_embd, n_k);
    const int wv = b.bind.matrix(w, s.tensor("attn_v.weight"), n_embd, n_v);
    const int wo = b.bind.matrix(w, s.tensor("attn_output.weight"), n_att, n_embd);
    const int bq = b.bind.vector(w, s.tensor("attn_q.bias"), n_q, false);
    const int bk = b.bind.vector(w, s.tensor("attn_k.bias"), n_k, false);
    const int bv = b.bind.vector(w, s.tensor("attn_v.bias"), n_v, false);
    const int bo = tensors.output_bias ? b.bind.vector(w, s.tensor("attn_output.bias"), n_embd, false) : -1;

    s.ops.push_back(RmsNorm{Slot::xn, Slot::x, n_embd, n_embd, norm, eps});
    s.ops.push_back(Record{Slot::xn, n_embd, "attn_norm"});
    s.ops.push_back(Linear{Slot::q, Slot::xn, wq, bq});
    s.ops.push_back(Linear{Slot::k, Slot::xn, wk, bk});
    s.ops.push_back(Linear{Slot::v, Slot::xn, wv, bv});
    if (tensors.qk_norm) {
        const int q_norm = b.bind.vector(w, s.tensor("attn_q_norm.weight"), m.head_dim, true);
        const int k_norm = b.bind.vector(w, s.tensor("attn_k_norm.weight"), m.head_dim, true);
        s.ops.push_back(RmsNorm{Slot::q, Slot::q, n_q, m.head_dim, q_norm, eps});
        s.ops.push_back(RmsNorm{Slot::k, Slot::k, n_k, m.head_dim, k_norm, eps});
    }
    s.ops.push_back(Record{Slot::q, n_q, "q_proj"});
    s.ops.push_back(Record{Slot::k, n_k, "k_proj"});
    if (tensors.rope) s.ops.push_back(Rope{Slot::q, m.n_head, m.head_dim, tensors.rope_table});
    s.ops.push_back(Record{Slot::q, n_q, "q"});
    if (tensors.rope) s.ops.push_back(Rope{Slot::k, m.n_head_kv, m.head_dim, tensors.rope_table});
    s.ops.push_back(Record{Slot::k, n_k, "k"});
    s.ops.push_back(Record{Slot::v, n_v, "v"});
    const ops::AttentionShape shape{m.n_head, m.n_head_kv, m.head_dim, m.head_dim_v};
    if (tensors.temperature_scale != 0.0f)
        s.ops.push_back(Temperature{Slot::q, n_q, tensors.temperature_scale, tensors.temperature_interval});
    const float kq_scale = tensors.kq_scale != 0.0f ? tensors.kq_scale : b.params.kq_scale;
    const int sinks = tensors.sinks ? b.bind.vector(w, s.tensor("attn_sinks.weight"), m.n_head, true) : -1;
    s.ops.push_back(Attention{Slot::att, Slot::q, shape, kq_scale, tensors.window, 0.0f, sinks});
    s.ops.push_back(Record{Slot::att, n_att, "attn"});
    s.ops.push_back(Linear{Slot::proj, Slot::att, wo, bo});
    s.ops.push_back(Record{Slot::proj, n_embd, "attn_out"});
    if (tensors.residual_scale != 1.0f) s.ops.push_back(Scale{Slot::proj, n_embd, tensors.residual_scale});
    s.ops.push_back(Add{Slot::x, Slot::x, Slot::proj, n_embd});
    s.ops.push_back(Record{Slot::x, n_embd, "attn_residual"});
    b.arch.program.layers[il].k_width = n_k;
    b.arch.program.layers[il].v_width = n_v;
}

void pre_norm_swiglu_ffn(Build& b, std::uint64_t il, bool biases, std::string_view norm_weight, float residual_scale) {
    const model::ModelSpec& m = b.spec;
    Scope s = b.layer(il);
    const std::uint64_t n_embd = m.n_embd, n_ff = m.n_ff;
    WeightSet& w = s.weights;
    const int norm = b.bind.vector(w, s.tensor(norm_weight), n_embd, true);
    const int gate = b.bind.matrix(w, s.tensor("ffn_gate.weight"), n_embd, n_ff);
    const int up = b.bind.matrix(w, s.tensor("ffn_up.weight"), n_embd, n_ff);
    const int down = b.bind.matrix(w, s.tensor("ffn_down.weight"), n_ff, n_embd);
    const int b_gate = biases ? b.bind.vector(w, s.tensor("ffn_gate.bias"), n_ff, false) : -1;
    const int b_up = biases ? b.bind.vector(w, s.tensor("ffn_up.bias"), n_ff, false) : -1;
    const int b_down = biases ? b.bind.vector(w, s.tensor("ffn_down.bias"), n_embd, false) : -1;

    s.ops.push_back(RmsNorm{Slot::xn, Slot::x, n_embd, n_embd, norm, b.params.rms_eps});
    s.ops.push_back(Record{Slot::xn, n_embd, "ffn_norm"});
    s.ops.push_back(Linear{Slot::gate, Slot::xn, gate, b_gate});
    s.ops.push_back(Record{Slot::gate, n_ff, "gate"});
    s.ops.push_back(Linear{Slot::up, Slot::xn, up, b_up});
    s.ops.push_back(Record{Slot::up, n_ff, "up"});
    s.ops.push_back(SwiGlu{Slot::gate, Slot::gate, Slot::up, n_ff});
    s.ops.push_back(Record{Slot::gate, n_ff, "ffn_act"});
    s.ops.push_back(Linear{Slot::proj, Slot::gate, down, b_down});
    s.ops.push_back(Record{Slot::proj, n_embd, "down"});
    if (residual_scale != 1.0f) s.ops.push_back(Scale{Slot::proj, n_embd, residual_scale});
    s.ops.push_back(Add{Slot::x, Slot::x, Slot::proj, n_embd});
    s.ops.push_back(Record{Slot::x, n_embd, "ffn_residual"});
}

void post_norm_residual(Build& b, Scope& s, int norm, std::string_view norm_record, std::string_view residual_record) {
    const std::uint64_t n_embd = b.spec.n_embd;
    s.ops.push_back(RmsNorm{Slot::proj, Slot::proj, n_embd, n_embd, norm, b.params.rms_eps});
    s.ops.push_back(Record{Slot::proj, n_embd, std::string(norm_record)});
    s.ops.push_back(Add{Slot::x, Slot::x, Slot::proj, n_embd});
    s.ops.push_back(Record{Slot::x, n_embd, std::string(residual_record)});
}

}  // namespace gguf::forward::architectures

// gemma4 (src/models/gemma4.cpp), dense blocks: embeddings scaled by sqrt(n_embd); per-layer inputs (a
// second embedding table scaled by sqrt(n_embd_per_layer), plus the scaled embedding projected onto
// it, scaled by 1/sqrt(n_embd) and RMS-normed per block, the sum scaled by 1/sqrt(2)). Per block: RMSNorm;
// q, k, v with per-head q and k norms and an unweighted per-head v norm; RoPE (sliding layers: their own
// base, head size and rotated dims; global layers: rope_freqs factors that leave part of each head
// unrotated); unscaled attention (a window on sliding layers); the last shared_kv_layers blocks compute
// only q and attend over the cache of the last earlier block of their kind. Then post_attention_norm
// and the residual add, the GELU-gated FFN between ffn_norm and post_ffw_norm and its residual add, the
// per-layer input (GELU(inp_gate x) * this block's input, projected back, post_norm, residual add), and
// the block's output scalar. Then the final norm, the lm_head and the optional final soft-cap. Head
// counts are each block's (attention.head_count / head_count_kv may be per-block arrays).
#include <cmath>

#include "architectures.hpp"
#include "blocks.hpp"

namespace gguf::forward::architectures {
namespace {

struct Gemma4Tables {
    int global = 0;   // program.ropes[0] with rope_freqs as its frequency factors
    int sliding = 0;  // the sliding layers' base and rotated dims, no factors
};

Gemma4Tables rope_tables(Build& b) {
    const model::ModelSpec& m = b.spec;
    Gemma4Tables t;
    bool any_global = false, any_sliding = false;
    for (std::uint64_t il = 0; il < m.n_layer; ++il) (m.is_sliding(il) ? any_sliding : any_global) = true;
    if (any_global) {
        WeightSet& globals = b.arch.weights.globals;
        const int factors = b.bind.vector(globals, "rope_freqs.weight", b.params.rope.n_rot / 2, true);
        if (factors >= 0) b.arch.program.ropes[0].freq_factors = globals.vectors[static_cast<std::size_t>(factors)].values;
    }
    if (any_sliding) {
        ops::RopeParams sliding = b.params.rope;
        sliding.n_rot = m.n_rot_swa ? m.n_rot_swa : b.params.rope.n_rot;
        sliding.freq_base = static_cast<float>(m.rope_freq_base_swa);
        sliding.freq_scale = static_cast<float>(m.rope_freq_scale_swa);
        sliding.freq_factors.clear();
        b.arch.program.ropes.push_back(sliding);
        t.sliding = static_cast<int>(b.arch.program.ropes.size()) - 1;
    }
    return t;
}

// x[t] -> per_layer[t]: every block's per-layer input, n_embd_per_layer values per block in block order.
void per_layer_inputs(Build& b) {
    const model::ModelSpec& m = b.spec;
    Scope s = b.input();
    const std::uint64_t n_pl = m.n_embd_per_layer, width = n_pl * m.n_layer;
    const int table = b.bind.matrix(s.weights, "per_layer_token_embd.weight", width, b.arch.weights.n_vocab);
    const int proj = b.bind.matrix(s.weights, "per_layer_model_proj.weight", m.n_embd, width);
    const int norm = b.bind.vector(s.weights, "per_layer_proj_norm.weight", n_pl, true);
    s.ops.push_back(Embed{Slot::per_layer, table});
    s.ops.push_back(Scale{Slot::per_layer, width, std::sqrt(static_cast<float>(n_pl))});
    s.ops.push_back(Linear{Slot::fused, Slot::x, proj});
    s.ops.push_back(Scale{Slot::fused, width, 1.0f / std::sqrt(static_cast<float>(m.n_embd))});
    s.ops.push_back(RmsNorm{Slot::fused, Slot::fused, width, n_pl, norm, b.params.rms_eps});
    s.ops.push_back(Add{Slot::per_layer, Slot::fused, Slot::per_layer, width});
    s.ops.push_back(Scale{Slot::per_layer, width, 1.0f / std::sqrt(2.0f)});
    s.ops.push_back(Record{Slot::per_layer, width, "per_layer_inputs"});
}

void gemma4_attention(Build& b, std::uint64_t il, const Gemma4Tables& tables) {
    const model::ModelSpec& m = b.spec;
    Scope s = b.layer(il);
    const std::uint64_t d = m.layer_head_dim(il), n_embd = m.n_embd, n_head = m.layer_n_head(il),
                        n_head_kv = m.layer_n_head_kv(il), n_q = n_head * d, n_kv = n_head_kv * d;
    const float eps = b.params.rms_eps;
    const bool sliding = m.is_sliding(il), own_kv = m.kv_source(il) == il;
    const int rope = sliding ? tables.sliding : tables.global;
    WeightSet& w = s.weights;
    std::vector<Op>& ops = s.ops;
    const int attn_norm = b.bind.vector(w, s.tensor("attn_norm.weight"), n_embd, true);
    const int wq = b.bind.matrix(w, s.tensor("attn_q.weight"), n_embd, n_q);
    const int q_norm = b.bind.vector(w, s.tensor("attn_q_norm.weight"), d, true);
    const int wo = b.bind.matrix(w, s.tensor("attn_output.weight"), n_q, n_embd);
    const int post_norm = b.bind.vector(w, s.tensor("post_attention_norm.weight"), n_embd, true);

    ops.push_back(RmsNorm{Slot::xn, Slot::x, n_embd, n_embd, attn_norm, eps});
    ops.push_back(Record{Slot::xn, n_embd, "attn_norm"});
    ops.push_back(Linear{Slot::q, Slot::xn, wq});
    ops.push_back(RmsNorm{Slot::q, Slot::q, n_q, d, q_norm, eps});
    ops.push_back(Record{Slot::q, n_q, "q_proj"});
    ops.push_back(Rope{Slot::q, n_head, d, rope});
    ops.push_back(Record{Slot::q, n_q, "q"});
    if (own_kv) {
        const int wk = b.bind.matrix(w, s.tensor("attn_k.weight"), n_embd, n_kv);
        // Without attn_v the keys' projection serves as values (llama.cpp's use_alternative_attention).
        const int wv = b.bind.has(s.tensor("attn_v.weight")) ? b.bind.matrix(w, s.tensor("attn_v.weight"), n_embd, n_kv) : wk;
        const int k_norm = b.bind.vector(w, s.tensor("attn_k_norm.weight"), d, true);
        // The values' norm has no gain: a unit vector keeps RmsNorm's two roundings exact.
        w.vectors.push_back({"(unit gain of the value norm)", std::vector<float>(d, 1.0f)});
        const int v_norm = static_cast<int>(w.vectors.size()) - 1;
        ops.push_back(Linear{Slot::k, Slot::xn, wk});
        ops.push_back(Linear{Slot::v, Slot::xn, wv});
        ops.push_back(RmsNorm{Slot::k, Slot::k, n_kv, d, k_norm, eps});
        ops.push_back(RmsNorm{Slot::v, Slot::v, n_kv, d, v_norm, eps});
        ops.push_back(Record{Slot::k, n_kv, "k_proj"});
        ops.push_back(Rope{Slot::k, n_head_kv, d, rope});
        ops.push_back(Record{Slot::k, n_kv, "k"});
        ops.push_back(Record{Slot::v, n_kv, "v"});
        b.arch.program.layers[il].k_width = n_kv;
        b.arch.program.layers[il].v_width = n_kv;
    }
    // The q/k/v norms stand in for the query scale: the scores are not scaled (llama.cpp's scale 1).
    Attention attention{Slot::att, Slot::q, {n_head, n_head_kv, d, d}, 1.0f, sliding ? m.sliding_window : 0};
    if (!own_kv) attention.kv_layer = static_cast<std::int32_t>(m.kv_source(il));
    ops.push_back(attention);
    ops.push_back(Record{Slot::att, n_q, "attn"});
    ops.push_back(Linear{Slot::proj, Slot::att, wo});
    ops.push_back(Record{Slot::proj, n_embd, "attn_out"});
    post_norm_residual(b, s, post_norm, "attn_post_norm", "attn_residual");
}

void gemma4_ffn(Build& b, std::uint64_t il) {
    const model::ModelSpec& m = b.spec;
    Scope s = b.layer(il);
    const std::uint64_t n_embd = m.n_embd, n_ff = m.layer_n_ff(il);
    const float eps = b.params.rms_eps;
    WeightSet& w = s.weights;
    std::vector<Op>& ops = s.ops;
    const int ffn_norm = b.bind.vector(w, s.tensor("ffn_norm.weight"), n_embd, true);
    const int gate = b.bind.matrix(w, s.tensor("ffn_gate.weight"), n_embd, n_ff);
    const int up = b.bind.matrix(w, s.tensor("ffn_up.weight"), n_embd, n_ff);
    const int down = b.bind.matrix(w, s.tensor("ffn_down.weight"), n_ff, n_embd);
    const int post_norm = b.bind.vector(w, s.tensor("post_ffw_norm.weight"), n_embd, true);
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
    post_norm_residual(b, s, post_norm, "ffn_post_norm", "ffn_residual");
}

// x += post_norm(proj(GELU(inp_gate x) * per_layer[block il])), then x *= the block's output scalar.
void gemma4_block_end(Build& b, std::uint64_t il) {
    const model::ModelSpec& m = b.spec;
    Scope s = b.layer(il);
    const std::uint64_t n_embd = m.n_embd, n_pl = m.n_embd_per_layer;
    WeightSet& w = s.weights;
    std::vector<Op>& ops = s.ops;
    if (n_pl > 0) {
        const int gate = b.bind.matrix(w, s.tensor("inp_gate.weight"), n_embd, n_pl);
        const int proj = b.bind.matrix(w, s.tensor("proj.weight"), n_pl, n_embd);
        const int norm = b.bind.vector(w, s.tensor("post_norm.weight"), n_embd, true);
        ops.push_back(Linear{Slot::gate, Slot::x, gate});
        ops.push_back(Slice{Slot::up, Slot::per_layer, n_pl * m.n_layer, il * n_pl, n_pl});
        ops.push_back(GeGlu{Slot::gate, Slot::gate, Slot::up, n_pl});
        ops.push_back(Record{Slot::gate, n_pl, "per_layer_gate"});
        ops.push_back(Linear{Slot::proj, Slot::gate, proj});
        post_norm_residual(b, s, norm, "per_layer_out", "per_layer_residual");
    }
    const int scale = b.bind.vector(w, s.tensor("layer_output_scale.weight"), 1, false);
    if (scale >= 0) {
        ops.push_back(Scale{Slot::x, n_embd, w.vectors[static_cast<std::size_t>(scale)].values[0]});
        ops.push_back(Record{Slot::x, n_embd, "layer_out_scaled"});
    }
}

}  // namespace

void build_gemma4(Build& b) {
    const model::ModelSpec& m = b.spec;
    if (b.bind.has("blk.0.attn_qkv.weight"))
        b.bind.reject("gemma4: fused attn_qkv tensors are not supported by the reference forward pass");
    for (std::uint64_t il = 0; il < m.n_layer; ++il)
        if (b.bind.has("blk." + std::to_string(il) + ".ffn_gate_inp.weight")) {
            b.bind.reject("gemma4: the mixture-of-experts blocks (26B-A4B) are not modelled by the reference forward pass");
            return;
        }
    if (m.n_main_layers() != m.n_layer)
        b.bind.reject("gemma4: multi-token-prediction blocks are not modelled by the reference forward pass");
    if (m.head_dim_swa == 0 || (m.n_rot_swa != 0 && (m.n_rot_swa % 2 != 0 || m.n_rot_swa > m.head_dim_swa)))
        b.bind.reject("gemma4: rope.dimension_count_swa must be even and at most attention.key_length_swa");
    for (std::uint64_t il = 0; il < m.n_layer; ++il) {
        const std::uint64_t n_head = m.layer_n_head(il), n_head_kv = m.layer_n_head_kv(il);
        const std::string block = "gemma4: block " + std::to_string(il);
        if (n_head_kv == 0 || n_head % n_head_kv != 0)
            b.bind.reject(block + ": attention.head_count " + std::to_string(n_head) +
                          " is not a multiple of attention.head_count_kv " + std::to_string(n_head_kv));
        // A shared-KV block reads the cache of its source with its own head count (llama.cpp's view of
        // that cache); a different count would read it misshapen.
        if (m.kv_source(il) != il && n_head_kv != m.layer_n_head_kv(m.kv_source(il)))
            b.bind.reject(block + " reads the KV cache of block " + std::to_string(m.kv_source(il)) +
                          ", which has another attention.head_count_kv");
    }

    embed_tokens(b);
    Scope input = b.input();
    input.ops.push_back(Scale{Slot::x, m.n_embd, static_cast<float>(m.embedding_scale)});
    input.ops.push_back(Record{Slot::x, m.n_embd, "embedding_scaled"});
    if (m.n_embd_per_layer > 0) per_layer_inputs(b);

    const Gemma4Tables tables = rope_tables(b);
    for (std::uint64_t il = 0; il < m.n_layer; ++il) {
        gemma4_attention(b, il, tables);
        gemma4_ffn(b, il);
        gemma4_block_end(b, il);
    }

    norm_and_lm_head(b, false);
    if (m.final_logit_softcapping > 0) {
        // The cap applies to the logits before their record.
        Scope output = b.output();
        const Op record = output.ops.back();
        output.ops.back() = SoftCap{Slot::logits, b.arch.weights.n_vocab, static_cast<float>(m.final_logit_softcapping)};
        output.ops.push_back(record);
    }
}

}  // namespace gguf::forward::architectures

// gemma4's tensors as llama.cpp's loader names and shapes them (src/models/gemma4.cpp): per-layer
// input tables, the global layers' RoPE frequency factors, and blocks whose head size depends on their
// kind. Dense blocks only; the MoE variant (26B-A4B) is not generated.
#include "tensor_plan.hpp"

namespace gguf::samples::detail {

bool gemma4_sliding(const ModelConfig& c, std::uint32_t layer) {
    const std::uint32_t period = c.sliding_window_pattern;
    return c.sliding_window != 0 && (period == 0 || layer % period < period - 1);
}

bool gemma4_has_kv(const ModelConfig& c, std::uint32_t layer) { return layer + c.n_layer_kv_shared < c.n_layer; }

std::uint32_t gemma4_n_head_kv(const ModelConfig& c, std::uint32_t layer) {
    return c.n_head_kv_global != 0 && !gemma4_sliding(c, layer) ? c.n_head_kv_global : c.n_head_kv;
}

std::uint64_t gemma4_n_ff(const ModelConfig& c, std::uint32_t layer) {
    return c.double_wide_shared_mlp && !gemma4_has_kv(c, layer) ? 2 * std::uint64_t{c.n_ff} : c.n_ff;
}

std::vector<PlannedTensor> layout_gemma4(const ModelConfig& c) {
    const std::uint64_t n_embd = c.n_embd, n_vocab = c.n_vocab, n_pl = c.n_embd_per_layer;
    std::vector<PlannedTensor> out;
    auto add = [&](std::string name, Role role, int layer, std::vector<std::uint64_t> ne) {
        const std::uint32_t type = keeps_f32(role) ? static_cast<std::uint32_t>(TypeId::F32) : matrix_type(c, role, name);
        out.push_back({std::move(name), role, layer, type, std::move(ne)});
    };

    add("token_embd.weight", Role::token_embd, -1, {n_embd, n_vocab});
    if (n_pl != 0) {
        add("per_layer_token_embd.weight", Role::per_layer_token_embd, -1, {n_pl * c.n_layer, n_vocab});
        add("per_layer_model_proj.weight", Role::per_layer_model_proj, -1, {n_embd, n_pl * c.n_layer});
        add("per_layer_proj_norm.weight", Role::per_layer_proj_norm, -1, {n_pl});
    }
    bool any_global = false;
    for (std::uint32_t i = 0; i < c.n_layer; ++i) any_global = any_global || !gemma4_sliding(c, i);
    if (any_global) add("rope_freqs.weight", Role::rope_freqs, -1, {c.head_dim / 2});

    for (std::uint32_t i = 0; i < c.n_layer; ++i) {
        const int l = static_cast<int>(i);
        const std::string blk = "blk." + std::to_string(i) + ".";
        const std::uint64_t head = gemma4_sliding(c, i) ? c.head_dim_swa : c.head_dim;
        const std::uint64_t q_dim = c.n_head * head, kv_dim = gemma4_n_head_kv(c, i) * head, n_ff = gemma4_n_ff(c, i);
        add(blk + "attn_norm.weight", Role::attn_norm, l, {n_embd});
        add(blk + "attn_q.weight", Role::attn_q, l, {n_embd, q_dim});
        add(blk + "attn_q_norm.weight", Role::attn_q_norm, l, {head});
        if (gemma4_has_kv(c, i)) {
            add(blk + "attn_k.weight", Role::attn_k, l, {n_embd, kv_dim});
            add(blk + "attn_v.weight", Role::attn_v, l, {n_embd, kv_dim});
            add(blk + "attn_k_norm.weight", Role::attn_k_norm, l, {head});
        }
        add(blk + "attn_output.weight", Role::attn_output, l, {q_dim, n_embd});
        add(blk + "post_attention_norm.weight", Role::attn_post_norm, l, {n_embd});
        add(blk + "ffn_norm.weight", Role::ffn_norm, l, {n_embd});
        add(blk + "ffn_gate.weight", Role::ffn_gate, l, {n_embd, n_ff});
        add(blk + "ffn_up.weight", Role::ffn_up, l, {n_embd, n_ff});
        add(blk + "ffn_down.weight", Role::ffn_down, l, {n_ff, n_embd});
        add(blk + "post_ffw_norm.weight", Role::ffn_post_norm, l, {n_embd});
        if (n_pl != 0) {
            add(blk + "inp_gate.weight", Role::per_layer_inp_gate, l, {n_embd, n_pl});
            add(blk + "proj.weight", Role::per_layer_proj, l, {n_pl, n_embd});
            add(blk + "post_norm.weight", Role::per_layer_post_norm, l, {n_embd});
        }
        add(blk + "layer_output_scale.weight", Role::layer_output_scale, l, {1});
    }
    add("output_norm.weight", Role::output_norm, -1, {n_embd});
    if (!c.tied_output) add("output.weight", Role::output, -1, {n_embd, n_vocab});
    return out;
}

}  // namespace gguf::samples::detail

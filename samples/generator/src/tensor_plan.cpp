#include "tensor_plan.hpp"

namespace gguf::samples::detail {
namespace {

constexpr std::uint32_t f32 = static_cast<std::uint32_t>(TypeId::F32);

}  // namespace

std::uint32_t matrix_type(const ModelConfig& c, Role role, const std::string& name) {
    if (auto it = c.types.per_tensor.find(name); it != c.types.per_tensor.end()) return it->second;
    switch (role) {
        case Role::token_embd: case Role::per_layer_token_embd: return c.types.token_embd;
        case Role::output: return c.types.output;
        case Role::attn_q: return c.types.attn_q;
        case Role::attn_k: return c.types.attn_k;
        case Role::attn_v: return c.types.attn_v;
        case Role::attn_output: return c.types.attn_output;
        case Role::ffn_gate: return c.types.ffn_gate;
        case Role::ffn_up: case Role::per_layer_model_proj: case Role::per_layer_inp_gate: case Role::per_layer_proj:
            return c.types.ffn_up;
        case Role::ffn_down: return c.types.ffn_down;
        case Role::attn_qkv: case Role::attn_gate: case Role::ssm_alpha: case Role::ssm_beta: case Role::ssm_out:
            return c.types.ssm;
        case Role::ffn_gate_exps: case Role::ffn_up_exps: case Role::ffn_down_exps: return c.types.ffn_exps;
        case Role::ffn_gate_shexp: case Role::ffn_up_shexp: case Role::ffn_down_shexp: return c.types.ffn_shexp;
        default: return f32;
    }
}

bool is_vector(Role role) {
    switch (role) {
        case Role::output_norm: case Role::attn_norm: case Role::ffn_norm: case Role::attn_q_norm:
        case Role::attn_k_norm: case Role::attn_q_bias: case Role::attn_k_bias: case Role::attn_v_bias:
        case Role::attn_post_norm: case Role::ffn_post_norm: case Role::ssm_dt_bias: case Role::ssm_a:
        case Role::ssm_norm: case Role::ffn_gate_inp_shexp: case Role::attn_output_bias: case Role::attn_sinks:
        case Role::ffn_gate_inp_bias: case Role::rope_factors_long: case Role::rope_factors_short:
        case Role::per_layer_proj_norm: case Role::rope_freqs:
        case Role::per_layer_post_norm: case Role::layer_output_scale:
            return true;
        default:
            return false;
    }
}

bool keeps_f32(Role role) {
    return is_vector(role) || role == Role::ssm_conv1d || role == Role::ffn_gate_inp || role == Role::ffn_gate_exps_bias ||
           role == Role::ffn_up_exps_bias || role == Role::ffn_down_exps_bias;
}

Result<std::vector<PlannedTensor>> plan(const ModelConfig& c) {
    if (auto ok = validate(c); !ok) return ok.error();
    return layout(c);
}

std::vector<PlannedTensor> layout(const ModelConfig& c) {
    const std::uint64_t n_embd = c.n_embd, n_vocab = c.n_vocab, n_ff = c.n_ff;
    const std::uint64_t q_dim = std::uint64_t{c.n_head} * c.head_dim;
    const std::uint64_t kv_dim = std::uint64_t{c.n_head_kv} * c.head_dim;

    std::vector<PlannedTensor> out;
    auto add = [&](std::string name, Role role, int layer, std::vector<std::uint64_t> ne) {
        const std::uint32_t type = keeps_f32(role) ? f32 : matrix_type(c, role, name);
        out.push_back({std::move(name), role, layer, type, std::move(ne)});
    };

    const Architecture a = c.architecture;
    if (a == Architecture::gemma4) return layout_gemma4(c);
    const bool qwen35 = a == Architecture::qwen35 || a == Architecture::qwen35moe;
    const bool gpt_oss = a == Architecture::gpt_oss;
    const bool moe = a == Architecture::qwen35moe || a == Architecture::qwen3moe || a == Architecture::qwen2moe || gpt_oss;
    const bool qk_norm = a == Architecture::qwen3 || a == Architecture::qwen3moe || a == Architecture::gemma3;
    const bool gemma3 = a == Architecture::gemma3;
    const bool gemma2 = a == Architecture::gemma2;
    const bool olmo2 = a == Architecture::olmo2;
    const bool phi3 = a == Architecture::phi3;
    const bool post_attn_norm = qwen35 || gemma3 || gemma2 || olmo2 || a == Architecture::gpt_oss;
    const bool post_ffn_norm = gemma3 || gemma2 || olmo2;
    // qwen35's full-attention q projection carries a gate half per head.
    const std::uint64_t q_out = qwen35 ? 2 * q_dim : q_dim;
    const std::uint64_t key_dim = std::uint64_t{c.ssm_d_state} * c.ssm_n_group;
    const std::uint64_t value_dim = std::uint64_t{c.ssm_d_state} * c.ssm_dt_rank;
    const std::uint64_t conv_channels = 2 * key_dim + value_dim;

    add("token_embd.weight", Role::token_embd, -1, {n_embd, n_vocab});
    if (c.longrope_attn_factor != 0.0f) {
        const std::uint64_t n_pairs = (c.n_rot ? c.n_rot : c.head_dim) / 2;
        add("rope_factors_long.weight", Role::rope_factors_long, -1, {n_pairs});
        add("rope_factors_short.weight", Role::rope_factors_short, -1, {n_pairs});
    }
    for (std::uint32_t i = 0; i < c.n_layer; ++i) {
        const int l = static_cast<int>(i);
        const std::string blk = "blk." + std::to_string(i) + ".";
        const bool recurrent = qwen35 && c.full_attention_interval != 0 && (i + 1) % c.full_attention_interval != 0;
        if (!olmo2) add(blk + "attn_norm.weight", Role::attn_norm, l, {n_embd});
        if (recurrent) {
            add(blk + "attn_qkv.weight", Role::attn_qkv, l, {n_embd, conv_channels});
            add(blk + "attn_gate.weight", Role::attn_gate, l, {n_embd, value_dim});
            add(blk + "ssm_conv1d.weight", Role::ssm_conv1d, l, {c.ssm_d_conv, conv_channels});
            add(blk + "ssm_dt.bias", Role::ssm_dt_bias, l, {c.ssm_dt_rank});
            add(blk + "ssm_a", Role::ssm_a, l, {c.ssm_dt_rank});
            add(blk + "ssm_beta.weight", Role::ssm_beta, l, {n_embd, c.ssm_dt_rank});
            add(blk + "ssm_alpha.weight", Role::ssm_alpha, l, {n_embd, c.ssm_dt_rank});
            add(blk + "ssm_norm.weight", Role::ssm_norm, l, {c.ssm_d_state});
            add(blk + "ssm_out.weight", Role::ssm_out, l, {value_dim, n_embd});
        } else if (phi3) {
            add(blk + "attn_qkv.weight", Role::attn_qkv, l, {n_embd, q_dim + 2 * kv_dim});
            add(blk + "attn_output.weight", Role::attn_output, l, {q_dim, n_embd});
        } else {
            add(blk + "attn_q.weight", Role::attn_q, l, {n_embd, q_out});
            if (c.attn_bias) add(blk + "attn_q.bias", Role::attn_q_bias, l, {q_dim});
            add(blk + "attn_k.weight", Role::attn_k, l, {n_embd, kv_dim});
            if (c.attn_bias) add(blk + "attn_k.bias", Role::attn_k_bias, l, {kv_dim});
            add(blk + "attn_v.weight", Role::attn_v, l, {n_embd, kv_dim});
            if (c.attn_bias) add(blk + "attn_v.bias", Role::attn_v_bias, l, {kv_dim});
            if (qk_norm || qwen35) {
                add(blk + "attn_q_norm.weight", Role::attn_q_norm, l, {c.head_dim});
                add(blk + "attn_k_norm.weight", Role::attn_k_norm, l, {c.head_dim});
            }
            if (olmo2) {
                add(blk + "attn_q_norm.weight", Role::attn_q_norm, l, {q_dim});
                add(blk + "attn_k_norm.weight", Role::attn_k_norm, l, {kv_dim});
            }
            add(blk + "attn_output.weight", Role::attn_output, l, {q_dim, n_embd});
            if (gpt_oss) {
                add(blk + "attn_output.bias", Role::attn_output_bias, l, {n_embd});
                add(blk + "attn_sinks.weight", Role::attn_sinks, l, {c.n_head});
            }
        }
        if (post_attn_norm) add(blk + "post_attention_norm.weight", Role::attn_post_norm, l, {n_embd});
        if (!qwen35 && !gpt_oss && !olmo2) add(blk + "ffn_norm.weight", Role::ffn_norm, l, {n_embd});
        if (moe) {
            const std::uint64_t n_exp = c.n_expert, n_ff_exp = c.n_ff_exp, n_sh = c.n_ff_shexp;
            add(blk + "ffn_gate_inp.weight", Role::ffn_gate_inp, l, {n_embd, n_exp});
            add(blk + "ffn_gate_exps.weight", Role::ffn_gate_exps, l, {n_embd, n_ff_exp, n_exp});
            add(blk + "ffn_up_exps.weight", Role::ffn_up_exps, l, {n_embd, n_ff_exp, n_exp});
            add(blk + "ffn_down_exps.weight", Role::ffn_down_exps, l, {n_ff_exp, n_embd, n_exp});
            if (gpt_oss) {
                add(blk + "ffn_gate_inp.bias", Role::ffn_gate_inp_bias, l, {n_exp});
                add(blk + "ffn_gate_exps.bias", Role::ffn_gate_exps_bias, l, {n_ff_exp, n_exp});
                add(blk + "ffn_up_exps.bias", Role::ffn_up_exps_bias, l, {n_ff_exp, n_exp});
                add(blk + "ffn_down_exps.bias", Role::ffn_down_exps_bias, l, {n_embd, n_exp});
            }
            if (n_sh != 0) {
                add(blk + "ffn_gate_inp_shexp.weight", Role::ffn_gate_inp_shexp, l, {n_embd});
                add(blk + "ffn_gate_shexp.weight", Role::ffn_gate_shexp, l, {n_embd, n_sh});
                add(blk + "ffn_up_shexp.weight", Role::ffn_up_shexp, l, {n_embd, n_sh});
                add(blk + "ffn_down_shexp.weight", Role::ffn_down_shexp, l, {n_sh, n_embd});
            }
        } else if (phi3) {
            add(blk + "ffn_up.weight", Role::ffn_up, l, {n_embd, 2 * n_ff});  // gate rows, then up rows
            add(blk + "ffn_down.weight", Role::ffn_down, l, {n_ff, n_embd});
        } else {
            add(blk + "ffn_gate.weight", Role::ffn_gate, l, {n_embd, n_ff});
            add(blk + "ffn_up.weight", Role::ffn_up, l, {n_embd, n_ff});
            add(blk + "ffn_down.weight", Role::ffn_down, l, {n_ff, n_embd});
        }
        if (post_ffn_norm) add(blk + "post_ffw_norm.weight", Role::ffn_post_norm, l, {n_embd});
    }
    add("output_norm.weight", Role::output_norm, -1, {n_embd});
    if (!c.tied_output) add("output.weight", Role::output, -1, {n_embd, n_vocab});
    return out;
}

}  // namespace gguf::samples::detail

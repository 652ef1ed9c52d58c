#include "tensor_plan.hpp"

namespace gguf::samples::detail {
namespace {

constexpr std::uint32_t f32 = static_cast<std::uint32_t>(TypeId::F32);

std::uint32_t matrix_type(const ModelConfig& c, Role role, const std::string& name) {
    if (auto it = c.types.per_tensor.find(name); it != c.types.per_tensor.end()) return it->second;
    switch (role) {
        case Role::token_embd: return c.types.token_embd;
        case Role::output: return c.types.output;
        case Role::attn_q: return c.types.attn_q;
        case Role::attn_k: return c.types.attn_k;
        case Role::attn_v: return c.types.attn_v;
        case Role::attn_output: return c.types.attn_output;
        case Role::ffn_gate: return c.types.ffn_gate;
        case Role::ffn_up: return c.types.ffn_up;
        case Role::ffn_down: return c.types.ffn_down;
        default: return f32;
    }
}

}  // namespace

bool is_vector(Role role) {
    switch (role) {
        case Role::output_norm: case Role::attn_norm: case Role::ffn_norm: case Role::attn_q_norm:
        case Role::attn_k_norm: case Role::attn_q_bias: case Role::attn_k_bias: case Role::attn_v_bias:
            return true;
        default:
            return false;
    }
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
        const std::uint32_t type = is_vector(role) ? f32 : matrix_type(c, role, name);
        out.push_back({std::move(name), role, layer, type, std::move(ne)});
    };

    add("token_embd.weight", Role::token_embd, -1, {n_embd, n_vocab});
    for (std::uint32_t i = 0; i < c.n_layer; ++i) {
        const int l = static_cast<int>(i);
        const std::string blk = "blk." + std::to_string(i) + ".";
        add(blk + "attn_norm.weight", Role::attn_norm, l, {n_embd});
        add(blk + "attn_q.weight", Role::attn_q, l, {n_embd, q_dim});
        if (c.attn_bias) add(blk + "attn_q.bias", Role::attn_q_bias, l, {q_dim});
        add(blk + "attn_k.weight", Role::attn_k, l, {n_embd, kv_dim});
        if (c.attn_bias) add(blk + "attn_k.bias", Role::attn_k_bias, l, {kv_dim});
        add(blk + "attn_v.weight", Role::attn_v, l, {n_embd, kv_dim});
        if (c.attn_bias) add(blk + "attn_v.bias", Role::attn_v_bias, l, {kv_dim});
        if (c.architecture == Architecture::qwen3) {
            add(blk + "attn_q_norm.weight", Role::attn_q_norm, l, {c.head_dim});
            add(blk + "attn_k_norm.weight", Role::attn_k_norm, l, {c.head_dim});
        }
        add(blk + "attn_output.weight", Role::attn_output, l, {q_dim, n_embd});
        add(blk + "ffn_norm.weight", Role::ffn_norm, l, {n_embd});
        add(blk + "ffn_gate.weight", Role::ffn_gate, l, {n_embd, n_ff});
        add(blk + "ffn_up.weight", Role::ffn_up, l, {n_embd, n_ff});
        add(blk + "ffn_down.weight", Role::ffn_down, l, {n_ff, n_embd});
    }
    add("output_norm.weight", Role::output_norm, -1, {n_embd});
    if (!c.tied_output) add("output.weight", Role::output, -1, {n_embd, n_vocab});
    return out;
}

}  // namespace gguf::samples::detail

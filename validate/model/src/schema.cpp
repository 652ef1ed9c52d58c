#include "gguf/model/schema.hpp"

#include <algorithm>
#include <charconv>

namespace gguf::model {
namespace {

struct RoleNaming {
    TensorRole role;
    std::string_view label;
    std::string_view base;
    std::string_view suffix;
    bool in_block;
};

// llama.cpp's names (src/llama-arch.cpp, LLM_TENSOR_NAMES) for the tensors the schemas use.
constexpr RoleNaming kNames[] = {
    {TensorRole::token_embd, "token_embd", "token_embd", "weight", false},
    {TensorRole::output, "output", "output", "weight", false},
    {TensorRole::output_bias, "output_bias", "output", "bias", false},
    {TensorRole::output_norm, "output_norm", "output_norm", "weight", false},
    {TensorRole::rope_freqs, "rope_freqs", "rope_freqs", "weight", false},
    {TensorRole::attn_norm, "attn_norm", "attn_norm", "weight", true},
    {TensorRole::attn_q, "attn_q", "attn_q", "weight", true},
    {TensorRole::attn_k, "attn_k", "attn_k", "weight", true},
    {TensorRole::attn_v, "attn_v", "attn_v", "weight", true},
    {TensorRole::attn_output, "attn_output", "attn_output", "weight", true},
    {TensorRole::attn_q_bias, "attn_q_bias", "attn_q", "bias", true},
    {TensorRole::attn_k_bias, "attn_k_bias", "attn_k", "bias", true},
    {TensorRole::attn_v_bias, "attn_v_bias", "attn_v", "bias", true},
    {TensorRole::attn_output_bias, "attn_output_bias", "attn_output", "bias", true},
    {TensorRole::attn_q_norm, "attn_q_norm", "attn_q_norm", "weight", true},
    {TensorRole::attn_k_norm, "attn_k_norm", "attn_k_norm", "weight", true},
    {TensorRole::ffn_norm, "ffn_norm", "ffn_norm", "weight", true},
    {TensorRole::ffn_gate, "ffn_gate", "ffn_gate", "weight", true},
    {TensorRole::ffn_up, "ffn_up", "ffn_up", "weight", true},
    {TensorRole::ffn_down, "ffn_down", "ffn_down", "weight", true},
    {TensorRole::ffn_gate_bias, "ffn_gate_bias", "ffn_gate", "bias", true},
    {TensorRole::ffn_up_bias, "ffn_up_bias", "ffn_up", "bias", true},
    {TensorRole::ffn_down_bias, "ffn_down_bias", "ffn_down", "bias", true},
    {TensorRole::attn_post_norm, "attn_post_norm", "post_attention_norm", "weight", true},
    {TensorRole::ffn_post_norm, "ffn_post_norm", "post_ffw_norm", "weight", true},
    {TensorRole::attn_qkv, "attn_qkv", "attn_qkv", "weight", true},
    {TensorRole::attn_gate, "attn_gate", "attn_gate", "weight", true},
    {TensorRole::ssm_conv1d, "ssm_conv1d", "ssm_conv1d", "weight", true},
    {TensorRole::ssm_dt_bias, "ssm_dt_bias", "ssm_dt", "bias", true},
    {TensorRole::ssm_a, "ssm_a", "ssm_a", "", true},
    {TensorRole::ssm_alpha, "ssm_alpha", "ssm_alpha", "weight", true},
    {TensorRole::ssm_beta, "ssm_beta", "ssm_beta", "weight", true},
    {TensorRole::ssm_norm, "ssm_norm", "ssm_norm", "weight", true},
    {TensorRole::ssm_out, "ssm_out", "ssm_out", "weight", true},
    {TensorRole::ffn_gate_inp, "ffn_gate_inp", "ffn_gate_inp", "weight", true},
    {TensorRole::ffn_gate_exps, "ffn_gate_exps", "ffn_gate_exps", "weight", true},
    {TensorRole::ffn_up_exps, "ffn_up_exps", "ffn_up_exps", "weight", true},
    {TensorRole::ffn_down_exps, "ffn_down_exps", "ffn_down_exps", "weight", true},
    {TensorRole::ffn_gate_inp_shexp, "ffn_gate_inp_shexp", "ffn_gate_inp_shexp", "weight", true},
    {TensorRole::ffn_gate_shexp, "ffn_gate_shexp", "ffn_gate_shexp", "weight", true},
    {TensorRole::ffn_up_shexp, "ffn_up_shexp", "ffn_up_shexp", "weight", true},
    {TensorRole::ffn_down_shexp, "ffn_down_shexp", "ffn_down_shexp", "weight", true},
    {TensorRole::nextn_eh_proj, "nextn_eh_proj", "nextn.eh_proj", "weight", true},
    {TensorRole::nextn_enorm, "nextn_enorm", "nextn.enorm", "weight", true},
    {TensorRole::nextn_hnorm, "nextn_hnorm", "nextn.hnorm", "weight", true},
    {TensorRole::nextn_embed_tokens, "nextn_embed_tokens", "nextn.embed_tokens", "weight", true},
    {TensorRole::nextn_shared_head_head, "nextn_shared_head_head", "nextn.shared_head_head", "weight", true},
    {TensorRole::nextn_shared_head_norm, "nextn_shared_head_norm", "nextn.shared_head_norm", "weight", true},
    {TensorRole::attn_sinks, "attn_sinks", "attn_sinks", "weight", true},
    {TensorRole::ffn_gate_inp_bias, "ffn_gate_inp_bias", "ffn_gate_inp", "bias", true},
    {TensorRole::ffn_gate_exps_bias, "ffn_gate_exps_bias", "ffn_gate_exps", "bias", true},
    {TensorRole::ffn_up_exps_bias, "ffn_up_exps_bias", "ffn_up_exps", "bias", true},
    {TensorRole::ffn_down_exps_bias, "ffn_down_exps_bias", "ffn_down_exps", "bias", true},
    {TensorRole::rope_factors_long, "rope_factors_long", "rope_factors_long", "weight", false},
    {TensorRole::rope_factors_short, "rope_factors_short", "rope_factors_short", "weight", false},
    {TensorRole::per_layer_token_embd, "per_layer_token_embd", "per_layer_token_embd", "weight", false},
    {TensorRole::per_layer_model_proj, "per_layer_model_proj", "per_layer_model_proj", "weight", false},
    {TensorRole::per_layer_proj_norm, "per_layer_proj_norm", "per_layer_proj_norm", "weight", false},
    {TensorRole::per_layer_inp_gate, "per_layer_inp_gate", "inp_gate", "weight", true},
    {TensorRole::per_layer_proj, "per_layer_proj", "proj", "weight", true},
    {TensorRole::per_layer_post_norm, "per_layer_post_norm", "post_norm", "weight", true},
    {TensorRole::layer_output_scale, "layer_output_scale", "layer_output_scale", "weight", true},
    {TensorRole::ffn_gate_inp_scale, "ffn_gate_inp_scale", "ffn_gate_inp", "scale", true},
    {TensorRole::ffn_pre_norm_2, "ffn_pre_norm_2", "pre_ffw_norm_2", "weight", true},
    {TensorRole::ffn_post_norm_1, "ffn_post_norm_1", "post_ffw_norm_1", "weight", true},
    {TensorRole::ffn_post_norm_2, "ffn_post_norm_2", "post_ffw_norm_2", "weight", true},
    {TensorRole::ffn_gate_up_exps, "ffn_gate_up_exps", "ffn_gate_up_exps", "weight", true},
    {TensorRole::ffn_down_exps_scale, "ffn_down_exps_scale", "ffn_down_exps", "scale", true},
};

const RoleNaming* naming(TensorRole role) {
    for (const auto& n : kNames)
        if (n.role == role) return &n;
    return nullptr;
}

class SchemaBuilder {
public:
    explicit SchemaBuilder(std::string architecture) { schema_.architecture = std::move(architecture); }

    void add(TensorRole role, std::int64_t layer, std::vector<std::uint64_t> ne, Presence presence,
             bool vocab_rows = false) {
        schema_.tensors.push_back(ExpectedTensor{tensor_name(role, layer), role, layer, std::move(ne), vocab_rows, presence});
    }

    Schema take() { return std::move(schema_); }

private:
    Schema schema_;
};

// Shapes as llama.cpp's loaders create them (src/models/llama.cpp, qwen2.cpp, qwen3.cpp). The lm_head
// and the embedding are {n_embd, n_vocab}; their row count is left to the vocabulary rules.
Schema decoder_schema(const ModelSpec& s) {
    SchemaBuilder b(s.architecture);
    const std::uint64_t n_q = s.head_dim * s.n_head;
    const std::uint64_t n_k = s.head_dim * s.n_head_kv;
    const std::uint64_t n_v = s.head_dim_v * s.n_head_kv;
    const std::uint64_t n_attn_out = s.head_dim_v * s.n_head;
    const bool qwen2 = s.architecture == "qwen2";
    const bool qwen3 = s.architecture == "qwen3";

    b.add(TensorRole::token_embd, -1, {s.n_embd, s.n_vocab}, Presence::required, true);
    b.add(TensorRole::output_norm, -1, {s.n_embd}, Presence::required);
    b.add(TensorRole::output, -1, {s.n_embd, s.n_vocab}, Presence::optional, true);
    if (qwen2) b.add(TensorRole::output_bias, -1, {s.n_vocab}, Presence::optional, true);
    if (s.architecture == "llama" && s.rope.n_rot >= 2)
        b.add(TensorRole::rope_freqs, -1, {s.rope.n_rot / 2}, Presence::optional);

    // q/k/v biases: qwen2 is trained with them (llama.cpp still loads a file without); llama may have them.
    const Presence qkv_bias = qwen2 ? Presence::expected : Presence::optional;
    for (std::uint64_t i = 0; i < s.n_layer; ++i) {
        const auto il = static_cast<std::int64_t>(i);
        b.add(TensorRole::attn_norm, il, {s.n_embd}, Presence::required);
        b.add(TensorRole::attn_q, il, {s.n_embd, n_q}, Presence::required);
        b.add(TensorRole::attn_k, il, {s.n_embd, n_k}, Presence::required);
        b.add(TensorRole::attn_v, il, {s.n_embd, n_v}, Presence::required);
        b.add(TensorRole::attn_output, il, {n_attn_out, s.n_embd}, Presence::required);
        if (!qwen3) {
            b.add(TensorRole::attn_q_bias, il, {n_q}, qkv_bias);
            b.add(TensorRole::attn_k_bias, il, {n_k}, qkv_bias);
            b.add(TensorRole::attn_v_bias, il, {n_v}, qkv_bias);
        }
        if (!qwen2 && !qwen3) b.add(TensorRole::attn_output_bias, il, {s.n_embd}, Presence::optional);
        if (qwen3) {
            b.add(TensorRole::attn_q_norm, il, {s.head_dim}, Presence::required);
            b.add(TensorRole::attn_k_norm, il, {s.head_dim}, Presence::required);
        }
        b.add(TensorRole::ffn_norm, il, {s.n_embd}, Presence::required);
        b.add(TensorRole::ffn_gate, il, {s.n_embd, s.n_ff}, Presence::required);
        b.add(TensorRole::ffn_up, il, {s.n_embd, s.n_ff}, Presence::required);
        b.add(TensorRole::ffn_down, il, {s.n_ff, s.n_embd}, Presence::required);
        if (!qwen2 && !qwen3) {
            b.add(TensorRole::ffn_gate_bias, il, {s.n_ff}, Presence::optional);
            b.add(TensorRole::ffn_up_bias, il, {s.n_ff}, Presence::optional);
            b.add(TensorRole::ffn_down_bias, il, {s.n_embd}, Presence::optional);
        }
    }
    return b.take();
}

void add_attention(SchemaBuilder& b, const ModelSpec& s, std::int64_t il, std::uint64_t n_q, Presence presence,
                   Presence bias_presence) {
    const std::uint64_t n_k = s.head_dim * s.n_head_kv, n_v = s.head_dim_v * s.n_head_kv;
    b.add(TensorRole::attn_q, il, {s.n_embd, n_q}, presence);
    b.add(TensorRole::attn_k, il, {s.n_embd, n_k}, presence);
    b.add(TensorRole::attn_v, il, {s.n_embd, n_v}, presence);
    b.add(TensorRole::attn_q_bias, il, {n_q}, bias_presence);
    b.add(TensorRole::attn_k_bias, il, {n_k}, bias_presence);
    b.add(TensorRole::attn_v_bias, il, {n_v}, bias_presence);
    b.add(TensorRole::attn_output, il, {s.head_dim_v * s.n_head, s.n_embd}, presence);
}

void add_dense_ffn(SchemaBuilder& b, const ModelSpec& s, std::int64_t il, Presence presence) {
    b.add(TensorRole::ffn_gate, il, {s.n_embd, s.n_ff}, presence);
    b.add(TensorRole::ffn_up, il, {s.n_embd, s.n_ff}, presence);
    b.add(TensorRole::ffn_down, il, {s.n_ff, s.n_embd}, presence);
}

// Routed experts as 3-D stacks (llama.cpp's *_exps), and the shared expert with its gate when the
// spec has one.
void add_experts(SchemaBuilder& b, const ModelSpec& s, std::int64_t il, Presence presence) {
    const MoeSpec& m = s.moe;
    b.add(TensorRole::ffn_gate_inp, il, {s.n_embd, m.n_expert}, presence);
    b.add(TensorRole::ffn_gate_exps, il, {s.n_embd, m.n_ff_exp, m.n_expert}, presence);
    b.add(TensorRole::ffn_up_exps, il, {s.n_embd, m.n_ff_exp, m.n_expert}, presence);
    b.add(TensorRole::ffn_down_exps, il, {m.n_ff_exp, s.n_embd, m.n_expert}, presence);
    if (m.n_ff_shexp == 0) return;
    if (m.shared_expert_gate) b.add(TensorRole::ffn_gate_inp_shexp, il, {s.n_embd}, presence);
    b.add(TensorRole::ffn_gate_shexp, il, {s.n_embd, m.n_ff_shexp}, presence);
    b.add(TensorRole::ffn_up_shexp, il, {s.n_embd, m.n_ff_shexp}, presence);
    b.add(TensorRole::ffn_down_shexp, il, {m.n_ff_shexp, s.n_embd}, presence);
}

void add_vocabulary_ends(SchemaBuilder& b, const ModelSpec& s, Presence output) {
    b.add(TensorRole::token_embd, -1, {s.n_embd, s.n_vocab}, Presence::required, true);
    b.add(TensorRole::output_norm, -1, {s.n_embd}, Presence::required);
    b.add(TensorRole::output, -1, {s.n_embd, s.n_vocab}, output, true);
}

// qwen35 / qwen35moe (src/models/qwen35.cpp, qwen35moe.cpp). Full-attention blocks: the q projection
// is twice as wide (a query half and an output-gate half per head), q/k norms. Delta-net blocks: fused
// qkv for the conv, the output gate z, conv taps, decay (ssm_a, ssm_dt.bias, ssm_alpha), update strength
// (ssm_beta), gated norm, output projection. Every block: attn_norm, then post_attention_norm before the
// FFN. The NextN blocks after the main ones are optional: the main pass does not use them.
Schema qwen35_schema(const ModelSpec& s) {
    SchemaBuilder b(s.architecture);
    add_vocabulary_ends(b, s, Presence::optional);
    const SsmSpec& ssm = s.ssm;
    const bool moe = s.moe.enabled();
    for (std::uint64_t i = 0; i < s.n_layer; ++i) {
        const auto il = static_cast<std::int64_t>(i);
        const bool nextn = i >= s.n_main_layers();
        const Presence p = nextn ? Presence::optional : Presence::required;
        b.add(TensorRole::attn_norm, il, {s.n_embd}, p);
        b.add(TensorRole::attn_post_norm, il, {s.n_embd}, p);
        if (s.is_recurrent(i)) {
            b.add(TensorRole::attn_qkv, il, {s.n_embd, ssm.conv_channels()}, p);
            b.add(TensorRole::attn_gate, il, {s.n_embd, ssm.value_dim()}, p);
            b.add(TensorRole::ssm_conv1d, il, {ssm.d_conv, ssm.conv_channels()}, p);
            b.add(TensorRole::ssm_dt_bias, il, {ssm.dt_rank}, p);
            b.add(TensorRole::ssm_a, il, {ssm.dt_rank}, p);
            b.add(TensorRole::ssm_beta, il, {s.n_embd, ssm.n_v_heads()}, p);
            b.add(TensorRole::ssm_alpha, il, {s.n_embd, ssm.n_v_heads()}, p);
            b.add(TensorRole::ssm_norm, il, {ssm.d_state}, p);
            b.add(TensorRole::ssm_out, il, {ssm.value_dim(), s.n_embd}, p);
        } else {
            add_attention(b, s, il, s.head_dim * s.n_head * 2, p, Presence::optional);
            b.add(TensorRole::attn_q_norm, il, {s.head_dim}, p);
            b.add(TensorRole::attn_k_norm, il, {s.head_dim}, p);
        }
        if (moe) add_experts(b, s, il, p);
        else add_dense_ffn(b, s, il, p);
        if (nextn) {
            b.add(TensorRole::nextn_eh_proj, il, {2 * s.n_embd, s.n_embd}, Presence::optional);
            b.add(TensorRole::nextn_enorm, il, {s.n_embd}, Presence::optional);
            b.add(TensorRole::nextn_hnorm, il, {s.n_embd}, Presence::optional);
            b.add(TensorRole::nextn_embed_tokens, il, {s.n_embd, s.n_vocab}, Presence::optional, true);
            b.add(TensorRole::nextn_shared_head_head, il, {s.n_embd, s.n_vocab}, Presence::optional, true);
            b.add(TensorRole::nextn_shared_head_norm, il, {s.n_embd}, Presence::optional);
        }
    }
    return b.take();
}

// gemma3 (src/models/gemma3.cpp): q/k norms, norms after attention and after the FFN, GELU-gated FFN.
Schema gemma3_schema(const ModelSpec& s) {
    SchemaBuilder b(s.architecture);
    add_vocabulary_ends(b, s, Presence::optional);
    for (std::uint64_t i = 0; i < s.n_layer; ++i) {
        const auto il = static_cast<std::int64_t>(i);
        b.add(TensorRole::attn_norm, il, {s.n_embd}, Presence::required);
        add_attention(b, s, il, s.head_dim * s.n_head, Presence::required, Presence::optional);
        b.add(TensorRole::attn_post_norm, il, {s.n_embd}, Presence::required);
        b.add(TensorRole::attn_q_norm, il, {s.head_dim}, Presence::required);
        b.add(TensorRole::attn_k_norm, il, {s.head_dim}, Presence::required);
        b.add(TensorRole::ffn_norm, il, {s.n_embd}, Presence::required);
        add_dense_ffn(b, s, il, Presence::required);
        b.add(TensorRole::ffn_post_norm, il, {s.n_embd}, Presence::required);
    }
    return b.take();
}

// gemma4 (src/models/gemma4.cpp), dense blocks: gemma3's block with head sizes by layer kind, an
// optional v projection (k serves as v without it), the expert tensors of the MoE variant (optional), no k projection or k norm in the blocks that read an
// earlier block's KV (llama.cpp loads them when present), per-layer input tensors when
// n_embd_per_layer > 0, an optional output scalar per block, rope_freqs for the global layers, and FFN
// widths per block when the file gives them.
// Unlike gemma3's, its converter stores the norm gains as trained (no +1): they sit near 1 all the same.
// gemma4's expert blocks (26B-A4B), beside the dense FFN that serves as their shared MLP. llama.cpp
// makes a block an expert block when it has ffn_gate_inp, and takes fused gate/up stacks or separate
// ones, so every tensor here is optional; their shapes are still checked.
void add_gemma4_experts(SchemaBuilder& b, const ModelSpec& s, std::int64_t il) {
    const MoeSpec& m = s.moe;
    b.add(TensorRole::ffn_gate_inp, il, {s.n_embd, m.n_expert}, Presence::optional);
    b.add(TensorRole::ffn_gate_inp_scale, il, {s.n_embd}, Presence::optional);
    b.add(TensorRole::ffn_pre_norm_2, il, {s.n_embd}, Presence::optional);
    b.add(TensorRole::ffn_post_norm_1, il, {s.n_embd}, Presence::optional);
    b.add(TensorRole::ffn_post_norm_2, il, {s.n_embd}, Presence::optional);
    b.add(TensorRole::ffn_gate_up_exps, il, {s.n_embd, 2 * m.n_ff_exp, m.n_expert}, Presence::optional);
    b.add(TensorRole::ffn_gate_exps, il, {s.n_embd, m.n_ff_exp, m.n_expert}, Presence::optional);
    b.add(TensorRole::ffn_up_exps, il, {s.n_embd, m.n_ff_exp, m.n_expert}, Presence::optional);
    b.add(TensorRole::ffn_down_exps, il, {m.n_ff_exp, s.n_embd, m.n_expert}, Presence::optional);
    b.add(TensorRole::ffn_down_exps_scale, il, {m.n_expert}, Presence::optional);
}

Schema gemma4_schema(const ModelSpec& s) {
    SchemaBuilder b(s.architecture);
    add_vocabulary_ends(b, s, Presence::optional);
    const std::uint64_t n_pl = s.n_embd_per_layer, n_layer = s.n_layer;
    if (n_pl > 0) {
        b.add(TensorRole::per_layer_token_embd, -1, {n_pl * n_layer, s.n_vocab}, Presence::required, true);
        b.add(TensorRole::per_layer_model_proj, -1, {s.n_embd, n_pl * n_layer}, Presence::required);
        b.add(TensorRole::per_layer_proj_norm, -1, {n_pl}, Presence::required);
    }
    bool any_global = false;
    for (std::uint64_t i = 0; i < n_layer; ++i) any_global = any_global || !s.is_sliding(i);
    if (any_global) b.add(TensorRole::rope_freqs, -1, {s.head_dim / 2}, Presence::required);
    for (std::uint64_t i = 0; i < n_layer; ++i) {
        const auto il = static_cast<std::int64_t>(i);
        const std::uint64_t d = s.layer_head_dim(i);
        const Presence kv = s.kv_source(i) == i ? Presence::required : Presence::optional;
        b.add(TensorRole::attn_norm, il, {s.n_embd}, Presence::required);
        const std::uint64_t n_q = s.layer_n_head(i) * d, n_kv = s.layer_n_head_kv(i) * d;
        b.add(TensorRole::attn_q, il, {s.n_embd, n_q}, Presence::required);
        b.add(TensorRole::attn_k, il, {s.n_embd, n_kv}, kv);
        b.add(TensorRole::attn_v, il, {s.n_embd, n_kv}, Presence::optional);
        b.add(TensorRole::attn_output, il, {n_q, s.n_embd}, Presence::required);
        b.add(TensorRole::attn_q_norm, il, {d}, Presence::required);
        b.add(TensorRole::attn_k_norm, il, {d}, kv);
        b.add(TensorRole::attn_post_norm, il, {s.n_embd}, Presence::required);
        b.add(TensorRole::layer_output_scale, il, {1}, Presence::optional);
        b.add(TensorRole::ffn_norm, il, {s.n_embd}, Presence::required);
        const std::uint64_t n_ff = s.layer_n_ff(i);
        b.add(TensorRole::ffn_gate, il, {s.n_embd, n_ff}, Presence::required);
        b.add(TensorRole::ffn_up, il, {s.n_embd, n_ff}, Presence::required);
        b.add(TensorRole::ffn_down, il, {n_ff, s.n_embd}, Presence::required);
        b.add(TensorRole::ffn_post_norm, il, {s.n_embd}, Presence::required);
        if (s.moe.enabled()) add_gemma4_experts(b, s, il);
        if (n_pl > 0) {
            b.add(TensorRole::per_layer_inp_gate, il, {s.n_embd, n_pl}, Presence::required);
            b.add(TensorRole::per_layer_proj, il, {n_pl, s.n_embd}, Presence::required);
            b.add(TensorRole::per_layer_post_norm, il, {s.n_embd}, Presence::required);
        }
    }
    return b.take();
}

// qwen3moe and qwen2moe (src/models/qwen3moe.cpp, qwen2moe.cpp): qwen3 / qwen2 attention, routed
// experts; qwen2moe adds the gated shared expert, its q/k/v biases, and needs its own lm_head.
Schema qwen_moe_schema(const ModelSpec& s) {
    SchemaBuilder b(s.architecture);
    const bool qwen2 = s.architecture == "qwen2moe";
    add_vocabulary_ends(b, s, qwen2 ? Presence::required : Presence::optional);
    for (std::uint64_t i = 0; i < s.n_layer; ++i) {
        const auto il = static_cast<std::int64_t>(i);
        b.add(TensorRole::attn_norm, il, {s.n_embd}, Presence::required);
        add_attention(b, s, il, s.head_dim * s.n_head, Presence::required,
                      qwen2 ? Presence::expected : Presence::optional);
        if (!qwen2) {
            b.add(TensorRole::attn_q_norm, il, {s.head_dim}, Presence::required);
            b.add(TensorRole::attn_k_norm, il, {s.head_dim}, Presence::required);
        }
        b.add(TensorRole::ffn_norm, il, {s.n_embd}, Presence::required);
        add_experts(b, s, il, Presence::required);
    }
    return b.take();
}

// gpt-oss (src/models/openai-moe.cpp): heads of n_rot values, q/k/v and output biases, sink logits per
// head, post_attention_norm before the experts, router and expert biases; its own lm_head is required.
Schema gpt_oss_schema(const ModelSpec& s) {
    SchemaBuilder b(s.architecture);
    add_vocabulary_ends(b, s, Presence::required);
    const std::uint64_t d = s.rope.n_rot;
    const MoeSpec& m = s.moe;
    for (std::uint64_t i = 0; i < s.n_layer; ++i) {
        const auto il = static_cast<std::int64_t>(i);
        b.add(TensorRole::attn_norm, il, {s.n_embd}, Presence::required);
        b.add(TensorRole::attn_post_norm, il, {s.n_embd}, Presence::required);
        b.add(TensorRole::attn_q, il, {s.n_embd, s.n_head * d}, Presence::required);
        b.add(TensorRole::attn_k, il, {s.n_embd, s.n_head_kv * d}, Presence::required);
        b.add(TensorRole::attn_v, il, {s.n_embd, s.n_head_kv * d}, Presence::required);
        b.add(TensorRole::attn_q_bias, il, {s.n_head * d}, Presence::expected);
        b.add(TensorRole::attn_k_bias, il, {s.n_head_kv * d}, Presence::expected);
        b.add(TensorRole::attn_v_bias, il, {s.n_head_kv * d}, Presence::expected);
        b.add(TensorRole::attn_output, il, {s.n_head * d, s.n_embd}, Presence::required);
        b.add(TensorRole::attn_output_bias, il, {s.n_embd}, Presence::required);
        b.add(TensorRole::attn_sinks, il, {s.n_head}, Presence::required);
        b.add(TensorRole::ffn_gate_inp, il, {s.n_embd, m.n_expert}, Presence::required);
        b.add(TensorRole::ffn_gate_inp_bias, il, {m.n_expert}, Presence::required);
        b.add(TensorRole::ffn_gate_exps, il, {s.n_embd, m.n_ff_exp, m.n_expert}, Presence::required);
        b.add(TensorRole::ffn_up_exps, il, {s.n_embd, m.n_ff_exp, m.n_expert}, Presence::required);
        b.add(TensorRole::ffn_down_exps, il, {m.n_ff_exp, s.n_embd, m.n_expert}, Presence::required);
        b.add(TensorRole::ffn_gate_exps_bias, il, {m.n_ff_exp, m.n_expert}, Presence::required);
        b.add(TensorRole::ffn_up_exps_bias, il, {m.n_ff_exp, m.n_expert}, Presence::required);
        b.add(TensorRole::ffn_down_exps_bias, il, {s.n_embd, m.n_expert}, Presence::required);
    }
    return b.take();
}

// gemma2 (src/models/gemma2.cpp): gemma3's block without q/k norms. llama.cpp's loader creates no
// output.weight (the lm_head is always token_embd), so a file with one has a tensor too many.
Schema gemma2_schema(const ModelSpec& s) {
    SchemaBuilder b(s.architecture);
    b.add(TensorRole::token_embd, -1, {s.n_embd, s.n_vocab}, Presence::required, true);
    b.add(TensorRole::output_norm, -1, {s.n_embd}, Presence::required);
    for (std::uint64_t i = 0; i < s.n_layer; ++i) {
        const auto il = static_cast<std::int64_t>(i);
        b.add(TensorRole::attn_norm, il, {s.n_embd}, Presence::required);
        add_attention(b, s, il, s.head_dim * s.n_head, Presence::required, Presence::optional);
        b.add(TensorRole::attn_post_norm, il, {s.n_embd}, Presence::required);
        b.add(TensorRole::ffn_norm, il, {s.n_embd}, Presence::required);
        add_dense_ffn(b, s, il, Presence::required);
        b.add(TensorRole::ffn_post_norm, il, {s.n_embd}, Presence::required);
    }
    return b.take();
}

// olmo2 (src/models/olmo2.cpp): q/k/v/o of n_embd-wide heads, q/k norms over the full q and k widths,
// norms only after attention and after the FFN; its own lm_head is required.
Schema olmo2_schema(const ModelSpec& s) {
    SchemaBuilder b(s.architecture);
    add_vocabulary_ends(b, s, Presence::required);
    for (std::uint64_t i = 0; i < s.n_layer; ++i) {
        const auto il = static_cast<std::int64_t>(i);
        add_attention(b, s, il, s.head_dim * s.n_head, Presence::required, Presence::optional);
        b.add(TensorRole::attn_q_norm, il, {s.head_dim * s.n_head}, Presence::required);
        b.add(TensorRole::attn_k_norm, il, {s.head_dim * s.n_head_kv}, Presence::required);
        b.add(TensorRole::attn_post_norm, il, {s.n_embd}, Presence::required);
        add_dense_ffn(b, s, il, Presence::required);
        b.add(TensorRole::ffn_post_norm, il, {s.n_embd}, Presence::required);
    }
    return b.take();
}

// granite (src/models/granite.cpp), dense, and mistral3 (src/models/mistral3.cpp), whose loader creates the
// same tensors: llama's block, optional output and MLP biases.
Schema granite_schema(const ModelSpec& s) {
    SchemaBuilder b(s.architecture);
    add_vocabulary_ends(b, s, Presence::optional);
    if (s.rope.n_rot >= 2) b.add(TensorRole::rope_freqs, -1, {s.rope.n_rot / 2}, Presence::optional);
    for (std::uint64_t i = 0; i < s.n_layer; ++i) {
        const auto il = static_cast<std::int64_t>(i);
        b.add(TensorRole::attn_norm, il, {s.n_embd}, Presence::required);
        add_attention(b, s, il, s.head_dim * s.n_head, Presence::required, Presence::optional);
        b.add(TensorRole::attn_output_bias, il, {s.n_embd}, Presence::optional);
        b.add(TensorRole::ffn_norm, il, {s.n_embd}, Presence::required);
        add_dense_ffn(b, s, il, Presence::required);
        b.add(TensorRole::ffn_gate_bias, il, {s.n_ff}, Presence::optional);
        b.add(TensorRole::ffn_up_bias, il, {s.n_ff}, Presence::optional);
        b.add(TensorRole::ffn_down_bias, il, {s.n_embd}, Presence::optional);
    }
    return b.take();
}

// phi3 (src/models/phi3.cpp): q/k/v fused into attn_qkv (or separate), the FFN's gate and up halves fused
// into one ffn_up of 2 * n_ff rows, LongRoPE's two sets of frequency divisors when the model has them.
Schema phi3_schema(const ModelSpec& s) {
    SchemaBuilder b(s.architecture);
    add_vocabulary_ends(b, s, Presence::optional);
    if (s.rope.n_rot >= 2) {
        b.add(TensorRole::rope_factors_long, -1, {s.rope.n_rot / 2}, Presence::optional);
        b.add(TensorRole::rope_factors_short, -1, {s.rope.n_rot / 2}, Presence::optional);
    }
    const std::uint64_t n_q = s.head_dim * s.n_head, n_k = s.head_dim * s.n_head_kv, n_v = s.head_dim_v * s.n_head_kv;
    for (std::uint64_t i = 0; i < s.n_layer; ++i) {
        const auto il = static_cast<std::int64_t>(i);
        b.add(TensorRole::attn_norm, il, {s.n_embd}, Presence::required);
        if (s.fused_qkv) {
            b.add(TensorRole::attn_qkv, il, {s.n_embd, n_q + n_k + n_v}, Presence::required);
            b.add(TensorRole::attn_output, il, {s.head_dim_v * s.n_head, s.n_embd}, Presence::required);
        } else {
            add_attention(b, s, il, n_q, Presence::required, Presence::optional);
        }
        b.add(TensorRole::ffn_norm, il, {s.n_embd}, Presence::required);
        b.add(TensorRole::ffn_up, il, {s.n_embd, 2 * s.n_ff}, Presence::required);
        b.add(TensorRole::ffn_down, il, {s.n_ff, s.n_embd}, Presence::required);
    }
    return b.take();
}

std::optional<std::int64_t> parse_index(std::string_view digits) {
    std::int64_t value = 0;
    if (digits.empty() || digits.size() > 9) return std::nullopt;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
    return value;
}

}  // namespace

std::string_view role_name(TensorRole role) {
    const RoleNaming* n = naming(role);
    return n ? n->label : "other";
}

const ExpectedTensor* Schema::find(std::string_view name) const {
    for (const auto& t : tensors)
        if (t.name == name) return &t;
    return nullptr;
}

std::optional<Schema> schema_for(const ModelSpec& spec) {
    if (!spec.known) return std::nullopt;
    const std::string& a = spec.architecture;
    if (a == "llama" || a == "qwen2" || a == "qwen3") return decoder_schema(spec);
    if (a == "qwen35" || a == "qwen35moe") return qwen35_schema(spec);
    if (a == "gemma3") return gemma3_schema(spec);
    if (a == "qwen3moe" || a == "qwen2moe") return qwen_moe_schema(spec);
    if (a == "gpt-oss") return gpt_oss_schema(spec);
    if (a == "gemma2") return gemma2_schema(spec);
    if (a == "olmo2") return olmo2_schema(spec);
    if (a == "granite" || a == "mistral3") return granite_schema(spec);
    if (a == "phi3") return phi3_schema(spec);
    if (a == "granite") return granite_schema(spec);
    if (a == "gemma4") return gemma4_schema(spec);
    return std::nullopt;
}

std::string TensorName::group() const {
    std::string g = layer >= 0 ? "blk.*." + base : base;
    if (!suffix.empty()) g += "." + suffix;
    return g;
}

TensorName parse_tensor_name(std::string_view name) {
    TensorName out;
    if (name.starts_with("blk.")) {
        const auto dot = name.find('.', 4);
        if (dot != std::string_view::npos) {
            if (auto index = parse_index(name.substr(4, dot - 4))) {
                out.layer = *index;
                name.remove_prefix(dot + 1);
            }
        }
    }
    const auto last = name.rfind('.');
    if (last == std::string_view::npos) {
        out.base = std::string(name);
    } else {
        out.base = std::string(name.substr(0, last));
        out.suffix = std::string(name.substr(last + 1));
    }
    return out;
}

TensorRole role_from_name(std::string_view name) {
    const TensorName parsed = parse_tensor_name(name);
    for (const auto& n : kNames)
        if (n.base == parsed.base && n.suffix == parsed.suffix && n.in_block == (parsed.layer >= 0)) return n.role;
    return TensorRole::other;
}

bool is_norm(TensorRole role) {
    switch (role) {
        case TensorRole::output_norm: case TensorRole::attn_norm: case TensorRole::ffn_norm:
        case TensorRole::attn_q_norm: case TensorRole::attn_k_norm: case TensorRole::attn_post_norm:
        case TensorRole::ffn_post_norm: case TensorRole::ssm_norm: case TensorRole::nextn_enorm:
        case TensorRole::nextn_hnorm: case TensorRole::nextn_shared_head_norm: case TensorRole::per_layer_proj_norm:
        case TensorRole::per_layer_post_norm: case TensorRole::ffn_pre_norm_2: case TensorRole::ffn_post_norm_1:
        case TensorRole::ffn_post_norm_2:
            return true;
        default:
            return false;
    }
}

bool is_expert_stack(TensorRole role) {
    return role == TensorRole::ffn_gate_exps || role == TensorRole::ffn_up_exps || role == TensorRole::ffn_down_exps ||
           role == TensorRole::ffn_gate_up_exps;
}

bool is_bias(TensorRole role) {
    return role == TensorRole::output_bias || role == TensorRole::ffn_gate_inp_bias ||
           role == TensorRole::ffn_gate_exps_bias || role == TensorRole::ffn_up_exps_bias ||
           role == TensorRole::ffn_down_exps_bias || role == TensorRole::attn_q_bias || role == TensorRole::attn_k_bias ||
           role == TensorRole::attn_v_bias || role == TensorRole::attn_output_bias ||
           role == TensorRole::ffn_gate_bias || role == TensorRole::ffn_up_bias || role == TensorRole::ffn_down_bias;
}

bool is_matrix(TensorRole role) {
    switch (role) {
        case TensorRole::token_embd:
        case TensorRole::output:
        case TensorRole::attn_q:
        case TensorRole::attn_k:
        case TensorRole::attn_v:
        case TensorRole::attn_output:
        case TensorRole::ffn_gate:
        case TensorRole::ffn_up:
        case TensorRole::ffn_down:
        case TensorRole::per_layer_token_embd:
        case TensorRole::per_layer_model_proj:
        case TensorRole::per_layer_inp_gate:
        case TensorRole::per_layer_proj:
        case TensorRole::attn_qkv:
        case TensorRole::attn_gate:
        case TensorRole::ssm_alpha:
        case TensorRole::ssm_beta:
        case TensorRole::ssm_out:
        case TensorRole::ffn_gate_inp:
        case TensorRole::ffn_gate_shexp:
        case TensorRole::ffn_up_shexp:
        case TensorRole::ffn_down_shexp:
        case TensorRole::nextn_eh_proj:
        case TensorRole::nextn_embed_tokens:
        case TensorRole::nextn_shared_head_head:
            return true;
        default:
            return false;
    }
}

std::vector<TensorRole> consumers_of(TensorRole norm) {
    switch (norm) {
        case TensorRole::attn_norm:
            return {TensorRole::attn_q, TensorRole::attn_k, TensorRole::attn_v, TensorRole::attn_qkv, TensorRole::attn_gate,
                    TensorRole::ssm_alpha, TensorRole::ssm_beta};
        case TensorRole::ffn_norm:
            return {TensorRole::ffn_gate, TensorRole::ffn_up, TensorRole::ffn_gate_inp, TensorRole::ffn_gate_shexp,
                    TensorRole::ffn_up_shexp};
        case TensorRole::output_norm:
            return {TensorRole::output};
        default:
            return {};
    }
}

std::string tensor_name(TensorRole role, std::int64_t layer) {
    const RoleNaming* n = naming(role);
    if (!n) return {};
    std::string name = n->in_block ? "blk." + std::to_string(layer) + "." : std::string();
    name += n->base;
    if (!n->suffix.empty()) {
        name += '.';
        name += n->suffix;
    }
    return name;
}

}  // namespace gguf::model

// Architecture schemas: the tensors a modelled architecture has, named as llama.cpp names them, with
// the exact shape each one's hyperparameters imply. The rules compare a file against this list.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/model/spec.hpp"

namespace gguf::model {

// What a tensor does in the network. Also derived from names for architectures without a schema,
// because llama.cpp's naming conventions are shared by almost every architecture it reads.
enum class TensorRole : std::uint8_t {
    other,
    token_embd,
    output,        // the lm_head
    output_bias,
    output_norm,
    attn_norm,
    attn_q,
    attn_k,
    attn_v,
    attn_output,
    attn_q_bias,
    attn_k_bias,
    attn_v_bias,
    attn_output_bias,
    attn_q_norm,   // per-head RMSNorm of q (qwen3)
    attn_k_norm,
    ffn_norm,
    ffn_gate,
    ffn_up,
    ffn_down,
    ffn_gate_bias,
    ffn_up_bias,
    ffn_down_bias,
    rope_freqs,    // per-dimension RoPE frequency factors (Llama 3.1 style)
    attn_post_norm,  // "post_attention_norm": gemma3 after attention; qwen35 before the FFN
    ffn_post_norm,   // "post_ffw_norm": after the FFN, before its residual add (gemma3)
    attn_qkv,        // fused q, k, v (qwen35's delta-net input: q, k, v of the conv)
    attn_gate,       // qwen35 delta-net output gate z
    ssm_conv1d,      // causal conv1d taps {d_conv, channels}
    ssm_dt_bias,     // "ssm_dt.bias": added to the decay logits
    ssm_a,           // "ssm_a" (no suffix): -exp(A_log), the decay rate per v head
    ssm_alpha,       // decay logits projection
    ssm_beta,        // update strength projection
    ssm_norm,        // gated RMSNorm of the delta-net output, per v head
    ssm_out,         // delta-net output projection
    ffn_gate_inp,    // the router {n_embd, n_expert}
    ffn_gate_exps,   // expert matrices, 3-D {.., .., n_expert}
    ffn_up_exps,
    ffn_down_exps,
    ffn_gate_inp_shexp,  // the shared expert's sigmoid gate vector {n_embd}
    ffn_gate_shexp,
    ffn_up_shexp,
    ffn_down_shexp,
    nextn_eh_proj,   // multi-token-prediction block (not part of the main pass)
    nextn_enorm,
    nextn_hnorm,
    nextn_embed_tokens,
    nextn_shared_head_head,
    nextn_shared_head_norm,
    attn_sinks,          // per-head sink logits (gpt-oss)
    ffn_gate_inp_bias,   // router bias (gpt-oss)
    ffn_gate_exps_bias,  // per-expert biases {width, n_expert} (gpt-oss)
    ffn_up_exps_bias,
    ffn_down_exps_bias,
    rope_factors_long,   // LongRoPE frequency divisors for contexts beyond the original one (phi3)
    rope_factors_short,  // LongRoPE frequency divisors within the original context
    // gemma4's per-layer inputs: a second embedding table {n_embd_per_layer * n_layer, n_vocab}, the
    // projection of the scaled embedding onto it and its norm; per block the gate from the stream, the
    // projection back, its norm; and the block's output scalar.
    per_layer_token_embd,
    per_layer_model_proj,
    per_layer_proj_norm,
    per_layer_inp_gate,
    per_layer_proj,
    per_layer_post_norm,
    layer_output_scale,
    // gemma4's mixture-of-experts blocks (26B-A4B): the router's input scale, the norms around the
    // shared MLP and the experts, fused gate/up expert stacks and per-expert output scales.
    ffn_gate_inp_scale,
    ffn_pre_norm_2,
    ffn_post_norm_1,
    ffn_post_norm_2,
    ffn_gate_up_exps,
    ffn_down_exps_scale,
};
std::string_view role_name(TensorRole role);

// How a loader treats the absence of a tensor.
enum class Presence : std::uint8_t {
    required,  // llama.cpp refuses the file without it
    expected,  // the architecture is trained with it; llama.cpp loads the file without it and computes
               // something else (e.g. qwen2's q/k/v biases)
    optional,  // a variant of the architecture has it (tied lm_head, MLP biases, rope_freqs)
};

struct ExpectedTensor {
    std::string name;
    TensorRole role = TensorRole::other;
    std::int64_t layer = -1;           // block index, -1 for tensors outside the blocks
    std::vector<std::uint64_t> ne;     // exact shape in ggml order (ne[0] is the row length)
    bool vocab_rows = false;           // ne[1] is a vocabulary row count: the vocabulary rules judge it,
                                       // because padded vocabularies legitimately have more rows
    Presence presence = Presence::required;
};

struct Schema {
    std::string architecture;
    std::vector<ExpectedTensor> tensors;

    const ExpectedTensor* find(std::string_view name) const;
};

// The schema of a known architecture (spec.known), shapes from `spec`; nullopt when it has none.
std::optional<Schema> schema_for(const ModelSpec& spec);

// A tensor name in llama.cpp's convention: "blk.12.attn_norm.weight" is layer 12, base "attn_norm",
// suffix "weight"; "output_norm.weight" is layer -1.
struct TensorName {
    std::int64_t layer = -1;
    std::string base;
    std::string suffix;

    // The name with the layer replaced by '*' ("blk.*.attn_norm.weight"): the siblings across layers.
    std::string group() const;
};
TensorName parse_tensor_name(std::string_view name);

// The role a name has under llama.cpp's convention (TensorRole::other when it names something else).
TensorRole role_from_name(std::string_view name);

bool is_norm(TensorRole role);
bool is_bias(TensorRole role);
bool is_matrix(TensorRole role);  // a 2-D projection or embedding matrix
bool is_expert_stack(TensorRole role);  // a 3-D stack of per-expert matrices

// The matrices that consume a norm's output, within the same layer (attn_norm -> q, k, v): scaling the
// norm by c and these by 1/c computes the same function. Empty for roles that are not such norms.
std::vector<TensorRole> consumers_of(TensorRole norm);

// "blk.3.attn_q.weight" for (attn_q, 3); "output.weight" for (output, -1); "blk.3.ssm_a" for (ssm_a, 3).
std::string tensor_name(TensorRole role, std::int64_t layer);

}  // namespace gguf::model

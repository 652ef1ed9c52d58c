// Pieces of programs that several architectures share, each written once: the embedding lookup, the
// final norm and lm_head, pre-norm self-attention with RoPE, the SwiGLU feed-forward block, and the
// norm-then-residual end of a sub-block. Each binds its tensors in the scope (or takes them bound) and
// appends its ops and trace records.
#pragma once

#include "builder.hpp"

namespace gguf::forward::architectures {

// token_embd rows -> x; record "embedding". token_embd is the globals' matrix 0.
void embed_tokens(Build& b);

// RMSNorm(output_norm) -> xn, "output_norm"; the lm_head (output.weight, or token_embd when the file has
// none) -> logits, "logits". `output_bias`: output.bias is read when present.
void norm_and_lm_head(Build& b, bool output_bias);

struct AttentionTensors {
    bool output_bias = false;  // attn_output.bias is read when present (q/k/v biases always are)
    bool qk_norm = false;      // attn_q_norm and attn_k_norm: RMSNorm of every head before RoPE
    bool rope = true;          // false: no RoPE (granite with rope.scaling.finetuned false)
    float kq_scale = 0.0f;     // the attention's score scale; 0: PassParams::kq_scale
    float residual_scale = 1.0f;  // the output projection is multiplied by this before the residual add
    // Queries multiplied by llama 4's attention temperature before attention (mistral3); 0: none.
    float temperature_scale = 0.0f;
    std::uint64_t temperature_interval = 0;
    bool sinks = false;        // attn_sinks: one logit per head joins every softmax row (gpt-oss)
    std::uint64_t window = 0;  // sliding window of the layer; 0: none
    int rope_table = 0;        // the Program::ropes entry of the layer
};

// x += attn_output(attention(RoPE(q), RoPE(k), v)) of RMSNorm(attn_norm)(x), llama.cpp's pre-norm block
// with records attn_norm, q_proj, k_proj, q, k, v, attn, attn_out, attn_residual.
void pre_norm_attention(Build& b, std::uint64_t il, const AttentionTensors& tensors);

// x += ffn_down(silu(ffn_gate(h)) * ffn_up(h)) with h = RMSNorm(ffn_norm)(x); records ffn_norm, gate,
// up, ffn_act, down, ffn_residual. `biases`: ffn_{gate,up,down}.bias are read when present. `norm`: the
// norm weight's name in the layer (qwen35 calls it post_attention_norm). `residual_scale`: ffn_down's
// output is multiplied by it before the residual add (granite).
void pre_norm_swiglu_ffn(Build& b, std::uint64_t il, bool biases, std::string_view norm = "ffn_norm.weight",
                         float residual_scale = 1.0f);

// x += RMSNorm(norm)(proj): a sub-block's output normalized before it joins the residual stream
// (gemma2/3/4's post_attention_norm, post_ffw_norm and per-layer post_norm; olmo2's). `norm` is the
// scope's bound vector of n_embd gains; records `norm_record` (the normalized output) and
// `residual_record` (the stream after the add).
void post_norm_residual(Build& b, Scope& s, int norm, std::string_view norm_record, std::string_view residual_record);

}  // namespace gguf::forward::architectures

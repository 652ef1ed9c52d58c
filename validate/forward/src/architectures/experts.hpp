// The mixture-of-experts feed-forward block of llama.cpp's build_moe_ffn as the qwen MoE and gpt-oss
// graphs use it (src/models/qwen3moe.cpp, qwen2moe.cpp, qwen35moe.cpp, openai-moe.cpp): routed SwiGLU
// experts over 3-D expert tensors and, when the spec has one, a shared expert behind a sigmoid gate.
#pragma once

#include "builder.hpp"

namespace gguf::forward::architectures {

// What differs between the MoE blocks of these graphs.
struct MoeBlockOptions {
    const char* norm = "ffn_norm.weight";  // the norm before the block (qwen35moe: post_attention_norm)
    bool plain_sigmoid_gate = false;       // the shared expert's gate is ggml_sigmoid (qwen35moe), not silu(g) / g
    bool biases = false;                   // router and expert biases, {gate_inp,gate_exps,up_exps,down_exps}.bias (gpt-oss)
};

// x += moe(h) (+ sigmoid(h . ffn_gate_inp_shexp) * shared(h)) with h = RMSNorm(norm)(x): the router
// ffn_gate_inp, the spec's gating, top-k and normalisation, experts ffn_{gate,up,down}_exps (with the
// spec's clamped SwiGLU when spec.moe.swiglu_limit is set) and, with
// spec.moe.n_ff_shexp, the shared expert ffn_{gate,up,down}_shexp. Records ffn_norm, router_logits,
// moe_experts, moe_out, (shexp, shexp_gated, ffn_out,) ffn_residual (docs/trace.md).
void pre_norm_moe_ffn(Build& b, std::uint64_t il, const MoeBlockOptions& options = {});

}  // namespace gguf::forward::architectures

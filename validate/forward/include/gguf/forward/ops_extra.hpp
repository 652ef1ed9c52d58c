// The operations the newer architectures add to a llama-family pass (qwen35's gated delta-net, Gemma's
// GELU and soft-capping, mixtures of experts, sliding windows, attention sinks, multi-section RoPE), one
// small function each, on float32 activations stored row-major as [n_tokens][width] like ops.hpp. Each
// follows the computation of the reference llama.cpp version (its ggml CPU op or graph builder, cited
// per function), so that a pass composed of them matches llama.cpp.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "gguf/forward/ops.hpp"

namespace gguf::forward::ops {

// ---- qwen35's gated delta-net -------------------------------------------------------------------

// x / sqrt(sum(x^2) + eps) for each row of `width`, computed as llama.cpp's delta-net builder does: an
// RMSNorm with epsilon eps / width (sum of squares in double, as ggml_rms_norm), then a multiplication by
// 1 / sqrt(width). `out` may alias `x`.
void l2_norm(std::span<const float> x, std::size_t width, float eps, std::span<float> out);

// Causal depthwise convolution over time with a carried state (ggml_ssm_conv): channel c of token t is
// sum_k input[c][t + k] * taps[c][k], k = 0 .. d_conv-1, over the sequence formed by the state's d_conv-1
// earlier inputs followed by the new tokens, summed in float from the oldest input on.
//   x      [n_tokens][channels]     the new inputs
//   taps   [channels][d_conv]       ssm_conv1d.weight (ne = {d_conv, channels})
//   state  [channels][d_conv - 1]   the inputs before x, oldest first; replaced by the last d_conv-1
//                                   inputs of state + x (zeros at the start of a sequence)
//   out    [n_tokens][channels]     the convolution, before any activation
void causal_conv1d(std::span<const float> x, std::span<const float> taps, std::size_t d_conv, std::span<float> state,
                   std::span<float> out);

struct DeltaNetShape {
    std::size_t n_k_heads = 0;  // q/k heads (ssm.group_count)
    std::size_t n_v_heads = 0;  // v heads (ssm.time_step_rank), a multiple of n_k_heads
    std::size_t head_dim = 0;   // size of q, k and v heads alike (llama.cpp requires them equal)
};

// The gated delta rule, token by token, as ggml_gated_delta_net computes it (the fused op llama.cpp
// uses on every backend that has it). For v head h, with q/k head h mod n_k_heads (heads repeat whole,
// not in groups as GQA does) and the state S (head_dim x head_dim, S[i][j]: key dim i, value dim j):
//   S      *= exp(g[t][h])
//   d[j]    = (v[j] - sum_i S[i][j] k[i]) * beta[t][h]
//   S[i][j] += k[i] d[j]
//   out[j]  = sum_i S[i][j] q[i] / sqrt(head_dim)
//   q, k   [n_tokens][n_k_heads * head_dim]   already L2-normalised
//   v      [n_tokens][n_v_heads * head_dim]
//   g      [n_tokens][n_v_heads]              log decay (<= 0): softplus(alpha + dt_bias) * ssm_a
//   beta   [n_tokens][n_v_heads]              update strength: sigmoid(beta projection)
//   state  [n_v_heads][head_dim][head_dim]    in ggml's layout, state[h][j][i] = S[i][j]; updated
//   out    [n_tokens][n_v_heads * head_dim]
void gated_delta_net(std::span<const float> q, std::span<const float> k, std::span<const float> v,
                     std::span<const float> g, std::span<const float> beta, const DeltaNetShape& shape,
                     std::span<float> state, std::span<float> out);

// The decay and strength inputs of the delta rule from their projections (src/models/qwen35.cpp):
// g = softplus(alpha + dt_bias) * ssm_a with ggml's softplus (log(1 + exp(x)), x itself above 20), and
// beta = sigmoid(beta_logits). Rows are tokens, columns v heads; `g` and `beta` are written in place.
void delta_net_gates(std::span<float> alpha_to_g, std::span<float> beta_logits_to_beta, std::span<const float> dt_bias,
                     std::span<const float> ssm_a);

// RMSNorm of each head of x times weight, times silu(gate) (the delta-net's gated norm):
// out = (x / sqrt(mean(x^2) + eps) * weight) * silu(z), per row of `width` (one head). `out` may alias x.
void gated_rms_norm(std::span<const float> x, std::span<const float> weight, std::span<const float> gate,
                    std::size_t width, float eps, std::span<float> out);

// out = a * sigmoid(gate), elementwise (qwen35's gated full attention). `out` may alias `a`.
void sigmoid_gate(std::span<const float> a, std::span<const float> gate, std::span<float> out);

// ---- activations --------------------------------------------------------------------------------

// GELU with the tanh approximation, 0.5 x (1 + tanh(sqrt(2/pi) x (1 + 0.044715 x^2))) in float.
float gelu_tanh(float x);

// How ggml's CPU backend evaluates GELU: through a table over every half-precision input (the input
// rounded to F16, the result rounded to F16), 0 below -10 and x above 10. The CUDA backend evaluates
// the formula in float.
enum class GeluEvaluation { formula, ggml_cpu_table };
float gelu(float x, GeluEvaluation how);

// out = gelu(gate) * up (ggml_geglu_split: Gemma's FFN). `out` may alias `gate`.
void geglu(std::span<const float> gate, std::span<const float> up, std::span<float> out, GeluEvaluation how);

// gpt-oss's clamped SwiGLU (ggml_swiglu_oai): x = min(gate, limit), y = clamp(up, -limit, limit),
// out = x / (1 + exp(-alpha x)) * (y + 1). llama.cpp uses alpha 1.702 and limit 7.
void swiglu_clamped(std::span<const float> gate, std::span<const float> up, float alpha, float limit,
                    std::span<float> out);

// x = cap * tanh(x / cap) in place, as three ggml ops (scale by 1/cap, tanh, scale by cap): Gemma 2's
// attention and final logit soft-capping.
void softcap(std::span<float> x, float cap);

// ---- mixture of experts -------------------------------------------------------------------------

enum class RouterGating {
    softmax,         // probabilities = softmax(logits); top-k of the probabilities
    sigmoid,         // probabilities = sigmoid(logits)
    softmax_weight,  // top-k of the logits; weights = softmax over the chosen k (gpt-oss)
};

struct RouterParams {
    std::size_t n_expert_used = 0;
    RouterGating gating = RouterGating::softmax;
    bool normalize = false;  // divide the chosen weights by their sum (clamped below at 6.103515625e-5)
    float scale = 0.0f;      // multiply the weights by this unless it is 0 or 1
};

struct Routing {
    std::vector<std::int32_t> experts;  // [n_tokens][n_expert_used], best first
    std::vector<float> weights;         // [n_tokens][n_expert_used]
};

// llama.cpp's build_moe_ffn routing for router logits [n_tokens][n_expert]: gating, top-k (ties to the
// lower expert index), the weights of the chosen experts, normalisation and scaling in that order.
Routing route_experts(std::span<const float> logits, std::size_t n_expert, const RouterParams& params);

// qwen2moe's shared-expert gate as llama.cpp computes it: silu(x) / x, which is sigmoid(x) except at
// x = 0 (NaN, as in llama.cpp). `x` is [n_tokens] of x . ffn_gate_inp_shexp.
void shared_expert_gate(std::span<float> x);
// qwen35moe's shared-expert gate: the plain sigmoid 1 / (1 + exp(-x)) (ggml_sigmoid), in place.
void shared_expert_sigmoid(std::span<float> x);

// ---- attention ----------------------------------------------------------------------------------

// Whether the key at position p_key is hidden from the query at p_query by a sliding window of `window`
// positions (llama.cpp's LLAMA_SWA_TYPE_STANDARD): hidden when p_query - p_key >= window. 0: no window.
bool sliding_window_masks(std::int64_t p_query, std::int64_t p_key, std::uint64_t window);

struct AttentionExtras {
    std::uint64_t sliding_window = 0;  // 0: every earlier position is visible
    float softcap = 0.0f;              // > 0: raw scores become cap * tanh(score / cap) before scaling
    std::span<const float> sinks;      // empty, or n_head learned logits that join every softmax row
};

// causal_attention (ops.hpp) with the extras, in llama.cpp's order without flash attention
// (build_attn_mha): scores q.k, soft-capping, then scale and mask, then softmax with the head's sink
// counted in the maximum and the sum (ggml_soft_max_add_sinks) but weighting no value.
void causal_attention_ext(std::span<const float> q, std::span<const float> k, std::span<const float> v,
                          std::size_t n_kv, std::size_t first_position, const AttentionShape& shape, float scale,
                          const AttentionExtras& extras, std::span<float> out);

// ---- RoPE ---------------------------------------------------------------------------------------

// Positions of one token for multi-section RoPE: text tokens use {p, p, p, 0} (llama.cpp's
// llm_graph_input_pos for 4 positions per embedding).
using SectionPositions = std::array<std::int64_t, 4>;
SectionPositions text_positions(std::int64_t position);

// cos and sin of the n_rot/2 angles of one token under ggml_rope_multi (ggml_mrope_cache_init): pair i
// takes the position of its section (sector = i mod sum(sections); interleaved: sector mod 3 picks
// the t/h/w section while it lies within 3x that section's size, the fourth section otherwise;
// otherwise contiguous sections), then the same frequency, YaRN and freq_factors as rope_angles.
void rope_multi_angles(const RopeParams& params, const std::array<std::uint32_t, 4>& sections, bool interleaved,
                       const SectionPositions& positions, std::span<float> cos_out, std::span<float> sin_out);

// Rotates the first n_rot dimensions of every head in NeoX pairs (i, i + n_rot/2) with the multi-section
// angles of each token; x is [n_tokens][n_heads * head_dim].
void rope_multi(std::span<float> x, std::size_t n_heads, std::size_t head_dim,
                std::span<const SectionPositions> positions, const RopeParams& params,
                const std::array<std::uint32_t, 4>& sections, bool interleaved);

// The attn_factor llama.cpp's context hands to ggml_rope_ext under YaRN (llama_context's constructor)
// for a context extension `factor` (= 1 / freq_scale): with m(s, k) = 1 + 0.1 k ln(s) (1 for s <= 1),
// m(factor, 1) / m(factor, yarn_log_mul) when rope.scaling.yarn_log_multiplier is set, else m(factor, 1);
// divided by 1 + 0.1 ln(factor), which rope_angles multiplies back in; times rope.scaling.attn_factor.
float yarn_attn_factor(float factor, float yarn_log_mul, float rope_attn_factor);

// LongRoPE (phi3): llama.cpp divides the frequencies by rope_factors_long when the context in use,
// `n_ctx` rounded up to a multiple of 256 as llama_context pads it, exceeds the original training
// context (rope.scaling.original_context_length, else context_length), by rope_factors_short
// otherwise. Its magnitude is the file's rope.scaling.attn_factor with either set.
bool longrope_uses_long_factors(std::uint64_t n_ctx, std::uint64_t n_ctx_orig);

}  // namespace gguf::forward::ops

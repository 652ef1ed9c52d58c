// The operations of a llama-family forward pass, one small function each, on float32 activations
// stored row-major as [n_tokens][width]. The CPU forward pass is composed of these; the GPU kernels are
// tested against them. Every function follows ggml's CPU semantics (cited per function) so that the
// composition matches llama.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace gguf::forward::ops {

// out[t] = x[t] / sqrt(mean(x[t]^2) + eps) * weight, for each row of `width` values (ggml_rms_norm
// followed by ggml_mul). The sum of squares is accumulated in double, as ggml does; the rest is float.
// `out` may alias `x`.
void rms_norm(std::span<const float> x, std::span<const float> weight, std::size_t width, float eps,
              std::span<float> out);

// x[t] += bias, for each row (ggml_add with a broadcast vector).
void add_bias(std::span<float> x, std::span<const float> bias);

// out = a + b, elementwise (the residual connections). `out` may alias either input.
void add(std::span<const float> a, std::span<const float> b, std::span<float> out);

// out = silu(gate) * up with silu(g) = g / (1 + exp(-g)) (ggml_swiglu_split). `out` may alias `gate`.
void swiglu(std::span<const float> gate, std::span<const float> up, std::span<float> out);

// In-place softmax of one row: exp(x - max) / sum, the sum accumulated in double as ggml does.
// Entries equal to -infinity (masked) become 0. A row with a NaN, a +infinity or nothing but -infinity
// (scores of corrupt weights) becomes all NaN, as on the GPU: the damage shows in the logits, where the
// checks name it, instead of stopping the pass.
void softmax(std::span<float> row);

// Plain float matmul for small operands and tests: out[t][o] = sum_i x[t][i] * w[o][i], where `w` is
// [n_out][n_in] row-major (a ggml weight with ne[0] = n_in, ne[1] = n_out).
void matmul(std::span<const float> x, std::span<const float> w, std::size_t n_in, std::size_t n_out,
            std::span<float> out);

// RoPE as ggml's rope_ext computes it. Frequencies: theta_i = position * base^(-2i/n_rot) for the pair
// index i, built as ggml does by repeated float multiplication, divided by a per-pair frequency factor
// when given, then scaled (linear: theta * freq_scale; YaRN: a ramp between interpolated and
// extrapolated theta plus a magnitude factor).
struct RopeParams {
    std::uint32_t n_rot = 0;       // rotated dimensions per head (even, <= head_dim); the rest pass through
    bool neox = false;             // false: pairs (2i, 2i+1); true: pairs (i, i + n_rot/2)
    float freq_base = 10000.0f;
    float freq_scale = 1.0f;       // 1 / context scaling factor
    float ext_factor = 0.0f;       // YaRN extrapolation mix; 0 disables YaRN
    float attn_factor = 1.0f;      // magnitude scale of cos and sin
    float beta_fast = 32.0f;       // YaRN correction range
    float beta_slow = 1.0f;
    std::uint32_t n_ctx_orig = 0;  // YaRN: the original training context
    std::vector<float> freq_factors;  // empty, or n_rot/2 divisors of theta (llama 3's rope_freqs)
};

// cos and sin of the n_rot/2 angles of one position.
void rope_angles(const RopeParams& params, std::int64_t position, std::span<float> cos_out, std::span<float> sin_out);

// Rotates the first n_rot dimensions of every head of x ([n_tokens][n_heads * head_dim]) in place;
// row t is at positions[t].
void rope(std::span<float> x, std::size_t n_heads, std::size_t head_dim, std::span<const std::int64_t> positions,
          const RopeParams& params);

struct AttentionShape {
    std::size_t n_head = 0;
    std::size_t n_head_kv = 0;   // query head h reads key/value head h / (n_head / n_head_kv) (GQA)
    std::size_t head_dim = 0;    // of queries and keys
    std::size_t head_dim_v = 0;  // of values
};

// Causal multi-head attention over a cache of n_kv positions:
//   q   [n_tokens][n_head * head_dim]      query t sits at position first_position + t
//   k   [n_kv][n_head_kv * head_dim]       positions 0 .. n_kv-1
//   v   [n_kv][n_head_kv * head_dim_v]
//   out [n_tokens][n_head * head_dim_v]    softmax(scale * q k^T + causal mask) v, heads concatenated
// Query t sees keys 0 .. first_position + t. `threads` <= 0 uses every core.
void causal_attention(std::span<const float> q, std::span<const float> k, std::span<const float> v,
                      std::size_t n_kv, std::size_t first_position, const AttentionShape& shape, float scale,
                      std::span<float> out, int threads = 1);

}  // namespace gguf::forward::ops

#include "random_weights.hpp"

#include <cmath>
#include <numbers>

namespace gguf::samples::detail {
namespace {

std::uint64_t splitmix64(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

std::uint64_t fnv1a(std::string_view s) {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char ch : s) h = (h ^ ch) * 0x100000001b3ull;
    return h;
}

// Uniform in (0, 1]: never 0, so the logarithm below is finite.
double uniform(std::uint64_t bits) { return (static_cast<double>(bits >> 11) + 1.0) * 0x1.0p-53; }

// Standard normal for element `index` of the stream `key` (Box-Muller on two hashed counters).
double normal(std::uint64_t key, std::uint64_t index) {
    const double u1 = uniform(splitmix64(key ^ splitmix64(2 * index)));
    const double u2 = uniform(splitmix64(key ^ splitmix64(2 * index + 1)));
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

// How one tensor's values are drawn: mean + sigma * N(0,1), or median * exp(sigma * N(0,1)).
struct Distribution {
    enum Kind { gaussian, lognormal, constant } kind = gaussian;
    double location = 0.0;  // mean (gaussian), median (lognormal), value (constant)
    double sigma = 0.0;
};

// Fraction of the way through the blocks: 0 for layer 0, 1 for the last layer.
double depth(const ModelConfig& c, int layer) {
    return c.n_layer > 1 ? static_cast<double>(layer) / static_cast<double>(c.n_layer - 1) : 0.0;
}

Distribution distribution(const ModelConfig& c, const PlannedTensor& t) {
    // Projections at GPT-2/Llama initialisation scale; the two that write into the residual stream are
    // scaled down with depth so activations stay in a sane range through all layers.
    constexpr double proj = 0.02;
    const double residual = proj / std::sqrt(2.0 * std::max<std::uint32_t>(c.n_layer, 1));
    const bool ones = c.norms == NormStyle::ones;
    switch (t.role) {
        case Role::token_embd: return {Distribution::gaussian, 0.0, proj};
        case Role::output: return {Distribution::gaussian, 0.0, proj};
        case Role::attn_q: case Role::attn_k: case Role::attn_v: case Role::ffn_gate: case Role::ffn_up:
            return {Distribution::gaussian, 0.0, proj};
        case Role::attn_output: case Role::ffn_down: return {Distribution::gaussian, 0.0, residual};
        // Real q/k biases are large next to the weights (Qwen2's k bias especially).
        case Role::attn_q_bias: return {Distribution::gaussian, 0.0, 0.1};
        case Role::attn_k_bias: return {Distribution::gaussian, 0.0, 0.5};
        case Role::attn_v_bias: return {Distribution::gaussian, 0.0, 0.02};
        case Role::attn_norm:
            if (ones) return {Distribution::constant, 1.0, 0.0};
            if (c.norms == NormStyle::gemma) return {Distribution::lognormal, 1.5, 0.4};
            return {Distribution::lognormal, 0.05 + 0.35 * depth(c, t.layer), 0.35};
        case Role::ffn_norm:
            if (ones) return {Distribution::constant, 1.0, 0.0};
            if (c.norms == NormStyle::gemma) return {Distribution::lognormal, 1.5, 0.4};
            return {Distribution::lognormal, 0.2 + 0.3 * depth(c, t.layer), 0.25};
        case Role::attn_q_norm: case Role::attn_k_norm:
            if (ones) return {Distribution::constant, 1.0, 0.0};
            // gemma4 does not scale its scores: its trained q/k gains carry the 1/sqrt(head_dim) that other
            // architectures apply (0.3 x 0.3 x sqrt(128) ~ 1), so the softmax is not near one-hot.
            if (c.architecture == Architecture::gemma4) return {Distribution::lognormal, 0.3, 0.2};
            return {Distribution::lognormal, 1.0, 0.2};
        case Role::attn_qkv: case Role::attn_gate: case Role::ssm_alpha: case Role::ssm_beta:
        case Role::ffn_gate_exps: case Role::ffn_up_exps: case Role::ffn_gate_shexp: case Role::ffn_up_shexp:
            return {Distribution::gaussian, 0.0, proj};
        case Role::ssm_out: case Role::ffn_down_exps: case Role::ffn_down_shexp:
            return {Distribution::gaussian, 0.0, residual};
        // Routers with decisive logits, so that top-k choices are not decided by rounding.
        case Role::ffn_gate_inp: return {Distribution::gaussian, 0.0, 0.1};
        case Role::ffn_gate_inp_shexp: return {Distribution::gaussian, 0.0, 0.05};
        // Short conv taps (4 of them) at the scale of their fan-in.
        case Role::ssm_conv1d: return {Distribution::gaussian, 0.0, 0.3};
        case Role::attn_output_bias: case Role::ffn_gate_inp_bias: case Role::ffn_gate_exps_bias:
        case Role::ffn_up_exps_bias: case Role::ffn_down_exps_bias:
            return {Distribution::gaussian, 0.0, 0.02};
        // Sink logits compete with the attention scores (about unit scale after 1/sqrt(d)).
        case Role::attn_sinks: return {Distribution::gaussian, 0.0, 1.0};
        // Decay rates -exp(A_log) of Qwen3-Next-style layers lie between about -1 and -16: all negative.
        case Role::ssm_a: return {Distribution::lognormal, -4.0, 0.6};
        // LongRoPE divisors: near 1 for the original context, growing to tens for the long one.
        case Role::rope_factors_short: return {Distribution::lognormal, 1.1, 0.1};
        case Role::rope_factors_long: return {Distribution::lognormal, 4.0, 0.8};
        case Role::ssm_dt_bias: return {Distribution::gaussian, 0.5, 0.5};
        case Role::ssm_norm:
            if (ones) return {Distribution::constant, 1.0, 0.0};
            return {Distribution::lognormal, 1.0, 0.2};
        case Role::per_layer_model_proj: case Role::per_layer_inp_gate: return {Distribution::gaussian, 0.0, proj};
        case Role::per_layer_token_embd: return {Distribution::gaussian, 0.0, proj};
        case Role::per_layer_proj: return {Distribution::gaussian, 0.0, residual};
        // Trained gemma4 blocks scale their output by a learned scalar below 1.
        case Role::layer_output_scale: return {Distribution::lognormal, 0.5, 0.3};
        case Role::rope_freqs: return {Distribution::constant, 1.0, 0.0};  // fill_random: 1e30 past the rotated part
        case Role::attn_post_norm: case Role::ffn_post_norm: case Role::per_layer_proj_norm: case Role::per_layer_post_norm:
            if (ones) return {Distribution::constant, 1.0, 0.0};
            if (c.norms == NormStyle::gemma) return {Distribution::lognormal, 1.5, 0.4};
            return {Distribution::lognormal, 0.2 + 0.3 * depth(c, t.layer), 0.25};
        case Role::output_norm:
            if (ones) return {Distribution::constant, 1.0, 0.0};
            if (c.norms == NormStyle::gemma) return {Distribution::lognormal, 1.5, 0.4};
            // qwen: median 6.7 and sigma 0.3 give a mean near 7 and, over ~900 values, a maximum near 17.
            if (c.norms == NormStyle::qwen) return {Distribution::lognormal, 6.7, 0.3};
            return {Distribution::lognormal, 1.75, 0.25};
    }
    return {};
}

}  // namespace

void fill_random(const ModelConfig& c, const PlannedTensor& t, std::uint64_t first_row, std::span<float> out) {
    const Distribution d = distribution(c, t);
    const std::uint64_t key = splitmix64(c.seed ^ fnv1a(t.name));
    const std::uint64_t first = first_row * t.row_length();
    const std::int64_t n = static_cast<std::int64_t>(out.size());
#pragma omp parallel for schedule(static) if (n > 65536)
    for (std::int64_t i = 0; i < n; ++i) {
        const std::uint64_t index = first + static_cast<std::uint64_t>(i);
        double v = d.location;
        if (d.kind == Distribution::gaussian) v = d.location + d.sigma * normal(key, index);
        else if (d.kind == Distribution::lognormal) v = d.location * std::exp(d.sigma * normal(key, index));
        // gemma4's "proportional" RoPE: the global layers rotate only the first pairs; a factor of 1e30
        // (llama.cpp's converter's value) leaves the others in place.
        if (t.role == Role::rope_freqs && c.rope_rotated_global != 0 && index >= c.rope_rotated_global / 2) v = 1e30;
        out[static_cast<std::size_t>(i)] = static_cast<float>(v);
    }
}

}  // namespace gguf::samples::detail

// qwen35's gated delta-net: L2 norm of q and k, the short causal conv with its carried state, the decay
// and strength gates, the delta rule with its recurrent state, and the gated RMSNorm of the output.
#include <Eigen/Core>
#include <cmath>
#include <stdexcept>

#include "eigen_maps.hpp"
#include "gguf/forward/ops_extra.hpp"

namespace gguf::forward::ops {
namespace {

float silu(float x) { return x / (1.0f + std::exp(-x)); }

// ggml's softplus: log(1 + exp(x)) in float (not log1p), and x itself above 20.
float softplus(float x) { return x > 20.0f ? x : std::log(1.0f + std::exp(x)); }

}  // namespace

void l2_norm(std::span<const float> x, std::size_t width, float eps, std::span<float> out) {
    if (width == 0 || x.size() % width != 0 || out.size() != x.size()) throw std::invalid_argument("l2_norm: shapes do not match");
    const std::size_t rows = x.size() / width;
    const float n = static_cast<float>(width);
    const float rms_eps = eps / n;
    const float tail = 1.0f / std::sqrt(n);
    for (std::size_t r = 0; r < rows; ++r) {
        const float* in = x.data() + r * width;
        double sum_squares = 0;
        for (std::size_t i = 0; i < width; ++i) sum_squares += static_cast<double>(in[i]) * in[i];
        const float mean = static_cast<float>(sum_squares / static_cast<double>(width));
        const float scale = 1.0f / std::sqrt(mean + rms_eps);
        float* o = out.data() + r * width;
        // Two roundings, as the two ggml ops (rms_norm, then scale) make them.
        for (std::size_t i = 0; i < width; ++i) o[i] = (in[i] * scale) * tail;
    }
}

void causal_conv1d(std::span<const float> x, std::span<const float> taps, std::size_t d_conv, std::span<float> state,
                   std::span<float> out) {
    if (d_conv == 0 || taps.size() % d_conv != 0) throw std::invalid_argument("causal_conv1d: shapes do not match");
    const std::size_t channels = taps.size() / d_conv, history = d_conv - 1;
    if (channels == 0 || x.size() % channels != 0 || out.size() != x.size() || state.size() != channels * history)
        throw std::invalid_argument("causal_conv1d: shapes do not match");
    const std::size_t n_tokens = x.size() / channels;
    std::vector<float> window(history + n_tokens);
    for (std::size_t c = 0; c < channels; ++c) {
        // This channel's sequence: the carried inputs, then the new ones.
        float* carried = state.data() + c * history;
        std::copy(carried, carried + history, window.begin());
        for (std::size_t t = 0; t < n_tokens; ++t) window[history + t] = x[t * channels + c];
        const float* w = taps.data() + c * d_conv;
        for (std::size_t t = 0; t < n_tokens; ++t) {
            float sum = 0.0f;
            for (std::size_t k = 0; k < d_conv; ++k) sum += window[t + k] * w[k];
            out[t * channels + c] = sum;
        }
        std::copy(window.end() - static_cast<std::ptrdiff_t>(history), window.end(), carried);
    }
}

void gated_delta_net(std::span<const float> q, std::span<const float> k, std::span<const float> v,
                     std::span<const float> g, std::span<const float> beta, const DeltaNetShape& s,
                     std::span<float> state, std::span<float> out) {
    const std::size_t d = s.head_dim;
    if (d == 0 || s.n_k_heads == 0 || s.n_v_heads % s.n_k_heads != 0)
        throw std::invalid_argument("gated_delta_net: bad head counts");
    const std::size_t qk_width = s.n_k_heads * d, v_width = s.n_v_heads * d;
    if (q.size() % qk_width != 0) throw std::invalid_argument("gated_delta_net: shapes do not match");
    const std::size_t n_tokens = q.size() / qk_width;
    if (k.size() != q.size() || v.size() != n_tokens * v_width || g.size() != n_tokens * s.n_v_heads ||
        beta.size() != g.size() || state.size() != s.n_v_heads * d * d || out.size() != v.size())
        throw std::invalid_argument("gated_delta_net: shapes do not match");
    const float scale = 1.0f / std::sqrt(static_cast<float>(d));
    std::vector<float> delta(d);
    for (std::size_t h = 0; h < s.n_v_heads; ++h) {
        const std::size_t kh = h % s.n_k_heads;
        // Row j of M is column j of S: M[j][i] = S[i][j].
        RowMajor m = map(state.subspan(h * d * d, d * d), d, d);
        for (std::size_t t = 0; t < n_tokens; ++t) {
            const ConstVector q_t = map(q.subspan(t * qk_width + kh * d, d));
            const ConstVector k_t = map(k.subspan(t * qk_width + kh * d, d));
            const float* v_t = v.data() + t * v_width + h * d;
            const float b = beta[t * s.n_v_heads + h];
            m *= std::exp(g[t * s.n_v_heads + h]);
            for (std::size_t j = 0; j < d; ++j) delta[j] = (v_t[j] - m.row(j).dot(k_t.transpose())) * b;
            for (std::size_t j = 0; j < d; ++j) m.row(j) += delta[j] * k_t.transpose();
            float* o = out.data() + t * v_width + h * d;
            for (std::size_t j = 0; j < d; ++j) o[j] = m.row(j).dot(q_t.transpose()) * scale;
        }
    }
}

void delta_net_gates(std::span<float> alpha_to_g, std::span<float> beta_logits_to_beta, std::span<const float> dt_bias,
                     std::span<const float> ssm_a) {
    const std::size_t heads = dt_bias.size();
    if (heads == 0 || ssm_a.size() != heads || alpha_to_g.size() % heads != 0 || beta_logits_to_beta.size() != alpha_to_g.size())
        throw std::invalid_argument("delta_net_gates: shapes do not match");
    for (std::size_t i = 0; i < alpha_to_g.size(); ++i) {
        const std::size_t h = i % heads;
        alpha_to_g[i] = softplus(alpha_to_g[i] + dt_bias[h]) * ssm_a[h];
        beta_logits_to_beta[i] = 1.0f / (1.0f + std::exp(-beta_logits_to_beta[i]));
    }
}

void gated_rms_norm(std::span<const float> x, std::span<const float> weight, std::span<const float> gate,
                    std::size_t width, float eps, std::span<float> out) {
    if (gate.size() != x.size()) throw std::invalid_argument("gated_rms_norm: shapes do not match");
    rms_norm(x, weight, width, eps, out);
    for (std::size_t i = 0; i < out.size(); ++i) out[i] *= silu(gate[i]);
}

void sigmoid_gate(std::span<const float> a, std::span<const float> gate, std::span<float> out) {
    if (gate.size() != a.size() || out.size() != a.size()) throw std::invalid_argument("sigmoid_gate: shapes do not match");
    for (std::size_t i = 0; i < a.size(); ++i) out[i] = a[i] * (1.0f / (1.0f + std::exp(-gate[i])));
}

}  // namespace gguf::forward::ops

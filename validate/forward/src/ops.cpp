#include "gguf/forward/ops.hpp"

#include <omp.h>

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "eigen_maps.hpp"

namespace gguf::forward::ops {

void rms_norm(std::span<const float> x, std::span<const float> weight, std::size_t width, float eps,
              std::span<float> out) {
    if (width == 0 || x.size() % width != 0 || out.size() != x.size() || weight.size() != width)
        throw std::invalid_argument("rms_norm: shapes do not match");
    const std::size_t rows = x.size() / width;
    const ConstRowMajor in = map(x, rows, width);
    RowMajor result = map(out, rows, width);
    const ConstVector w = map(weight);
    for (std::size_t t = 0; t < rows; ++t) {
        const double sum_squares = in.row(t).cast<double>().squaredNorm();
        const float mean = static_cast<float>(sum_squares / static_cast<double>(width));
        const float scale = 1.0f / std::sqrt(mean + eps);
        // Two roundings, as ggml's rms_norm and mul ops do: x * scale, then * weight.
        result.row(t) = (in.row(t) * scale).cwiseProduct(w.transpose());
    }
}

void add_bias(std::span<float> x, std::span<const float> bias) {
    if (bias.empty() || x.size() % bias.size() != 0) throw std::invalid_argument("add_bias: shapes do not match");
    RowMajor rows = map(x, x.size() / bias.size(), bias.size());
    rows.rowwise() += map(bias).transpose();
}

void add(std::span<const float> a, std::span<const float> b, std::span<float> out) {
    if (a.size() != b.size() || out.size() != a.size()) throw std::invalid_argument("add: shapes do not match");
    map(out) = map(a) + map(b);
}

void swiglu(std::span<const float> gate, std::span<const float> up, std::span<float> out) {
    if (gate.size() != up.size() || out.size() != gate.size()) throw std::invalid_argument("swiglu: shapes do not match");
    const ConstVector g = map(gate);
    map(out) = (g.array() / (1.0f + (-g.array()).exp())) * map(up).array();
}

void softmax(std::span<float> row) {
    Vector x = map(row);
    // The largest number, NaNs skipped (fmaxf on the GPU); a NaN entry then makes the sum, and so every
    // entry, NaN, and so does subtracting an infinite maximum.
    const float max = x.maxCoeff<Eigen::PropagateNumbers>();
    x = (x.array() - max).exp();
    const double sum = x.cast<double>().sum();
    x *= static_cast<float>(1.0 / sum);
}

void matmul(std::span<const float> x, std::span<const float> w, std::size_t n_in, std::size_t n_out,
            std::span<float> out) {
    if (n_in == 0 || x.size() % n_in != 0 || w.size() != n_in * n_out || out.size() != x.size() / n_in * n_out)
        throw std::invalid_argument("matmul: shapes do not match");
    const std::size_t rows = x.size() / n_in;
    map(out, rows, n_out).noalias() = map(x, rows, n_in) * map(w, n_out, n_in).transpose();
}

void rope_angles(const RopeParams& p, std::int64_t position, std::span<float> cos_out, std::span<float> sin_out) {
    const std::size_t n_pairs = p.n_rot / 2;
    if (cos_out.size() != n_pairs || sin_out.size() != n_pairs || (!p.freq_factors.empty() && p.freq_factors.size() < n_pairs))
        throw std::invalid_argument("rope_angles: shapes do not match");
    const float theta_scale = std::pow(p.freq_base, -2.0f / static_cast<float>(p.n_rot));

    // YaRN's correction range in pair indices (ggml_rope_yarn_corr_dims).
    float corr_low = 0, corr_high = 0;
    if (p.ext_factor != 0.0f) {
        const auto corr_dim = [&](float n_rotations) {
            return static_cast<float>(p.n_rot) *
                   std::log(static_cast<float>(p.n_ctx_orig) / (n_rotations * 2 * static_cast<float>(M_PI))) /
                   (2 * std::log(p.freq_base));
        };
        corr_low = std::max(0.0f, std::floor(corr_dim(p.beta_fast)));
        corr_high = std::min(static_cast<float>(p.n_rot - 1), std::ceil(corr_dim(p.beta_slow)));
    }

    // theta is advanced by repeated multiplication in float, exactly as ggml builds its cache; a
    // closed-form pow() differs in the last bits at large positions.
    float theta = static_cast<float>(position);
    for (std::size_t i = 0; i < n_pairs; ++i) {
        const float extrapolated = p.freq_factors.empty() ? theta : theta / p.freq_factors[i];
        const float interpolated = p.freq_scale * extrapolated;
        float angle = interpolated;
        float magnitude = p.attn_factor;
        if (p.ext_factor != 0.0f) {
            const float y = (static_cast<float>(i) - corr_low) / std::max(0.001f, corr_high - corr_low);
            const float ramp_mix = (1 - std::min(1.0f, std::max(0.0f, y))) * p.ext_factor;
            angle = interpolated * (1 - ramp_mix) + extrapolated * ramp_mix;
            magnitude *= 1.0f + 0.1f * std::log(1.0f / p.freq_scale);
        }
        cos_out[i] = std::cos(angle) * magnitude;
        sin_out[i] = std::sin(angle) * magnitude;
        theta *= theta_scale;
    }
}

void rope(std::span<float> x, std::size_t n_heads, std::size_t head_dim, std::span<const std::int64_t> positions,
          const RopeParams& p) {
    const std::size_t width = n_heads * head_dim;
    if (p.n_rot % 2 != 0 || p.n_rot > head_dim || x.size() != positions.size() * width)
        throw std::invalid_argument("rope: shapes do not match");
    const std::size_t n_pairs = p.n_rot / 2;
    // Pair i rotates dimensions (first(i), first(i) + offset) of each head.
    const std::size_t offset = p.neox ? n_pairs : 1;
    std::vector<float> cos(n_pairs), sin(n_pairs);
    for (std::size_t t = 0; t < positions.size(); ++t) {
        rope_angles(p, positions[t], cos, sin);
        for (std::size_t h = 0; h < n_heads; ++h) {
            float* head = x.data() + t * width + h * head_dim;
            for (std::size_t i = 0; i < n_pairs; ++i) {
                float* a = head + (p.neox ? i : 2 * i);
                float* b = a + offset;
                const float x0 = *a, x1 = *b;
                *a = x0 * cos[i] - x1 * sin[i];
                *b = x0 * sin[i] + x1 * cos[i];
            }
        }
    }
}

void causal_attention(std::span<const float> q, std::span<const float> k, std::span<const float> v, std::size_t n_kv,
                      std::size_t first_position, const AttentionShape& s, float scale, std::span<float> out,
                      int threads) {
    const std::size_t q_width = s.n_head * s.head_dim, k_width = s.n_head_kv * s.head_dim,
                      v_width = s.n_head_kv * s.head_dim_v, out_width = s.n_head * s.head_dim_v;
    if (s.n_head_kv == 0 || s.n_head % s.n_head_kv != 0 || q_width == 0 || q.size() % q_width != 0)
        throw std::invalid_argument("causal_attention: bad head counts");
    const std::size_t n_tokens = q.size() / q_width;
    if (k.size() != n_kv * k_width || v.size() != n_kv * v_width || out.size() != n_tokens * out_width ||
        first_position + n_tokens > n_kv)
        throw std::invalid_argument("causal_attention: shapes do not match");
    const std::size_t group = s.n_head / s.n_head_kv;
    const ConstRowMajor q_all = map(q, n_tokens, q_width);
    const ConstRowMajor k_all = map(k, n_kv, k_width);
    const ConstRowMajor v_all = map(v, n_kv, v_width);
    RowMajor out_all = map(out, n_tokens, out_width);
    const auto n_heads = static_cast<std::ptrdiff_t>(s.n_head);
    // Small problems stay on one thread: waking a team costs more than it saves.
    const bool parallel = n_tokens * n_kv * s.n_head * (s.head_dim + s.head_dim_v) >= (std::size_t{1} << 20);

#pragma omp parallel for num_threads(threads > 0 ? threads : omp_get_max_threads()) schedule(static) if (parallel)
    for (std::ptrdiff_t h = 0; h < n_heads; ++h) {
        const std::size_t kv_head = static_cast<std::size_t>(h) / group;
        const auto q_h = q_all.middleCols(static_cast<std::size_t>(h) * s.head_dim, s.head_dim);   // [T][hd]
        const auto k_h = k_all.middleCols(kv_head * s.head_dim, s.head_dim);                       // [n_kv][hd]
        const auto v_h = v_all.middleCols(kv_head * s.head_dim_v, s.head_dim_v);                   // [n_kv][hd_v]
        RowMajorMatrix scores = q_h * k_h.transpose();  // [T][n_kv]
        for (std::size_t t = 0; t < n_tokens; ++t) {
            const std::size_t visible = first_position + t + 1;  // keys at positions <= the query's
            auto row = scores.row(t);
            row *= scale;
            row.tail(n_kv - visible).setConstant(-std::numeric_limits<float>::infinity());
            softmax({row.data(), n_kv});
        }
        out_all.middleCols(static_cast<std::size_t>(h) * s.head_dim_v, s.head_dim_v).noalias() = scores * v_h;
    }
}

}  // namespace gguf::forward::ops

// Causal attention with a sliding window, soft-capped scores and attention sinks, in the order of
// llama.cpp's build_attn_mha without flash attention.
#include <Eigen/Core>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "eigen_maps.hpp"
#include "gguf/forward/ops_extra.hpp"

namespace gguf::forward::ops {

bool sliding_window_masks(std::int64_t p_query, std::int64_t p_key, std::uint64_t window) {
    return window != 0 && p_query - p_key >= static_cast<std::int64_t>(window);
}

void causal_attention_ext(std::span<const float> q, std::span<const float> k, std::span<const float> v,
                          std::size_t n_kv, std::size_t first_position, const AttentionShape& s, float scale,
                          const AttentionExtras& extras, std::span<float> out) {
    const std::size_t q_width = s.n_head * s.head_dim, k_width = s.n_head_kv * s.head_dim,
                      v_width = s.n_head_kv * s.head_dim_v, out_width = s.n_head * s.head_dim_v;
    if (s.n_head_kv == 0 || s.n_head % s.n_head_kv != 0 || q_width == 0 || q.size() % q_width != 0)
        throw std::invalid_argument("causal_attention_ext: bad head counts");
    const std::size_t n_tokens = q.size() / q_width;
    if (k.size() != n_kv * k_width || v.size() != n_kv * v_width || out.size() != n_tokens * out_width ||
        first_position + n_tokens > n_kv || (!extras.sinks.empty() && extras.sinks.size() != s.n_head))
        throw std::invalid_argument("causal_attention_ext: shapes do not match");
    const std::size_t group = s.n_head / s.n_head_kv;
    const ConstRowMajor q_all = map(q, n_tokens, q_width);
    const ConstRowMajor k_all = map(k, n_kv, k_width);
    const ConstRowMajor v_all = map(v, n_kv, v_width);
    RowMajor out_all = map(out, n_tokens, out_width);
    constexpr float masked = -std::numeric_limits<float>::infinity();
    for (std::size_t h = 0; h < s.n_head; ++h) {
        const std::size_t kv_head = h / group;
        const auto q_h = q_all.middleCols(h * s.head_dim, s.head_dim);
        const auto k_h = k_all.middleCols(kv_head * s.head_dim, s.head_dim);
        const auto v_h = v_all.middleCols(kv_head * s.head_dim_v, s.head_dim_v);
        RowMajorMatrix scores = q_h * k_h.transpose();  // [T][n_kv]
        if (extras.softcap > 0.0f) softcap({scores.data(), static_cast<std::size_t>(scores.size())}, extras.softcap);
        for (std::size_t t = 0; t < n_tokens; ++t) {
            const auto p_query = static_cast<std::int64_t>(first_position + t);
            float* row = scores.data() + t * n_kv;
            float max = masked;
            for (std::size_t j = 0; j < n_kv; ++j) {
                const bool hidden = static_cast<std::int64_t>(j) > p_query ||
                                    sliding_window_masks(p_query, static_cast<std::int64_t>(j), extras.sliding_window);
                row[j] = hidden ? masked : row[j] * scale;
                if (row[j] > max) max = row[j];
            }
            // The sink joins the maximum and the sum, as ggml_soft_max_add_sinks does, but has no value.
            const bool sink = !extras.sinks.empty();
            if (sink) max = std::max(max, extras.sinks[h]);
            double sum = 0;
            for (std::size_t j = 0; j < n_kv; ++j) {
                row[j] = std::exp(row[j] - max);
                sum += row[j];
            }
            if (sink) sum += std::exp(extras.sinks[h] - max);
            const float inverse = static_cast<float>(1.0 / sum);
            for (std::size_t j = 0; j < n_kv; ++j) row[j] *= inverse;
        }
        out_all.middleCols(h * s.head_dim_v, s.head_dim_v).noalias() = scores * v_h;
    }
}

}  // namespace gguf::forward::ops

// Multi-section RoPE (ggml_rope_multi), and the YaRN and LongRoPE parameters llama.cpp derives.
#include <cmath>
#include <stdexcept>

#include "gguf/forward/ops_extra.hpp"

namespace gguf::forward::ops {

SectionPositions text_positions(std::int64_t position) { return {position, position, position, 0}; }

void rope_multi_angles(const RopeParams& p, const std::array<std::uint32_t, 4>& sections, bool interleaved,
                       const SectionPositions& positions, std::span<float> cos_out, std::span<float> sin_out) {
    const std::size_t n_pairs = p.n_rot / 2;
    const std::uint32_t sect_dims = sections[0] + sections[1] + sections[2] + sections[3];
    if (sect_dims == 0 || cos_out.size() != n_pairs || sin_out.size() != n_pairs)
        throw std::invalid_argument("rope_multi_angles: shapes do not match");
    // Each pair's angle is rope_angles' angle for its section's position: compute the four sets.
    std::array<std::vector<float>, 4> cos_by, sin_by;
    for (std::size_t s = 0; s < 4; ++s) {
        cos_by[s].resize(n_pairs);
        sin_by[s].resize(n_pairs);
        rope_angles(p, positions[s], cos_by[s], sin_by[s]);
    }
    const std::uint32_t sec_w = sections[0] + sections[1];
    for (std::size_t i = 0; i < n_pairs; ++i) {
        const std::uint32_t sector = static_cast<std::uint32_t>(i % sect_dims);
        std::size_t section = 0;
        if (interleaved) {
            if (sector % 3 == 1 && sector < 3 * sections[1]) section = 1;
            else if (sector % 3 == 2 && sector < 3 * sections[2]) section = 2;
            else if (sector % 3 == 0 && sector < 3 * sections[0]) section = 0;
            else section = 3;
        } else {
            if (sector >= sections[0] && sector < sec_w) section = 1;
            else if (sector >= sec_w && sector < sec_w + sections[2]) section = 2;
            else if (sector >= sec_w + sections[2]) section = 3;
        }
        cos_out[i] = cos_by[section][i];
        sin_out[i] = sin_by[section][i];
    }
}

void rope_multi(std::span<float> x, std::size_t n_heads, std::size_t head_dim,
                std::span<const SectionPositions> positions, const RopeParams& p,
                const std::array<std::uint32_t, 4>& sections, bool interleaved) {
    const std::size_t width = n_heads * head_dim;
    if (p.n_rot % 2 != 0 || p.n_rot > head_dim || x.size() != positions.size() * width)
        throw std::invalid_argument("rope_multi: shapes do not match");
    const std::size_t n_pairs = p.n_rot / 2;
    std::vector<float> cos(n_pairs), sin(n_pairs);
    for (std::size_t t = 0; t < positions.size(); ++t) {
        rope_multi_angles(p, sections, interleaved, positions[t], cos, sin);
        for (std::size_t h = 0; h < n_heads; ++h) {
            float* head = x.data() + t * width + h * head_dim;
            for (std::size_t i = 0; i < n_pairs; ++i) {
                const float x0 = head[i], x1 = head[i + n_pairs];
                head[i] = x0 * cos[i] - x1 * sin[i];
                head[i + n_pairs] = x0 * sin[i] + x1 * cos[i];
            }
        }
    }
}

float yarn_attn_factor(float factor, float yarn_log_mul, float rope_attn_factor) {
    const auto mscale = [](float scale, float m) { return scale <= 1.0f ? 1.0f : 0.1f * m * std::log(scale) + 1.0f; };
    float a = yarn_log_mul != 0.0f ? mscale(factor, 1.0f) / mscale(factor, yarn_log_mul) : mscale(factor, 1.0f);
    a *= 1.0f / (1.0f + 0.1f * std::log(factor));
    return a * rope_attn_factor;
}

bool longrope_uses_long_factors(std::uint64_t n_ctx, std::uint64_t n_ctx_orig) {
    constexpr std::uint64_t pad = 256;  // llama_context rounds its context up to a multiple of this
    return (n_ctx + pad - 1) / pad * pad > n_ctx_orig;
}

}  // namespace gguf::forward::ops

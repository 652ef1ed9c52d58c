// GELU (formula and ggml's CPU table), GEGLU, gpt-oss's clamped SwiGLU, and soft-capping.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "gguf/float_formats.hpp"
#include "gguf/forward/ops_extra.hpp"

namespace gguf::forward::ops {

float gelu_tanh(float x) {
    constexpr float sqrt_2_over_pi = 0.79788456080286535587989211986876f;
    constexpr float coef_a = 0.044715f;
    return 0.5f * x * (1.0f + std::tanh(sqrt_2_over_pi * x * (1.0f + coef_a * x * x)));
}

float gelu(float x, GeluEvaluation how) {
    if (how == GeluEvaluation::formula) return gelu_tanh(x);
    // ggml's table holds gelu of every F16 input, rounded to F16; outside [-10, 10] it is not consulted.
    if (x <= -10.0f) return 0.0f;
    if (x >= 10.0f) return x;
    const float rounded = fp16_to_fp32(fp32_to_fp16(x));
    return fp16_to_fp32(fp32_to_fp16(gelu_tanh(rounded)));
}

void geglu(std::span<const float> gate, std::span<const float> up, std::span<float> out, GeluEvaluation how) {
    if (gate.size() != up.size() || out.size() != gate.size()) throw std::invalid_argument("geglu: shapes do not match");
    for (std::size_t i = 0; i < gate.size(); ++i) out[i] = gelu(gate[i], how) * up[i];
}

void swiglu_clamped(std::span<const float> gate, std::span<const float> up, float alpha, float limit,
                    std::span<float> out) {
    if (gate.size() != up.size() || out.size() != gate.size())
        throw std::invalid_argument("swiglu_clamped: shapes do not match");
    for (std::size_t i = 0; i < gate.size(); ++i) {
        const float x = std::min(gate[i], limit);
        const float y = std::clamp(up[i], -limit, limit);
        out[i] = x / (1.0f + std::exp(alpha * (-x))) * (y + 1.0f);
    }
}

void softcap(std::span<float> x, float cap) {
    if (!(cap > 0.0f)) throw std::invalid_argument("softcap: the cap must be positive");
    const float inverse = 1.0f / cap;
    for (float& v : x) v = std::tanh(v * inverse) * cap;
}

}  // namespace gguf::forward::ops

// Expert routing as llama.cpp's build_moe_ffn does it, and qwen2moe's shared-expert gate.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "gguf/forward/ops_extra.hpp"

namespace gguf::forward::ops {

Routing route_experts(std::span<const float> logits, std::size_t n_expert, const RouterParams& p) {
    if (n_expert == 0 || logits.size() % n_expert != 0 || p.n_expert_used == 0 || p.n_expert_used > n_expert)
        throw std::invalid_argument("route_experts: shapes do not match");
    const std::size_t n_tokens = logits.size() / n_expert, k = p.n_expert_used;
    Routing r;
    r.experts.resize(n_tokens * k);
    r.weights.resize(n_tokens * k);
    std::vector<float> probs(n_expert);
    std::vector<std::int32_t> order(n_expert);
    for (std::size_t t = 0; t < n_tokens; ++t) {
        std::copy_n(logits.begin() + static_cast<std::ptrdiff_t>(t * n_expert), n_expert, probs.begin());
        if (p.gating == RouterGating::softmax) softmax(probs);
        else if (p.gating == RouterGating::sigmoid)
            for (float& x : probs) x = 1.0f / (1.0f + std::exp(-x));
        // Top-k of the probabilities (of the logits for softmax_weight), best first; equal values keep the
        // lower index first.
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](std::int32_t a, std::int32_t b) { return probs[a] > probs[b]; });
        float* w = r.weights.data() + t * k;
        std::int32_t* e = r.experts.data() + t * k;
        for (std::size_t i = 0; i < k; ++i) {
            e[i] = order[i];
            w[i] = probs[order[i]];
        }
        if (p.gating == RouterGating::softmax_weight) softmax({w, k});
        if (p.normalize) {
            double sum = 0;
            for (std::size_t i = 0; i < k; ++i) sum += w[i];
            // llama.cpp clamps the sum at the smallest normal F16 so that an all-zero row cannot divide by 0.
            const float divisor = std::max(static_cast<float>(sum), 6.103515625e-5f);
            for (std::size_t i = 0; i < k; ++i) w[i] /= divisor;
        }
        if (p.scale != 0.0f && p.scale != 1.0f)
            for (std::size_t i = 0; i < k; ++i) w[i] *= p.scale;
    }
    return r;
}

void shared_expert_gate(std::span<float> x) {
    for (float& v : x) v = (v / (1.0f + std::exp(-v))) / v;
}

void shared_expert_sigmoid(std::span<float> x) {
    for (float& v : x) v = 1.0f / (1.0f + std::exp(-v));
}

}  // namespace gguf::forward::ops

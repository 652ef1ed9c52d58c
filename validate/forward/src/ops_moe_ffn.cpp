// The mixture of experts after routing, as llama.cpp's build_moe_ffn computes it: each chosen expert's
// SwiGLU feed-forward (ggml_mul_mat_id), its output times the expert's weight, then the k weighted
// outputs added in routing order.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "gguf/forward/ops_moe.hpp"

namespace gguf::forward::ops {

void write_routing(const Routing& routing, std::size_t k, std::span<float> slot) {
    const std::size_t n_tokens = k ? routing.experts.size() / k : 0;
    if (k == 0 || routing.weights.size() != routing.experts.size() || slot.size() != 2 * n_tokens * k)
        throw std::invalid_argument("write_routing: shapes do not match");
    for (std::size_t t = 0; t < n_tokens; ++t)
        for (std::size_t r = 0; r < k; ++r) {
            slot[t * 2 * k + r] = static_cast<float>(routing.experts[t * k + r]);
            slot[t * 2 * k + k + r] = routing.weights[t * k + r];
        }
}

Routing read_routing(std::span<const float> slot, std::size_t k, std::size_t n_expert) {
    if (k == 0 || slot.size() % (2 * k) != 0) throw std::invalid_argument("read_routing: shapes do not match");
    const std::size_t n_tokens = slot.size() / (2 * k);
    Routing r;
    r.experts.resize(n_tokens * k);
    r.weights.resize(n_tokens * k);
    for (std::size_t t = 0; t < n_tokens; ++t)
        for (std::size_t i = 0; i < k; ++i) {
            const float id = slot[t * 2 * k + i];
            // Written by write_routing from integers below n_expert; anything else is a corrupted slot.
            if (!(id >= 0.0f && id < static_cast<float>(n_expert)) || id != std::floor(id))
                throw std::invalid_argument("read_routing: token " + std::to_string(t) + " chose no expert of [0, " +
                                            std::to_string(n_expert) + ")");
            r.experts[t * k + i] = static_cast<std::int32_t>(id);
            r.weights[t * k + i] = slot[t * 2 * k + k + i];
        }
    return r;
}

ExpertGroups group_by_expert(const Routing& routing, std::size_t k, std::size_t n_expert) {
    const std::size_t n_choices = routing.experts.size();
    ExpertGroups g;
    g.start.assign(n_expert + 1, 0);
    for (const std::int32_t e : routing.experts) {
        if (e < 0 || static_cast<std::size_t>(e) >= n_expert) throw std::invalid_argument("group_by_expert: expert out of range");
        ++g.start[static_cast<std::size_t>(e) + 1];
    }
    for (std::size_t e = 0; e < n_expert; ++e) g.start[e + 1] += g.start[e];
    g.token.resize(n_choices);
    g.position.resize(n_choices);
    std::vector<std::size_t> next(g.start.begin(), g.start.end() - 1);
    for (std::size_t i = 0; i < n_choices; ++i) {  // by token, so each expert's entries are by token
        const std::size_t at = next[static_cast<std::size_t>(routing.experts[i])]++;
        g.token[at] = static_cast<std::int32_t>(i / k);
        g.position[i] = static_cast<std::int32_t>(at);
    }
    return g;
}

void combine_experts(std::span<const float> y, std::span<const std::int32_t> position, std::span<const float> weights,
                     std::size_t k, std::size_t width, std::span<float> out) {
    const std::size_t n_tokens = width ? out.size() / width : 0;
    if (k == 0 || position.size() != n_tokens * k || weights.size() != n_tokens * k || y.size() != n_tokens * k * width)
        throw std::invalid_argument("combine_experts: shapes do not match");
    for (std::size_t t = 0; t < n_tokens; ++t) {
        float* o = out.data() + t * width;
        for (std::size_t r = 0; r < k; ++r) {
            const float w = weights[t * k + r];
            const float* row = y.data() + static_cast<std::size_t>(position[t * k + r]) * width;
            if (r == 0)
                for (std::size_t i = 0; i < width; ++i) o[i] = row[i] * w;
            else
                for (std::size_t i = 0; i < width; ++i) o[i] += row[i] * w;
        }
    }
}

void moe_ffn(std::span<const float> x, const Routing& routing, const ExpertShape& s, const ExpertProduct& product,
             std::span<float> out) {
    const std::size_t n_tokens = s.n_in ? x.size() / s.n_in : 0;
    const std::size_t n_choices = routing.experts.size();
    if (n_tokens == 0 || n_choices % n_tokens != 0 || out.size() != n_tokens * s.n_out)
        throw std::invalid_argument("moe_ffn: shapes do not match");
    const std::size_t k = n_choices / n_tokens;
    const ExpertGroups g = group_by_expert(routing, k, s.n_expert);
    std::vector<float> y(n_choices * s.n_out), xs, gate, up;
    for (std::size_t e = 0; e < s.n_expert; ++e) {
        const std::size_t first = g.start[e], m = g.start[e + 1] - first;
        if (m == 0) continue;
        xs.resize(m * s.n_in);
        for (std::size_t i = 0; i < m; ++i)
            std::copy_n(x.data() + static_cast<std::size_t>(g.token[first + i]) * s.n_in, s.n_in, xs.data() + i * s.n_in);
        gate.resize(m * s.n_ff);
        up.resize(m * s.n_ff);
        product(e, ExpertMatrix::gate, xs, gate);
        product(e, ExpertMatrix::up, xs, up);
        if (s.swiglu_limit > 0.0f) swiglu_clamped(gate, up, s.swiglu_alpha, s.swiglu_limit, gate);
        else swiglu(gate, up, gate);
        product(e, ExpertMatrix::down, gate, std::span(y).subspan(first * s.n_out, m * s.n_out));
    }
    combine_experts(y, g.position, routing.weights, k, s.n_out, out);
}

}  // namespace gguf::forward::ops

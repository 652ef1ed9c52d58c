// The mixture-of-experts feed-forward after routing (ops_extra.hpp routes): the routing as the program's
// slots hold it, tokens grouped by expert, and the weighted sum of the experts' outputs, as llama.cpp's
// build_moe_ffn computes them. Float32 activations, row-major [n_tokens][width] like ops.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "gguf/forward/ops_extra.hpp"

namespace gguf::forward::ops {

// The routing as the program's `routing` slot holds it (RouteExperts, MoeFfn): per token the k expert
// ids as floats, then their k weights. read_routing refuses ids that are not experts of [0, n_expert).
void write_routing(const Routing& routing, std::size_t k, std::span<float> slot);
Routing read_routing(std::span<const float> slot, std::size_t k, std::size_t n_expert);

// A routing's (token, rank) choices grouped by expert, so that each expert multiplies all its tokens at
// once: expert e's choices are entries [start[e], start[e + 1]) of the grouped order, by token.
struct ExpertGroups {
    std::vector<std::int32_t> token;     // [n_tokens * k]: the token of each entry of the grouped order
    std::vector<std::int32_t> position;  // [n_tokens * k]: for choice (t, r) at t * k + r, its entry
    std::vector<std::size_t> start;      // [n_expert + 1]
};
ExpertGroups group_by_expert(const Routing& routing, std::size_t k, std::size_t n_expert);

// out[t] = sum over r of y[position[t * k + r]] * weights[t * k + r], in rank order, the first product
// as the start (ggml's multiplication by the weights, then the adds of build_moe_ffn's views); y is
// [n_tokens * k][width] in grouped order.
void combine_experts(std::span<const float> y, std::span<const std::int32_t> position, std::span<const float> weights,
                     std::size_t k, std::size_t width, std::span<float> out);

// Which matrix of an expert's SwiGLU feed-forward a product multiplies by.
enum class ExpertMatrix { gate, up, down };
// out [m][n_out] = in [m][n_in] W^T for matrix `which` of expert `expert`.
using ExpertProduct =
    std::function<void(std::size_t expert, ExpertMatrix which, std::span<const float> in, std::span<float> out)>;

struct ExpertShape {
    std::size_t n_expert = 0, n_in = 0, n_ff = 0, n_out = 0;
    float swiglu_alpha = 0.0f, swiglu_limit = 0.0f;  // limit > 0: the clamped SwiGLU (swiglu_clamped, gpt-oss)
};

// A mixture of SwiGLU experts after routing (build_moe_ffn): out[t] = the sum over token t's chosen
// experts, in routing order, of weight * down_e(silu(gate_e(x[t])) * up_e(x[t])) (or the clamped SwiGLU
// the shape names). x is [n_tokens][n_in],
// out [n_tokens][n_out].
void moe_ffn(std::span<const float> x, const Routing& routing, const ExpertShape& shape, const ExpertProduct& product,
             std::span<float> out);

}  // namespace gguf::forward::ops

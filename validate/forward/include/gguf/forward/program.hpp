// An architecture described as data. For one model file, its architecture's builder lists the ops of
// the pass (the input section, each layer's block, the output section) over the weights it bound
// (binding.hpp). The CPU reference and the CUDA pass execute this list op by op, and trace records are
// ops of the list, so their names and order are written once, here in the builders. docs/architectures.md
// describes the design and how to add an architecture.
//
// Activations live in named slots of [n_tokens][width] float32 values. A slot holds at most
// Program::slot_width values per token; an op names the width it reads or writes. The slots k and v
// hold the keys and values of the tokens being evaluated, which an attention op appends to its layer's
// cache.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/error.hpp"
#include "gguf/forward/binding.hpp"
#include "gguf/forward/ops.hpp"
#include "gguf/forward/ops_extra.hpp"
#include "gguf/forward/ops_moe.hpp"
#include "gguf/model/spec.hpp"

namespace gguf::forward {

enum class Slot : std::uint8_t {
    x,       // the residual stream
    xn,      // a normalized copy of the stream
    q,       // queries
    k,       // keys of the new tokens (the layer's cache rows)
    v,       // values of the new tokens (the layer's cache rows)
    att,     // attention context, heads concatenated
    proj,    // output of a block before its residual add
    gate,    // feed-forward gate (and its activation)
    up,      // feed-forward up projection
    logits,  // [n_tokens][n_vocab]
    fused,   // a projection that several ops read parts of (qwen35: query and gate heads; q, k, v of the delta-net)
    conv,    // the delta-net's convolved q, k, v
    alpha,   // the delta-net's decay projection, one value per v head
    beta,    // the delta-net's update-strength projection, one value per v head
    router,   // router logits of a mixture of experts (and a shared expert's gate logit)
    routing,  // the experts each token chose: their ids (as floats), then their weights
    shared,   // a shared expert's output
    per_layer,  // gemma4: every block's per-layer input, computed once in the input section
};
inline constexpr std::size_t kSlotCount = 18;

// Weight indices refer to the WeightSet of the op's scope: the layer's for a layer's ops, the globals'
// for the input and output sections. -1: none.

// out[t] = row ids[t] of the matrix (ggml_get_rows).
struct Embed {
    Slot out;
    int matrix;
};

// out = x / sqrt(mean(x^2) + eps) * weight over each group of `group` values of the `width` values of a
// row (ops::rms_norm): group = width normalizes whole rows; group = head_dim normalizes every head.
struct RmsNorm {
    Slot out, in;
    std::uint64_t width, group;
    int weight;
    float eps;
};

// out = in W^T (+ bias): widths are the matrix's n_in and n_out.
struct Linear {
    Slot out, in;
    int matrix;
    int bias = -1;
};

// out = a + b over `width` values per token.
struct Add {
    Slot out, a, b;
    std::uint64_t width;
};

// RoPE of the first n_rot dimensions of every head, in place (ops::rope) with Program::ropes[table].
struct Rope {
    Slot x;
    std::uint64_t n_heads, head_dim;
    int table;
};

// Causal attention of q over the layer's cache after appending the slots k and v to it
// (ops::causal_attention). Keys and values are always the slots k and v, which an executor may place in
// the cache directly. A window hides keys `window` or more positions before the query
// (ops::sliding_window_masks); 0: none. A soft-cap > 0 makes the raw scores softcap * tanh(score /
// softcap) before they are scaled (gemma2, ops::causal_attention_ext); 0: none. `sinks`: a bound vector
// of one logit per query head that joins every softmax row of the head (ops::AttentionExtras::sinks,
// gpt-oss); -1: none.
struct Attention {
    Slot out, q;
    ops::AttentionShape shape;
    float scale;
    std::uint64_t window = 0;
    float softcap = 0.0f;
    int sinks = -1;
    // >= 0: attend over that earlier layer's cache and append nothing (gemma4's shared-KV blocks, which
    // have no keys or values of their own); the layer's k and v slots are not read.
    std::int32_t kv_layer = -1;
};

// x *= factor over `width` values per token, in place (ggml_scale).
struct Scale {
    Slot x;
    std::uint64_t width;
    float factor;
};

// x[t] *= 1 + scale * ln(floor(p_t / interval) + 1) for the token at position p_t, in place: llama 4's
// attention temperature of the queries (mistral3; ops::scale_by_temperature).
struct Temperature {
    Slot x;
    std::uint64_t width;
    float scale;
    std::uint64_t interval;
};

// out = silu(gate) * up over `width` values per token (ops::swiglu).
struct SwiGlu {
    Slot out, gate, up;
    std::uint64_t width;
};

// out = gelu(gate) * up over `width` values per token, GELU evaluated as ggml's CPU backend does
// (ops::geglu with GeluEvaluation::ggml_cpu_table).
struct GeGlu {
    Slot out, gate, up;
    std::uint64_t width;
};

// x = cap * tanh(x / cap) over `width` values per token, in place (ops::softcap).
struct SoftCap {
    Slot x;
    std::uint64_t width;
    float cap;
};

// Chooses `params.n_expert_used` (k) of n_expert experts per token from the router logits
// (ops::route_experts): out[t] = the chosen experts' ids as floats, best first, then their k weights.
struct RouteExperts {
    Slot out, logits;
    std::uint64_t n_expert;
    ops::RouterParams params;
};

// A mixture of SwiGLU experts (ops::moe_ffn): out[t] = the sum over token t's chosen experts, in
// routing order, of weight * down_e(silu(gate_e(in[t])) * up_e(in[t])), with the choice read from
// `routing` (written by RouteExperts). Expert e's matrices are the scope's matrices gate + e, up + e
// and down + e (views of the 3-D expert tensors, binding.hpp). gpt-oss: the bound vectors gate_bias + e,
// up_bias + e and down_bias + e are added to the products (-1: none), and with swiglu_limit > 0 the
// activation is the clamped SwiGLU ops::swiglu_clamped(swiglu_alpha, swiglu_limit).
struct MoeFfn {
    Slot out, in, routing;
    std::uint64_t n_expert, n_expert_used;
    int gate, up, down;
    int gate_bias = -1, up_bias = -1, down_bias = -1;
    float swiglu_alpha = 0.0f, swiglu_limit = 0.0f;
};

// x[t] *= silu(g[t]) / g[t] over `width` values, g[t] the one value per token of `gate`
// (ops::shared_expert_gate): qwen2moe's sigmoid gate of its shared expert. With plain_sigmoid,
// x[t] *= 1 / (1 + exp(-g[t])) (ops::shared_expert_sigmoid): qwen35moe's ggml_sigmoid.
struct SharedExpertGate {
    Slot x, gate;
    std::uint64_t width;
    bool plain_sigmoid = false;
};

// A trace record of `width` values per token of the slot, named `name` (docs/trace.md).
struct Record {
    Slot slot;
    std::uint64_t width;
    std::string name;
};

// out[t] = in[t][offset, offset + width) of the `in_width` values per token of `in` (gemma4: one
// block's share of the per-layer inputs).
struct Slice {
    Slot out, in;
    std::uint64_t in_width, offset, width;
};

// ---- qwen35: gated full attention and the gated delta-net (recurrent layers) ----

// Splits each of n_heads heads of 2 * head_dim values of `in` into its first half (to `first`) and its
// second half (to `second`), n_heads * head_dim values per token each (qwen35's query and gate heads).
struct SplitHeads {
    Slot first, second, in;
    std::uint64_t n_heads, head_dim;
};

// Multi-section RoPE of text tokens (ops::rope_multi with ops::text_positions) of every head, in place,
// NeoX pairs, with the frequencies and scaling of Program::ropes[table].
struct RopeMulti {
    Slot x;
    std::uint64_t n_heads, head_dim;
    int table;
    std::array<std::uint32_t, 4> sections;
    bool interleaved;
};

// out = in * sigmoid(gate) over `width` values per token (ops::sigmoid_gate).
struct SigmoidGate {
    Slot out, in, gate;
    std::uint64_t width;
};

// Causal depthwise convolution over time of `channels` values per token, then SiLU (ops::causal_conv1d,
// ggml_ssm_conv + ggml_silu). The taps are a bound vector [channels][d_conv]; the earlier inputs come
// from the layer's conv state (LayerProgram::conv_state), which the op advances. `out` and `in` differ.
struct CausalConv {
    Slot out, in;
    std::uint64_t channels, d_conv;
    int taps;
};

// The gated delta rule over the layer's recurrent state (LayerProgram::delta_state), as qwen35's
// linear-attention layers compute it: q, k and v are the n_k_heads, n_k_heads and n_v_heads heads of
// head_dim values at the start of each row of `qkv`, in that order; q and k are L2-normalised
// (ops::l2_norm with eps), the decay and strength come from the rows of `alpha` and `beta` with the
// bound vectors dt_bias and ssm_a (ops::delta_net_gates), and the rule is ops::gated_delta_net.
// out: n_v_heads * head_dim values per token.
struct DeltaNet {
    Slot out, qkv, alpha, beta;
    ops::DeltaNetShape shape;
    int dt_bias, ssm_a;
    float eps;
};

// out = RMSNorm(in) * weight * silu(gate) over each group of `group` values of the `width` values of a
// row (ops::gated_rms_norm; the delta-net's output norm, gated by z).
struct GatedRmsNorm {
    Slot out, in, gate;
    std::uint64_t width, group;
    int weight;
    float eps;
};

using Op = std::variant<Embed, RmsNorm, Linear, Add, Rope, Attention, Scale, SwiGlu, GeGlu, SoftCap, RouteExperts, MoeFfn,
                        SharedExpertGate, Record, SplitHeads, RopeMulti, SigmoidGate, CausalConv, DeltaNet, GatedRmsNorm,
                        Temperature, Slice>;

struct LayerProgram {
    std::vector<Op> ops;
    // Values per position of the layer's KV cache (keys, values); 0 when the layer has no attention.
    std::uint64_t k_width = 0, v_width = 0;
    // Floats of state a recurrent layer carries from one call to the next, whatever the number of
    // positions: the conv window (channels x (d_conv - 1) inputs) and the delta-net's state matrices
    // (n_v_heads x head_dim x head_dim). 0 for other layers; zero at position 0.
    std::uint64_t conv_state = 0, delta_state = 0;
};

struct Program {
    std::vector<Op> input;               // from token ids to the residual stream (layer -1 in traces)
    std::vector<LayerProgram> layers;
    std::vector<Op> output;              // from the residual stream to the logits (layer -1 in traces)
    std::vector<ops::RopeParams> ropes;  // the RoPE tables Rope ops name
    std::array<std::uint64_t, kSlotCount> slot_width{};  // largest width per token any op uses

    std::uint64_t width(Slot s) const { return slot_width[static_cast<std::size_t>(s)]; }
};

// A model ready to execute: its program and the weights the program reads.
struct Architecture {
    Program program;
    WeightBinding weights;
};

// Builds the program of the file's architecture and binds its weights. Fails with a message naming the
// key or tensor when the architecture, a variant of it or a tensor is not modelled or does not match
// the spec. `context_length` as for pass_params().
Result<Architecture> describe_architecture(const Container& model, const model::ModelSpec& spec,
                                           std::uint64_t context_length = 0);

// The architectures describe_architecture() has a builder for.
const std::vector<std::string>& forward_architectures();

}  // namespace gguf::forward

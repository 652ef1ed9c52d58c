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
};
inline constexpr std::size_t kSlotCount = 10;

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
// softcap) before they are scaled (gemma2, ops::causal_attention_ext); 0: none.
struct Attention {
    Slot out, q;
    ops::AttentionShape shape;
    float scale;
    std::uint64_t window = 0;
    float softcap = 0.0f;
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

// A trace record of `width` values per token of the slot, named `name` (docs/trace.md).
struct Record {
    Slot slot;
    std::uint64_t width;
    std::string name;
};

using Op = std::variant<Embed, RmsNorm, Linear, Add, Rope, Attention, Scale, SwiGlu, GeGlu, SoftCap, Record, Temperature>;

struct LayerProgram {
    std::vector<Op> ops;
    // Values per position of the layer's KV cache (keys, values); 0 when the layer has no attention.
    std::uint64_t k_width = 0, v_width = 0;
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
// the spec.
Result<Architecture> describe_architecture(const Container& model, const model::ModelSpec& spec);

// The architectures describe_architecture() has a builder for.
const std::vector<std::string>& forward_architectures();

}  // namespace gguf::forward

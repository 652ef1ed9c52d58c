// What a model is, read from its metadata: architecture and hyperparameters. Every size the checks and
// the forward pass use comes from here, never from constants.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/error.hpp"

namespace gguf::model {

// How RoPE pairs the dimensions of a head: `normal` rotates (2i, 2i+1), the layout llama.cpp uses for
// llama-family files (whose converter permutes Q/K rows into it); `neox` rotates (i, i + n_rot/2).
enum class RopeStyle { normal, neox };

enum class RopeScaling { none, linear, yarn, longrope, unknown };

struct RopeSpec {
    std::uint32_t n_rot = 0;        // rotated dimensions per head (<= head_dim)
    double freq_base = 10000.0;
    RopeScaling scaling = RopeScaling::none;
    std::string scaling_name;       // as written in the file ("linear", "yarn"...), empty when absent
    double scaling_factor = 1.0;    // context extension factor; frequencies are divided by it (linear)
    std::uint64_t original_context = 0;
    RopeStyle style = RopeStyle::normal;
};

struct ModelSpec {
    std::string architecture;       // general.architecture
    bool modelled = false;          // the forward pass and schema know this architecture
    std::uint64_t n_vocab = 0;      // tokenizer.ggml.tokens length (0 when absent)
    std::uint64_t n_embd = 0;
    std::uint64_t n_layer = 0;
    std::uint64_t n_head = 0;
    std::uint64_t n_head_kv = 0;
    std::uint64_t head_dim = 0;     // attention.key_length, or n_embd / n_head
    std::uint64_t head_dim_v = 0;   // attention.value_length, or head_dim
    std::uint64_t n_ff = 0;
    std::uint64_t n_ctx_train = 0;
    double rms_eps = 0.0;
    RopeSpec rope;
    bool tied_output = false;       // no output.weight: the lm_head is token_embd
    bool attention_bias = false;    // q/k/v biases (qwen2)
    bool qk_norm = false;           // per-head RMSNorm of q and k (qwen3)

    std::uint64_t n_embd_kv() const { return n_head_kv * head_dim; }
    std::uint64_t n_gqa() const { return n_head_kv ? n_head / n_head_kv : 0; }
};

// Architectures with a schema and a forward pass.
const std::vector<std::string>& modelled_architectures();

// Reads the spec. Fails (ErrorCode::invalid_argument, naming the key) when a key the architecture
// needs is missing or has the wrong type. For an architecture that is not modelled, the keys that are
// present are read and `modelled` is false.
Result<ModelSpec> read_spec(const Container& model);

}  // namespace gguf::model

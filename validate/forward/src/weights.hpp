// The weights of a llama-family model, located by name and checked against the spec. Matrices stay in
// the file's encoding (mapped, not copied) and are decoded to float32 panel by panel while they are
// multiplied, so a model needs little more memory than its file; a byte budget lets the decoded matrices
// be kept for the next call (generation evaluates one token at a time).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/error.hpp"
#include "gguf/model/spec.hpp"

namespace gguf::forward {

// A ggml weight with ne[0] = n_in and ne[1] = n_out, used as out = x W^T.
class WeightMatrix {
public:
    WeightMatrix() = default;
    WeightMatrix(TensorView view, std::uint64_t n_in, std::uint64_t n_out);

    const std::string& name() const { return view_.info->name; }
    std::uint32_t type() const { return view_.info->type; }
    std::uint64_t n_in() const { return n_in_; }
    std::uint64_t n_out() const { return n_out_; }
    // Memory that keeping the decoded matrix costs (none for F32 read in place).
    std::uint64_t keep_cost() const { return direct_ ? 0 : n_in_ * n_out_ * sizeof(float); }

    // Asks for the decoded matrix to be kept (the caller accounts for the memory).
    void keep_decoded() { keep_ = true; }

    // Allocates the kept copy when one is wanted; call before rows() from several threads.
    void prepare();

    // Rows [first, first + count) as float32 ([count][n_in]): a pointer into the file (host-order F32),
    // into the kept copy, or into `scratch` after decoding. Concurrent calls on disjoint rows are safe.
    Result<const float*> rows(std::uint64_t first, std::uint64_t count, std::vector<float>& scratch);

    // Called after a pass that decoded every row: later calls read the kept copy.
    void mark_complete() { complete_ = keep_; }

private:
    TensorView view_{};
    std::uint64_t n_in_ = 0, n_out_ = 0;
    bool direct_ = false;      // host-order F32: used in place
    bool keep_ = false;
    std::vector<float> kept_;  // [n_out][n_in] once filled
    bool complete_ = false;
};

struct LayerWeights {
    std::vector<float> attn_norm;           // [n_embd]
    std::vector<float> q_norm, k_norm;      // [head_dim] (qwen3), else empty
    WeightMatrix wq, wk, wv, wo;            // [n_head*head_dim][n_embd], [n_embd_kv][n_embd] x2, [n_embd][n_head*head_dim_v]
    std::vector<float> bq, bk, bv, bo;      // biases, empty when the file has none
    std::vector<float> ffn_norm;            // [n_embd]
    WeightMatrix gate, up, down;            // [n_ff][n_embd] x2, [n_embd][n_ff]
    std::vector<float> b_gate, b_up, b_down;
};

struct ModelWeights {
    WeightMatrix token_embd;                // [n_vocab][n_embd]
    std::vector<LayerWeights> layers;
    std::vector<float> output_norm;         // [n_embd]
    std::optional<WeightMatrix> output;     // [n_vocab][n_embd]; absent when tied to token_embd
    std::vector<float> output_bias;         // [n_vocab] or empty
    std::uint64_t n_vocab = 0;

    WeightMatrix& lm_head() { return output ? *output : token_embd; }
};

// Locates every tensor the architecture needs, checks its shape and type (an error names the tensor),
// and decodes the small vectors (norms, biases). Matrices beyond what fits in `keep_budget_bytes`
// (decoded float32) are decoded again on every use.
Result<ModelWeights> load_weights(const Container& model, const model::ModelSpec& spec, std::uint64_t keep_budget_bytes);

}  // namespace gguf::forward

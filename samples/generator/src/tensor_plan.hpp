// The tensors of a model of a given configuration: llama.cpp's names and ggml shapes, each with its role
// (what kind of weight it is, which decides its type and its random distribution).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gguf/samples/generator.hpp"

namespace gguf::samples::detail {

enum class Role : std::uint8_t {
    token_embd, output_norm, output,
    attn_norm, attn_q, attn_k, attn_v, attn_q_bias, attn_k_bias, attn_v_bias, attn_output,
    attn_q_norm, attn_k_norm,
    ffn_norm, ffn_gate, ffn_up, ffn_down,
};

struct PlannedTensor {
    std::string name;
    Role role{};
    int layer = -1;                  // -1 outside the blocks
    std::uint32_t type = 0;
    std::vector<std::uint64_t> ne;   // ggml order

    std::uint64_t row_length() const { return ne[0]; }
    std::uint64_t n_rows() const { return ne.size() > 1 ? ne[1] : 1; }
};

bool is_vector(Role role);  // norms and biases: always F32

// In the order written to the file, without checks (validate() uses it to check each tensor).
std::vector<PlannedTensor> layout(const ModelConfig& config);

// The same, for a configuration that passes validate().
Result<std::vector<PlannedTensor>> plan(const ModelConfig& config);

}  // namespace gguf::samples::detail

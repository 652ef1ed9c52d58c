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
    attn_post_norm, ffn_post_norm,
    attn_qkv, attn_gate, ssm_conv1d, ssm_dt_bias, ssm_a, ssm_alpha, ssm_beta, ssm_norm, ssm_out,
    ffn_gate_inp, ffn_gate_exps, ffn_up_exps, ffn_down_exps,
    ffn_gate_inp_shexp, ffn_gate_shexp, ffn_up_shexp, ffn_down_shexp,
    attn_output_bias, attn_sinks, ffn_gate_inp_bias, ffn_gate_exps_bias, ffn_up_exps_bias, ffn_down_exps_bias,
    rope_factors_long, rope_factors_short,
    // gemma4
    per_layer_token_embd, per_layer_model_proj, per_layer_proj_norm, rope_freqs,
    per_layer_inp_gate, per_layer_proj, per_layer_post_norm, layer_output_scale,
};

struct PlannedTensor {
    std::string name;
    Role role{};
    int layer = -1;                  // -1 outside the blocks
    std::uint32_t type = 0;
    std::vector<std::uint64_t> ne;   // ggml order

    std::uint64_t row_length() const { return ne[0]; }
    std::uint64_t n_rows() const {  // rows of every matrix of a 3-D stack together
        std::uint64_t n = 1;
        for (std::size_t i = 1; i < ne.size(); ++i) n *= ne[i];
        return n;
    }
};

bool is_vector(Role role);  // norms, biases and other 1-D tensors
bool keeps_f32(Role role);  // vectors, conv taps and the router: F32 in every mix, as llama.cpp keeps them

// The type of a weight matrix of this role and name (the class type, or its per-tensor override).
std::uint32_t matrix_type(const ModelConfig& config, Role role, const std::string& name);

// gemma4's layout: a block slides when sliding_window is set and it is not the last of its period;
// the last n_layer_kv_shared blocks have no key/value tensors of their own; global blocks have
// n_head_kv_global KV heads when it is set.
bool gemma4_sliding(const ModelConfig& config, std::uint32_t layer);
bool gemma4_has_kv(const ModelConfig& config, std::uint32_t layer);
std::uint32_t gemma4_n_head_kv(const ModelConfig& config, std::uint32_t layer);
std::uint64_t gemma4_n_ff(const ModelConfig& config, std::uint32_t layer);
std::vector<PlannedTensor> layout_gemma4(const ModelConfig& config);

// In the order written to the file, without checks (validate() uses it to check each tensor).
std::vector<PlannedTensor> layout(const ModelConfig& config);

// The same, for a configuration that passes validate().
Result<std::vector<PlannedTensor>> plan(const ModelConfig& config);

}  // namespace gguf::samples::detail

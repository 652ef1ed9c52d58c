// What a model is, read from its metadata: architecture and hyperparameters. Every size the checks and
// the forward pass use comes from here, never from constants.
#pragma once

#include <array>
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
    // Multi-section RoPE (qwen35: rope.dimension_sections): pair i of a head takes its position from
    // section (i mod the sum of the sections), each section its own position id. Text tokens give the
    // first three sections the token's position and the fourth position 0. All zero: one position.
    std::array<std::uint32_t, 4> sections{};
    bool interleaved_sections = false;  // llama.cpp's IMROPE (qwen35): sections interleave pair by pair
    bool multi_section() const { return sections[0] || sections[1] || sections[2] || sections[3]; }
    RopeScaling scaling = RopeScaling::none;
    std::string scaling_name;       // as written in the file ("linear", "yarn"...), empty when absent
    double scaling_factor = 1.0;    // context extension factor; frequencies are divided by it (linear)
    std::uint64_t original_context = 0;
    RopeStyle style = RopeStyle::normal;
};

// What a block computes in place of plain causal attention.
enum class LayerKind : std::uint8_t {
    attention,          // causal self-attention over every earlier position
    sliding_attention,  // causal self-attention over the last `sliding_window` positions (their own RoPE base)
    recurrent,          // gated delta-net linear attention with a carried state (qwen35)
};

// The gated delta-net of qwen35 (llama.cpp's ssm.* keys): q/k heads of d_state values (n_group of them),
// v heads of d_inner / dt_rank values (dt_rank of them), a causal conv1d of d_conv taps over q, k and v.
struct SsmSpec {
    std::uint64_t d_conv = 0;   // {arch}.ssm.conv_kernel
    std::uint64_t d_inner = 0;  // {arch}.ssm.inner_size: v heads x v head size
    std::uint64_t d_state = 0;  // {arch}.ssm.state_size: q/k head size
    std::uint64_t dt_rank = 0;  // {arch}.ssm.time_step_rank: v heads
    std::uint64_t n_group = 0;  // {arch}.ssm.group_count: q/k heads

    std::uint64_t n_k_heads() const { return n_group; }
    std::uint64_t n_v_heads() const { return dt_rank; }
    std::uint64_t head_k_dim() const { return d_state; }
    std::uint64_t head_v_dim() const { return dt_rank ? d_inner / dt_rank : 0; }
    std::uint64_t key_dim() const { return d_state * n_group; }
    std::uint64_t value_dim() const { return d_state * dt_rank; }  // as llama.cpp's loader sizes the tensors
    std::uint64_t conv_channels() const { return 2 * key_dim() + value_dim(); }  // q, k, v in that order
};

// How the router's logits become expert weights (llama.cpp's llama_expert_gating_func_type).
enum class ExpertGating : std::uint8_t {
    softmax,         // softmax over all experts, then top-k of the probabilities (qwen2moe, qwen3moe, qwen35moe)
    sigmoid,         // sigmoid of each logit
    softmax_weight,  // top-k of the raw logits, then softmax over the chosen k (gpt-oss)
};

struct MoeSpec {
    std::uint64_t n_expert = 0;       // {arch}.expert_count; 0: a dense FFN
    std::uint64_t n_expert_used = 0;  // {arch}.expert_used_count
    std::uint64_t n_ff_exp = 0;       // {arch}.expert_feed_forward_length, else n_ff / n_expert_used
    std::uint64_t n_ff_shexp = 0;     // shared expert width ({arch}.expert_shared_feed_forward_length, else n_ff);
                                      // 0 without a shared expert
    bool shared_expert_gate = false;  // the shared expert's output is scaled by sigmoid(x . ffn_gate_inp_shexp)
    ExpertGating gating = ExpertGating::softmax;
    bool norm_weights = false;        // the k chosen weights are divided by their sum (fixed per architecture
                                      // in llama.cpp: qwen3moe and qwen35moe yes, qwen2moe no)
    double weights_scale = 0.0;       // {arch}.expert_weights_scale; 0 or 1: no scaling
    bool expert_biases = false;       // router and expert biases (gpt-oss)
    double swiglu_limit = 0.0;        // clamped SwiGLU of the experts (gpt-oss: 7); 0: plain SwiGLU
    double swiglu_alpha = 0.0;        // the clamped SwiGLU's x * sigmoid(alpha x) (gpt-oss: 1.702)

    bool enabled() const { return n_expert > 0; }
};

struct ModelSpec {
    std::string architecture;       // general.architecture
    bool modelled = false;          // the forward pass computes this architecture
    bool known = false;             // read_spec reads every hyperparameter it needs and schema_for has its schema
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
    bool fused_qkv = false;         // q, k and v are one attn_qkv matrix (phi3 files that have one)

    // Blocks. n_layer is the file's block_count, which counts the multi-token-prediction (NextN/MTP)
    // blocks appended after the main ones; the main pass runs the first n_main_layers() blocks.
    std::uint64_t n_layer_nextn = 0;       // {arch}.nextn_predict_layers
    std::vector<LayerKind> layer_kinds;    // one per block (n_layer), for the known architectures
    std::uint64_t sliding_window = 0;      // {arch}.attention.sliding_window; 0: none
    double rope_freq_base_swa = 10000.0;   // RoPE base of sliding layers ({arch}.rope.freq_base_swa)
    double rope_freq_scale_swa = 1.0;      // frequency scale of sliding layers (1 / scaling factor)

    // Extra scalings and operations, neutral by default.
    double attention_scale = 0.0;          // kq scale; 0: 1 / sqrt(head_dim)
    double embedding_scale = 1.0;          // the token embeddings are multiplied by this (gemma: sqrt(n_embd))
    double residual_scale = 1.0;           // each block's outputs are multiplied by this before the residual add (granite)
    double logit_scale = 1.0;              // the logits are divided by this (granite's logits_scaling)
    // Queries at position p are multiplied by 1 + s ln(floor(p / interval) + 1) (mistral3's
    // attention.temperature_scale s; interval: the original context); 0: none.
    double attn_temperature_scale = 0.0;
    std::uint64_t attn_temperature_interval = 0;
    double attn_logit_softcapping = 0.0;   // scores become c * tanh(scores / c); 0: none (gemma2)
    double final_logit_softcapping = 0.0;  // the same on the logits (gemma2, gemma3 when set)
    bool attention_output_gate = false;    // qwen35 full attention: q projection has a gate half; out *= sigmoid(gate)
    bool post_norms = false;               // RMSNorm of the attention and FFN outputs before their residual add
    bool attention_sinks = false;          // a learned per-head logit joins every softmax (gpt-oss)

    // gemma4: the sliding layers' own head size (key = value) and rotated dimensions, the width of
    // each block's per-layer input (0: none), and the trailing blocks that read an earlier block's KV.
    std::uint64_t head_dim_swa = 0;        // {arch}.attention.key_length_swa; 0: head_dim
    std::uint32_t n_rot_swa = 0;           // {arch}.rope.dimension_count_swa; 0: rope.n_rot
    std::uint64_t n_embd_per_layer = 0;    // {arch}.embedding_length_per_layer_input
    std::uint64_t n_layer_kv_shared = 0;   // {arch}.attention.shared_kv_layers
    // Per-block FFN widths when feed_forward_length is an array that varies (gemma4's twice-wide MLP in
    // its shared-KV blocks); n_ff is then the largest. Empty: n_ff in every block.
    std::vector<std::uint64_t> n_ff_layers;
    // Per-block head counts when attention.head_count / head_count_kv are arrays that vary (gemma4;
    // the 31B's global blocks have fewer KV heads); n_head and n_head_kv are then block 0's, as
    // llama.cpp's. Empty: n_head / n_head_kv in every block.
    std::vector<std::uint64_t> n_head_layers, n_head_kv_layers;

    SsmSpec ssm;
    MoeSpec moe;

    std::uint64_t n_main_layers() const { return n_layer > n_layer_nextn ? n_layer - n_layer_nextn : 0; }
    bool is_recurrent(std::uint64_t il) const { return il < layer_kinds.size() && layer_kinds[il] == LayerKind::recurrent; }
    bool is_sliding(std::uint64_t il) const {
        return il < layer_kinds.size() && layer_kinds[il] == LayerKind::sliding_attention;
    }

    // Per block: the head size, and the block whose KV cache it reads (itself unless it is one of the
    // last n_layer_kv_shared: then the last earlier block of its kind with its own cache, as llama.cpp).
    std::uint64_t layer_n_ff(std::uint64_t il) const { return il < n_ff_layers.size() ? n_ff_layers[il] : n_ff; }
    std::uint64_t layer_n_head(std::uint64_t il) const { return il < n_head_layers.size() ? n_head_layers[il] : n_head; }
    std::uint64_t layer_n_head_kv(std::uint64_t il) const {
        return il < n_head_kv_layers.size() ? n_head_kv_layers[il] : n_head_kv;
    }
    std::uint64_t layer_head_dim(std::uint64_t il) const { return is_sliding(il) && head_dim_swa ? head_dim_swa : head_dim; }
    std::uint64_t kv_source(std::uint64_t il) const {
        const std::uint64_t n_kv = n_layer - n_layer_kv_shared;
        if (n_layer_kv_shared == 0 || il < n_kv || n_kv < 2) return il;
        return n_kv - (is_sliding(il) ? 2 : 1);
    }

    std::uint64_t n_embd_kv() const { return n_head_kv * head_dim; }
    std::uint64_t n_gqa() const { return n_head_kv ? n_head / n_head_kv : 0; }
};

// Architectures the forward pass computes.
const std::vector<std::string>& modelled_architectures();

// Architectures whose hyperparameters read_spec reads in full and that have a schema (a superset of
// the modelled ones).
const std::vector<std::string>& known_architectures();

// Reads the spec. Fails (ErrorCode::invalid_argument, naming the key) when a key the architecture
// needs is missing or has the wrong type. For an architecture that is not known, the keys that are
// present are read and `known` and `modelled` are false.
Result<ModelSpec> read_spec(const Container& model);

}  // namespace gguf::model

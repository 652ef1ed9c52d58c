// Real-architecture test models, made on the fly: the tensor names, shapes, metadata keys and tokenizer
// metadata llama.cpp expects for llama, qwen2, qwen3, qwen35, qwen35moe, gemma3, qwen3moe and qwen2moe,
// with seeded random weights of realistic scale
// (or trained weights from a folder of .npy files), in any tensor type this build can encode.
//
//   auto config = gguf::samples::preset("tiny-qwen2").value();
//   gguf::samples::apply_mix(config, "q4_k_m");
//   gguf::samples::write_model(config, "fixture.gguf");        // streams: any size
//   auto writer = gguf::samples::build_model(config);          // in memory: edit or corrupt, then write
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/error.hpp"
#include "gguf/types.hpp"
#include "gguf/writer.hpp"

namespace gguf::samples {

// The llama.cpp architecture names. llama: untied output, RoPE on adjacent pairs (llama.cpp's Q/K row
// order). qwen2: q/k/v biases, NeoX RoPE, usually tied. qwen3: qwen2 without biases, plus per-head
// RMS norms of q and k (attn_q_norm, attn_k_norm) and a head size independent of n_embd.
// qwen35: Qwen3.5's hybrid blocks (gated delta-net in most, gated full attention every
// full_attention_interval-th) with post-attention norms; qwen35moe: the same with routed and shared experts.
// gemma3: post norms, q/k norms, GELU FFN, sliding-window layers. qwen3moe: qwen3 attention with routed
// experts; qwen2moe: qwen2 attention with routed experts and a sigmoid-gated shared expert.
// gpt-oss: routed experts with biases and a clamped SwiGLU, attention sinks, alternating sliding window.
// gemma2: gemma3 without q/k norms, soft-capping, always tied. olmo2: norms only after attention and
// FFN, q/k norms over the whole projections. granite: llama with embedding/residual/attention/logit
// multipliers. phi3: fused attn_qkv and fused gate/up (ffn_up of 2 * n_ff rows), NeoX RoPE, optional
// LongRoPE factors. mistral3: llama's block, optionally with YaRN and llama 4's query temperature.
// gemma4: gemma3's block with per-layer inputs, unit-scaled attention, an unweighted value
// norm, a per-block output scale, sliding layers of their own head size, and trailing blocks that read
// earlier blocks' KV cache.
enum class Architecture : std::uint8_t {
    llama, qwen2, qwen3, qwen35, qwen35moe, gemma3, qwen3moe, qwen2moe, gpt_oss, gemma2, olmo2, granite, phi3, mistral3,
    gemma4
};
std::string_view architecture_name(Architecture a);
Result<Architecture> parse_architecture(std::string_view name);

// spm: tokenizer.ggml.model "llama" (SentencePiece: scores, token types, byte tokens <0x00>..<0xFF>).
// bpe: tokenizer.ggml.model "gpt2" (byte-level BPE with merges; pre-tokenizer `bpe_pre`).
enum class TokenizerKind : std::uint8_t { spm, bpe };

// How the norm weights (all F32) are drawn. Real checkpoints are far from all-ones, and a validator
// must accept them: Llama-family layer-0 attention norms sit near 0.05; Qwen2.5's final norm has a mean
// near 7 and a maximum near 17.
enum class NormStyle : std::uint8_t {
    llama,  // attn_norm grows from ~0.05 (layer 0) to ~0.4; ffn_norm ~0.2-0.5; output_norm mean ~1.8
    qwen,   // like llama for the blocks; output_norm mean ~7, max ~17
    ones,   // every norm weight exactly 1.0 (a freshly initialised model)
    gemma,  // Gemma's converter stores (1 + gain): every norm sits near 1 plus a learned offset, mean ~1.6
};

// The ggml type of each weight matrix class. Norms, biases and q/k norms are always F32, as llama.cpp
// keeps 1-D tensors. `per_tensor` overrides a class by exact tensor name ("blk.3.ffn_down.weight").
struct WeightTypes {
    std::uint32_t token_embd = static_cast<std::uint32_t>(TypeId::F32);
    std::uint32_t output = static_cast<std::uint32_t>(TypeId::F32);
    std::uint32_t attn_q = static_cast<std::uint32_t>(TypeId::F32);
    std::uint32_t attn_k = static_cast<std::uint32_t>(TypeId::F32);
    std::uint32_t attn_v = static_cast<std::uint32_t>(TypeId::F32);
    std::uint32_t attn_output = static_cast<std::uint32_t>(TypeId::F32);
    std::uint32_t ffn_gate = static_cast<std::uint32_t>(TypeId::F32);
    std::uint32_t ffn_up = static_cast<std::uint32_t>(TypeId::F32);
    std::uint32_t ffn_down = static_cast<std::uint32_t>(TypeId::F32);
    // The delta-net projections (attn_qkv, attn_gate, ssm_alpha, ssm_beta, ssm_out), the 3-D expert
    // stacks and the shared expert. The conv taps (ssm_conv1d) and the router (ffn_gate_inp) stay F32,
    // as llama.cpp's quantizer keeps them.
    std::uint32_t ssm = static_cast<std::uint32_t>(TypeId::F32);
    std::uint32_t ffn_exps = static_cast<std::uint32_t>(TypeId::F32);
    std::uint32_t ffn_shexp = static_cast<std::uint32_t>(TypeId::F32);
    std::map<std::string, std::uint32_t, std::less<>> per_tensor;

    void set_all(std::uint32_t type);  // every matrix class; clears per_tensor
};

struct ModelConfig {
    Architecture architecture = Architecture::llama;
    std::string name = "gguf-doctor sample";  // general.name

    // Hyperparameters, named as in llama.cpp's hparams.
    std::uint32_t n_vocab = 0;     // rows of token_embd / output = entries of tokenizer.ggml.tokens
    std::uint32_t n_vocab_padding = 0;  // of those, trailing rows that are no real token ("[PAD<id>]")
    std::uint32_t n_embd = 0;
    std::uint32_t n_layer = 0;
    std::uint32_t n_head = 0;
    std::uint32_t n_head_kv = 0;   // < n_head: grouped-query attention
    std::uint32_t head_dim = 0;    // n_embd / n_head unless the architecture allows otherwise (qwen3)
    std::uint32_t n_ff = 0;
    std::uint32_t n_ctx = 0;       // {arch}.context_length
    float rms_eps = 1e-5f;
    float rope_base = 10000.0f;
    bool tied_output = false;      // no output.weight: llama.cpp reuses token_embd
    bool attn_bias = false;        // blk.N.attn_{q,k,v}.bias (qwen2)
    std::uint32_t n_rot = 0;       // rope.dimension_count when RoPE rotates part of a head (qwen35); 0: head_dim

    // qwen35 / qwen35moe: the gated delta-net (llama.cpp's ssm.* keys) and the multi-section RoPE.
    std::uint32_t ssm_d_conv = 0;   // conv taps
    std::uint32_t ssm_d_state = 0;  // q/k (and v) head size
    std::uint32_t ssm_n_group = 0;  // q/k heads
    std::uint32_t ssm_dt_rank = 0;  // v heads (a multiple of ssm_n_group)
    std::uint32_t full_attention_interval = 0;  // every n-th block is full attention
    std::array<std::uint32_t, 4> rope_sections{};

    // Mixture of experts (qwen35moe, qwen3moe, qwen2moe).
    std::uint32_t n_expert = 0;
    std::uint32_t n_expert_used = 0;
    std::uint32_t n_ff_exp = 0;    // each routed expert's width
    std::uint32_t n_ff_shexp = 0;  // the shared expert's width (qwen35moe, qwen2moe)

    // gemma3, gpt-oss: sliding-window layers (all but every sliding_window_pattern-th; gpt-oss: every
    // other one) with their own RoPE base (gemma3).
    std::uint32_t sliding_window = 0;
    std::uint32_t sliding_window_pattern = 6;
    float rope_base_swa = 10000.0f;
    // gemma4: the sliding layers' head size and rotated dimensions (head_dim is the global layers'),
    // the rotated part of a global layer's head (rope_freqs holds 1e30 for the rest, as llama.cpp's
    // converter writes "proportional" RoPE), the per-layer input width, and the last blocks that reuse
    // the KV cache of the last earlier block of their kind.
    std::uint32_t head_dim_swa = 0;
    std::uint32_t n_rot_swa = 0;            // 0: head_dim_swa
    std::uint32_t rope_rotated_global = 0;  // 0: the whole head
    std::uint32_t n_embd_per_layer = 0;
    std::uint32_t n_layer_kv_shared = 0;
    bool double_wide_shared_mlp = false;    // the shared-KV blocks' FFN is 2 n_ff wide (use_double_wide_mlp)
    // > 0: the global blocks' KV heads, and attention.head_count_kv is written per block (the 31B's
    // num_global_key_value_heads); 0: n_head_kv in every block, written as a scalar.
    std::uint32_t n_head_kv_global = 0;
    // gemma2's soft-caps ({arch}.attn_logit_softcapping, final_logit_softcapping).
    float attn_softcap = 50.0f;
    float final_softcap = 30.0f;
    // granite's multipliers ({arch}.embedding_scale, residual_scale, attention.scale, logit_scale).
    float embedding_scale = 12.0f;
    float residual_scale = 0.22f;
    float attention_scale = 0.015625f;
    float logit_scale = 8.0f;
    // YaRN context extension ({arch}.rope.scaling.*): 0 writes no scaling keys.
    float rope_yarn_factor = 0.0f;
    std::uint32_t rope_original_context = 0;
    // mistral3: YaRN's correction range and log multiplier ({arch}.rope.scaling.yarn_beta_fast,
    // yarn_beta_slow, yarn_log_multiplier) and the query temperature ({arch}.attention.temperature_scale);
    // 0 writes no key.
    float rope_yarn_beta_fast = 0.0f;
    float rope_yarn_beta_slow = 0.0f;
    float rope_yarn_log_mul = 0.0f;
    float attn_temperature_scale = 0.0f;
    // phi3's LongRoPE: > 0 adds rope_factors_long/short.weight and writes this as {arch}.rope.scaling.attn_factor,
    // with rope_original_context as {arch}.rope.scaling.original_context_length.
    float longrope_attn_factor = 0.0f;

    // Weights.
    std::uint64_t seed = 1;
    NormStyle norms = NormStyle::llama;
    WeightTypes types;
    // A folder of <tensor name>.npy files (float32 or float16, numpy shape = reversed ggml ne): every
    // tensor of the model must be there. Empty: seeded random weights.
    std::filesystem::path weights_from;
    // The .npy attn_q / attn_k rows are in Hugging Face order (rotate-half RoPE): permute them into
    // llama.cpp's order for the llama architecture, exactly as convert_hf_to_gguf.py does.
    bool weights_hf_qk_order = false;

    // Tokenizer.
    TokenizerKind tokenizer = TokenizerKind::spm;
    std::string bpe_pre = "qwen2";  // tokenizer.ggml.pre for bpe
    // Copy every tokenizer.* key from this GGUF instead of making a vocabulary (a real vocabulary, e.g.
    // llama.cpp's ggml-vocab-*.gguf), or from a .json object of tokenizer.* keys (a trained tokenizer:
    // integers become uint32, other numbers float32, arrays of integers int32, of numbers float32).
    // The token list is padded with "[PAD<id>]" entries up to n_vocab when n_vocab is larger;
    // n_vocab = 0 takes the source's size.
    std::filesystem::path vocab_from;

    std::uint32_t file_type = 0;  // general.file_type (llama_ftype); apply_mix sets it
};

// Presets: "tinyllama-1.1b", "qwen2.5-0.5b", "qwen3-0.6b", "qwen3.5-4b", "gemma3-1b", "qwen3-30b-a3b",
// (real shapes and hyperparameters) and the tiny variants "tiny-llama", "tiny-qwen2", "tiny-qwen3",
// "gpt-oss-20b", "tiny-qwen35", "tiny-qwen35moe", "tiny-gemma3", "tiny-qwen3moe", "tiny-qwen2moe",
// "tiny-gpt-oss", "tiny-gemma2", "tiny-olmo2", "tiny-granite", "tiny-phi3", "tiny-mistral3", "tiny-gemma4" (same structure:
// GQA, biases, tied and padded vocabulary, head size, layer kinds, experts; a few small layers, 256-wide
// so that every K-quant fits).
Result<ModelConfig> preset(std::string_view name);
std::vector<std::string_view> preset_names();

// Sets `types` and `file_type` the way llama.cpp's quantizer chooses per tensor for this ftype:
// "f32", "f16", "bf16", "q8_0", "q4_0", "q4_k_m", "q5_k_m", "q6_k". Includes llama.cpp's rules for
// output / tied embeddings (Q6_K), attn_v and ffn_down (more bits in some layers), and its fallbacks
// for rows that are not a multiple of the block size (Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0).
Result<void> apply_mix(ModelConfig& config, std::string_view mix);
std::vector<std::string_view> mix_names();

// Checks the configuration (sizes, divisibility, types this build can encode...).
Result<void> validate(const ModelConfig& config);

// Encoding support of this build: F32, F16, BF16 always; quantized types once gguf_dequant has their
// quantizers.
bool can_encode(std::uint32_t type);

// What the model will contain, in file order (shapes and types; not whether this build can encode them).
struct TensorSpec {
    std::string name;
    std::uint32_t type = 0;
    std::vector<std::uint64_t> ne;  // ggml order
};
Result<std::vector<TensorSpec>> plan_tensors(const ModelConfig& config);

// The whole model in a Writer (small models: tests edit or corrupt it, then write it).
Result<Writer> build_model(const ModelConfig& config);

// Writes the model to `path` one tensor chunk at a time (memory stays bounded for any model size),
// through a temporary file renamed into place when complete.
Result<void> write_model(const ModelConfig& config, const std::filesystem::path& path);

}  // namespace gguf::samples

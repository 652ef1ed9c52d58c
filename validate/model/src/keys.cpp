// Key names from llama.cpp's src/llama-arch.cpp (LLM_KV_NAMES), types as gguf-py's GGUFWriter writes
// them (add_uint32, add_float32, add_bool, add_string, add_array).
#include "gguf/model/keys.hpp"

#include <array>

namespace gguf::model {
namespace {

using VT = ValueType;

struct Entry {
    std::string_view name;  // after "<arch>." when `scoped`
    KeyType type;
    bool scoped;
};

constexpr KeyType scalar(VT t) { return {t, VT::uint8, false, false}; }
constexpr KeyType layered(VT t, VT per_layer) { return {t, per_layer, true, false}; }
constexpr KeyType layered(VT t) { return layered(t, t); }
constexpr KeyType array_of(VT element) { return {VT::array, element, false, false}; }
constexpr KeyType token_id() { return {VT::uint32, VT::uint8, false, true}; }

constexpr std::array kKeys = {
    // general.*
    Entry{"general.type", scalar(VT::string), false},
    Entry{"general.architecture", scalar(VT::string), false},
    Entry{"general.quantization_version", scalar(VT::uint32), false},
    Entry{"general.alignment", scalar(VT::uint32), false},
    Entry{"general.file_type", scalar(VT::uint32), false},
    Entry{"general.name", scalar(VT::string), false},
    Entry{"general.author", scalar(VT::string), false},
    Entry{"general.version", scalar(VT::string), false},
    Entry{"general.organization", scalar(VT::string), false},
    Entry{"general.basename", scalar(VT::string), false},
    Entry{"general.finetune", scalar(VT::string), false},
    Entry{"general.size_label", scalar(VT::string), false},
    Entry{"general.url", scalar(VT::string), false},
    Entry{"general.description", scalar(VT::string), false},
    Entry{"general.license", scalar(VT::string), false},
    Entry{"general.license.name", scalar(VT::string), false},
    Entry{"general.license.link", scalar(VT::string), false},
    Entry{"general.source.url", scalar(VT::string), false},
    Entry{"general.source.huggingface.repository", scalar(VT::string), false},
    Entry{"general.repo_url", scalar(VT::string), false},
    Entry{"general.doi", scalar(VT::string), false},
    Entry{"general.uuid", scalar(VT::string), false},
    Entry{"general.tags", array_of(VT::string), false},
    Entry{"general.languages", array_of(VT::string), false},
    Entry{"general.datasets", array_of(VT::string), false},
    Entry{"general.sampling.sequence", scalar(VT::string), false},
    Entry{"general.sampling.top_k", scalar(VT::int32), false},
    Entry{"general.sampling.top_p", scalar(VT::float32), false},
    Entry{"general.sampling.min_p", scalar(VT::float32), false},
    Entry{"general.sampling.temp", scalar(VT::float32), false},
    Entry{"general.sampling.penalty_last_n", scalar(VT::int32), false},
    Entry{"general.sampling.penalty_repeat", scalar(VT::float32), false},
    // tokenizer.*
    Entry{"tokenizer.ggml.model", scalar(VT::string), false},
    Entry{"tokenizer.ggml.pre", scalar(VT::string), false},
    Entry{"tokenizer.ggml.tokens", array_of(VT::string), false},
    Entry{"tokenizer.ggml.token_type", array_of(VT::int32), false},
    Entry{"tokenizer.ggml.token_type_count", scalar(VT::uint32), false},
    Entry{"tokenizer.ggml.scores", array_of(VT::float32), false},
    Entry{"tokenizer.ggml.merges", array_of(VT::string), false},
    Entry{"tokenizer.ggml.bos_token_id", token_id(), false},
    Entry{"tokenizer.ggml.eos_token_id", token_id(), false},
    Entry{"tokenizer.ggml.eot_token_id", token_id(), false},
    Entry{"tokenizer.ggml.eom_token_id", token_id(), false},
    Entry{"tokenizer.ggml.unknown_token_id", token_id(), false},
    Entry{"tokenizer.ggml.seperator_token_id", token_id(), false},
    Entry{"tokenizer.ggml.padding_token_id", token_id(), false},
    Entry{"tokenizer.ggml.cls_token_id", token_id(), false},
    Entry{"tokenizer.ggml.mask_token_id", token_id(), false},
    Entry{"tokenizer.ggml.fim_pre_token_id", token_id(), false},
    Entry{"tokenizer.ggml.fim_suf_token_id", token_id(), false},
    Entry{"tokenizer.ggml.fim_mid_token_id", token_id(), false},
    Entry{"tokenizer.ggml.fim_pad_token_id", token_id(), false},
    Entry{"tokenizer.ggml.fim_rep_token_id", token_id(), false},
    Entry{"tokenizer.ggml.fim_sep_token_id", token_id(), false},
    Entry{"tokenizer.ggml.add_bos_token", scalar(VT::boolean), false},
    Entry{"tokenizer.ggml.add_eos_token", scalar(VT::boolean), false},
    Entry{"tokenizer.ggml.add_sep_token", scalar(VT::boolean), false},
    Entry{"tokenizer.ggml.add_space_prefix", scalar(VT::boolean), false},
    Entry{"tokenizer.ggml.remove_extra_whitespaces", scalar(VT::boolean), false},
    Entry{"tokenizer.ggml.precompiled_charsmap", array_of(VT::uint8), false},
    Entry{"tokenizer.chat_template", scalar(VT::string), false},
    Entry{"tokenizer.huggingface.json", scalar(VT::string), false},
    // <arch>.*
    Entry{"vocab_size", scalar(VT::uint32), true},
    Entry{"context_length", scalar(VT::uint32), true},
    Entry{"embedding_length", scalar(VT::uint32), true},
    Entry{"embedding_length_per_layer_input", scalar(VT::uint32), true},
    Entry{"block_count", scalar(VT::uint32), true},
    Entry{"leading_dense_block_count", scalar(VT::uint32), true},
    Entry{"feed_forward_length", layered(VT::uint32), true},
    Entry{"expert_feed_forward_length", scalar(VT::uint32), true},
    Entry{"expert_shared_feed_forward_length", scalar(VT::uint32), true},
    Entry{"use_parallel_residual", scalar(VT::boolean), true},
    Entry{"expert_count", scalar(VT::uint32), true},
    Entry{"expert_used_count", scalar(VT::uint32), true},
    Entry{"expert_shared_count", scalar(VT::uint32), true},
    Entry{"expert_weights_scale", scalar(VT::float32), true},
    Entry{"expert_weights_norm", scalar(VT::boolean), true},
    Entry{"expert_gating_func", scalar(VT::uint32), true},
    Entry{"moe_every_n_layers", scalar(VT::uint32), true},
    Entry{"nextn_predict_layers", scalar(VT::uint32), true},
    Entry{"pooling_type", scalar(VT::uint32), true},
    Entry{"logit_scale", scalar(VT::float32), true},
    Entry{"decoder_start_token_id", scalar(VT::uint32), true},
    Entry{"attn_logit_softcapping", scalar(VT::float32), true},
    Entry{"final_logit_softcapping", scalar(VT::float32), true},
    Entry{"residual_scale", scalar(VT::float32), true},
    Entry{"embedding_scale", scalar(VT::float32), true},
    Entry{"interleave_moe_layer_step", scalar(VT::uint32), true},
    Entry{"full_attention_interval", scalar(VT::uint32), true},
    Entry{"attention.head_count", layered(VT::uint32), true},
    Entry{"attention.head_count_kv", layered(VT::uint32), true},
    Entry{"attention.max_alibi_bias", scalar(VT::float32), true},
    Entry{"attention.clamp_kqv", scalar(VT::float32), true},
    Entry{"attention.key_length", scalar(VT::uint32), true},
    Entry{"attention.value_length", scalar(VT::uint32), true},
    Entry{"attention.layer_norm_epsilon", scalar(VT::float32), true},
    Entry{"attention.layer_norm_rms_epsilon", scalar(VT::float32), true},
    Entry{"attention.group_norm_epsilon", scalar(VT::float32), true},
    Entry{"attention.group_norm_groups", scalar(VT::uint32), true},
    Entry{"attention.causal", scalar(VT::boolean), true},
    Entry{"attention.q_lora_rank", scalar(VT::uint32), true},
    Entry{"attention.kv_lora_rank", scalar(VT::uint32), true},
    Entry{"attention.sliding_window", scalar(VT::uint32), true},
    Entry{"attention.sliding_window_pattern", layered(VT::uint32, VT::boolean), true},
    Entry{"attention.scale", scalar(VT::float32), true},
    Entry{"rope.dimension_count", scalar(VT::uint32), true},
    Entry{"rope.dimension_sections", array_of(VT::int32), true},
    Entry{"rope.freq_base", scalar(VT::float32), true},
    Entry{"rope.freq_base_swa", scalar(VT::float32), true},
    Entry{"rope.scale_linear", scalar(VT::float32), true},
    Entry{"rope.scaling.type", scalar(VT::string), true},
    Entry{"rope.scaling.factor", scalar(VT::float32), true},
    Entry{"rope.scaling.attn_factor", scalar(VT::float32), true},
    Entry{"rope.scaling.original_context_length", scalar(VT::uint32), true},
    Entry{"rope.scaling.finetuned", scalar(VT::boolean), true},
    Entry{"rope.scaling.yarn_log_multiplier", scalar(VT::float32), true},
    Entry{"rope.scaling.yarn_ext_factor", scalar(VT::float32), true},
    Entry{"rope.scaling.yarn_attn_factor", scalar(VT::float32), true},
    Entry{"rope.scaling.yarn_beta_fast", scalar(VT::float32), true},
    Entry{"rope.scaling.yarn_beta_slow", scalar(VT::float32), true},
    Entry{"ssm.conv_kernel", scalar(VT::uint32), true},
    Entry{"ssm.inner_size", scalar(VT::uint32), true},
    Entry{"ssm.state_size", scalar(VT::uint32), true},
    Entry{"ssm.time_step_rank", scalar(VT::uint32), true},
    Entry{"ssm.group_count", scalar(VT::uint32), true},
};

}  // namespace

std::optional<KeyType> known_key_type(std::string_view key, std::string_view architecture) {
    for (const Entry& e : kKeys) {
        if (!e.scoped) {
            if (key == e.name) return e.type;
            continue;
        }
        if (architecture.empty() || key.size() != architecture.size() + 1 + e.name.size()) continue;
        if (key.substr(0, architecture.size()) == architecture && key[architecture.size()] == '.' &&
            key.substr(architecture.size() + 1) == e.name)
            return e.type;
    }
    return std::nullopt;
}

}  // namespace gguf::model

#include "model_metadata.hpp"

#include <array>
#include <span>
#include <vector>

#include "tensor_plan.hpp"

namespace gguf::samples::detail {
namespace {

// The keys llama.cpp's gemma4 loader reads (key and rope sizes of both layer kinds, per-layer inputs,
// shared KV blocks, the sliding pattern as one flag per block) as its converter writes them.
void add_gemma4_metadata(const ModelConfig& c, Metadata& m) {
    const std::string arch(architecture_name(c.architecture));
    auto add = [&](std::string key, Value v) { m.emplace_back(std::move(key), std::move(v)); };
    add(arch + ".attention.key_length_swa", Value::u32(c.head_dim_swa));
    add(arch + ".attention.value_length_swa", Value::u32(c.head_dim_swa));
    add(arch + ".rope.dimension_count", Value::u32(c.head_dim));
    add(arch + ".rope.dimension_count_swa", Value::u32(c.n_rot_swa ? c.n_rot_swa : c.head_dim_swa));
    add(arch + ".rope.freq_base_swa", Value::f32(c.rope_base_swa));
    add(arch + ".attention.sliding_window", Value::u32(c.sliding_window));
    std::vector<std::uint8_t> flags(c.n_layer);
    for (std::uint32_t il = 0; il < c.n_layer; ++il) flags[il] = gemma4_sliding(c, il) ? 1 : 0;
    add(arch + ".attention.sliding_window_pattern", Value::array(ValueType::boolean, std::span<const std::uint8_t>(flags)));
    add(arch + ".attention.shared_kv_layers", Value::u32(c.n_layer_kv_shared));
    add(arch + ".embedding_length_per_layer_input", Value::u32(c.n_embd_per_layer));
    add(arch + ".final_logit_softcapping", Value::f32(c.final_softcap));
    if (c.double_wide_shared_mlp) {  // one width per block, as the converter writes it then
        std::vector<std::int32_t> widths(c.n_layer);
        for (std::uint32_t il = 0; il < c.n_layer; ++il) widths[il] = static_cast<std::int32_t>(gemma4_n_ff(c, il));
        for (auto& [key, value] : m)
            if (key == arch + ".feed_forward_length") value = Value::array(ValueType::int32, std::span<const std::int32_t>(widths));
    }
    if (c.n_head_kv_global != 0) {  // one count per block, as the converter writes it when they differ
        std::vector<std::int32_t> heads(c.n_layer);
        for (std::uint32_t il = 0; il < c.n_layer; ++il) heads[il] = static_cast<std::int32_t>(gemma4_n_head_kv(c, il));
        for (auto& [key, value] : m)
            if (key == arch + ".attention.head_count_kv") value = Value::array(ValueType::int32, std::span<const std::int32_t>(heads));
    }
}

}  // namespace

Metadata model_metadata(const ModelConfig& c) {
    const std::string arch(architecture_name(c.architecture));
    Metadata m;
    auto add = [&](std::string key, Value v) { m.emplace_back(std::move(key), std::move(v)); };
    add("general.architecture", Value::string(arch));
    add("general.type", Value::string("model"));
    add("general.name", Value::string(c.name));
    add(arch + ".block_count", Value::u32(c.n_layer));
    add(arch + ".context_length", Value::u32(c.n_ctx));
    add(arch + ".embedding_length", Value::u32(c.n_embd));
    add(arch + ".feed_forward_length", Value::u32(c.n_ff));
    add(arch + ".attention.head_count", Value::u32(c.n_head));
    add(arch + ".attention.head_count_kv", Value::u32(c.n_head_kv));
    add(arch + ".rope.freq_base", Value::f32(c.rope_base));
    add(arch + ".attention.layer_norm_rms_epsilon", Value::f32(c.rms_eps));
    // llama.cpp derives the head size as n_embd / n_head unless these say otherwise; Qwen3's
    // converter always writes them.
    if (c.architecture == Architecture::qwen3 || std::uint64_t{c.head_dim} * c.n_head != c.n_embd) {
        add(arch + ".attention.key_length", Value::u32(c.head_dim));
        add(arch + ".attention.value_length", Value::u32(c.head_dim));
    }
    const Architecture a = c.architecture;
    const bool qwen35 = a == Architecture::qwen35 || a == Architecture::qwen35moe;
    if (qwen35 || a == Architecture::gemma3 || a == Architecture::qwen3moe || a == Architecture::gpt_oss ||
        a == Architecture::gemma2 || a == Architecture::gemma4) {
        if (std::uint64_t{c.head_dim} * c.n_head == c.n_embd) {  // the branch above did not write them
            add(arch + ".attention.key_length", Value::u32(c.head_dim));
            add(arch + ".attention.value_length", Value::u32(c.head_dim));
        }
    }
    if (c.n_rot != 0 && a != Architecture::llama) add(arch + ".rope.dimension_count", Value::u32(c.n_rot));
    if (qwen35) {
        // The same key names and units as llama.cpp's converter writes for Qwen3.5.
        add(arch + ".ssm.conv_kernel", Value::u32(c.ssm_d_conv));
        add(arch + ".ssm.state_size", Value::u32(c.ssm_d_state));
        add(arch + ".ssm.group_count", Value::u32(c.ssm_n_group));
        add(arch + ".ssm.time_step_rank", Value::u32(c.ssm_dt_rank));
        add(arch + ".ssm.inner_size", Value::u32(c.ssm_d_state * c.ssm_dt_rank));
        add(arch + ".full_attention_interval", Value::u32(c.full_attention_interval));
        const std::array<std::int32_t, 4> sections{static_cast<std::int32_t>(c.rope_sections[0]),
                                                   static_cast<std::int32_t>(c.rope_sections[1]),
                                                   static_cast<std::int32_t>(c.rope_sections[2]),
                                                   static_cast<std::int32_t>(c.rope_sections[3])};
        add(arch + ".rope.dimension_sections", Value::array(ValueType::int32, std::span<const std::int32_t>(sections)));
    }
    if (c.n_expert != 0) {
        add(arch + ".expert_count", Value::u32(c.n_expert));
        add(arch + ".expert_used_count", Value::u32(c.n_expert_used));
        add(arch + ".expert_feed_forward_length", Value::u32(c.n_ff_exp));
        if (c.n_ff_shexp != 0) add(arch + ".expert_shared_feed_forward_length", Value::u32(c.n_ff_shexp));
    }
    if (a == Architecture::gemma3 && c.sliding_window != 0) {
        add(arch + ".attention.sliding_window", Value::u32(c.sliding_window));
        if (c.sliding_window_pattern != 6)  // llama.cpp's default period for gemma3
            add(arch + ".attention.sliding_window_pattern", Value::u32(c.sliding_window_pattern));
        add(arch + ".rope.freq_base_swa", Value::f32(c.rope_base_swa));
    }
    if (a == Architecture::gpt_oss || (a == Architecture::gemma2 && c.sliding_window != 0))
        add(arch + ".attention.sliding_window", Value::u32(c.sliding_window));
    if (a == Architecture::gemma2) {
        add(arch + ".attn_logit_softcapping", Value::f32(c.attn_softcap));
        add(arch + ".final_logit_softcapping", Value::f32(c.final_softcap));
    }
    if (a == Architecture::granite) {
        add(arch + ".embedding_scale", Value::f32(c.embedding_scale));
        add(arch + ".residual_scale", Value::f32(c.residual_scale));
        add(arch + ".attention.scale", Value::f32(c.attention_scale));
        add(arch + ".logit_scale", Value::f32(c.logit_scale));
    }
    if (a == Architecture::gemma4) add_gemma4_metadata(c, m);
    if (c.rope_yarn_factor != 0.0f) {
        add(arch + ".rope.scaling.type", Value::string("yarn"));
        add(arch + ".rope.scaling.factor", Value::f32(c.rope_yarn_factor));
        add(arch + ".rope.scaling.original_context_length", Value::u32(c.rope_original_context));
    }
    if (c.rope_yarn_beta_fast != 0.0f) add(arch + ".rope.scaling.yarn_beta_fast", Value::f32(c.rope_yarn_beta_fast));
    if (c.rope_yarn_beta_slow != 0.0f) add(arch + ".rope.scaling.yarn_beta_slow", Value::f32(c.rope_yarn_beta_slow));
    if (c.rope_yarn_log_mul != 0.0f) add(arch + ".rope.scaling.yarn_log_multiplier", Value::f32(c.rope_yarn_log_mul));
    if (c.attn_temperature_scale != 0.0f)
        add(arch + ".attention.temperature_scale", Value::f32(c.attn_temperature_scale));
    if (c.longrope_attn_factor != 0.0f) {
        add(arch + ".rope.scaling.attn_factor", Value::f32(c.longrope_attn_factor));
        add(arch + ".rope.scaling.original_context_length", Value::u32(c.rope_original_context));
    }
    add("general.file_type", Value::u32(c.file_type));
    if (c.architecture == Architecture::llama) {
        add(arch + ".vocab_size", Value::u32(c.n_vocab));
        add(arch + ".rope.dimension_count", Value::u32(c.head_dim));
    }
    if ((a == Architecture::phi3 || a == Architecture::mistral3) && c.n_rot == 0)
        add(arch + ".rope.dimension_count", Value::u32(c.head_dim));
    add("general.quantization_version", Value::u32(2));  // GGML_QNT_VERSION
    return m;
}

}  // namespace gguf::samples::detail

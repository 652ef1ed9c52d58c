#include "model_metadata.hpp"

namespace gguf::samples::detail {

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
    add("general.file_type", Value::u32(c.file_type));
    if (c.architecture == Architecture::llama) {
        add(arch + ".vocab_size", Value::u32(c.n_vocab));
        add(arch + ".rope.dimension_count", Value::u32(c.head_dim));
    }
    add("general.quantization_version", Value::u32(2));  // GGML_QNT_VERSION
    return m;
}

}  // namespace gguf::samples::detail

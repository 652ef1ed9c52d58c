// mistral3 (src/models/mistral3.cpp), dense: llama's block (optional attention-output and feed-forward
// biases), with llama 4's temperature tuning of the queries after RoPE when the file sets
// attention.temperature_scale. Its YaRN correction range and log multiplier come from the file
// (pass_params).
#include "architectures.hpp"
#include "blocks.hpp"

namespace gguf::forward::architectures {

void build_mistral3(Build& b) {
    const model::ModelSpec& m = b.spec;
    if (b.bind.has("blk.0.attn_qkv.weight"))
        b.bind.reject("fused attn_qkv tensors are not supported by the reference forward pass");
    if (b.model.get_u64(m.architecture + ".expert_count").value_or(0) > 0)
        b.bind.reject("mixture-of-experts models are not supported by the reference forward pass");
    embed_tokens(b);
    const AttentionTensors attention{.output_bias = true,
                                     .qk_norm = false,
                                     .temperature_scale = static_cast<float>(m.attn_temperature_scale),
                                     .temperature_interval = m.attn_temperature_interval};
    for (std::uint64_t il = 0; il < m.n_layer; ++il) {
        pre_norm_attention(b, il, attention);
        pre_norm_swiglu_ffn(b, il, true);
    }
    norm_and_lm_head(b, false);
}

}  // namespace gguf::forward::architectures

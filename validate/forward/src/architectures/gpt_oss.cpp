// gpt-oss (src/models/openai-moe.cpp): pre-norm attention with q/k/v and output biases, heads of n_rot
// values, a learned sink logit per head, every other layer a sliding window (the spec's layer kinds), and
// a mixture of experts with router and expert biases, top-k of the raw router logits then softmax over
// the chosen k, and the clamped SwiGLU.
#include <fmt/format.h>

#include "architectures.hpp"
#include "blocks.hpp"
#include "experts.hpp"

namespace gguf::forward::architectures {

void build_gpt_oss(Build& b) {
    const model::ModelSpec& m = b.spec;
    if (m.head_dim != m.rope.n_rot || m.head_dim_v != m.rope.n_rot) {
        b.bind.reject(fmt::format("gpt-oss: attention.key_length {} and value_length {} must equal rope.dimension_count {} "
                                  "(llama.cpp's graph uses n_rot as the head size)",
                                  m.head_dim, m.head_dim_v, m.rope.n_rot));
        return;
    }
    if (b.bind.has("blk.0.attn_qkv.weight"))
        b.bind.reject("fused attn_qkv tensors are not supported by the reference forward pass");
    // The sliding layers' RoPE: their own base and scale, the YaRN mix and magnitude of the global table.
    ops::RopeParams sliding = b.arch.program.ropes[0];
    sliding.freq_base = static_cast<float>(m.rope_freq_base_swa);
    sliding.freq_scale = static_cast<float>(m.rope_freq_scale_swa);
    b.arch.program.ropes.push_back(sliding);

    embed_tokens(b);
    for (std::uint64_t il = 0; il < m.n_layer; ++il) {
        const bool swa = m.is_sliding(il);
        pre_norm_attention(b, il, {.output_bias = true, .sinks = true, .window = swa ? m.sliding_window : 0,
                                   .rope_table = swa ? 1 : 0});
        pre_norm_moe_ffn(b, il, {.norm = "post_attention_norm.weight", .biases = true});
    }
    norm_and_lm_head(b, false);
}

}  // namespace gguf::forward::architectures

// granite (src/models/granite.cpp), dense: llama's block with four multipliers from the file: the
// embeddings (embedding_scale), each block output before its residual add (residual_scale), the
// attention's score scale (attention.scale, else 1/sqrt(head_dim)), and the logits divided by
// logit_scale. RoPE is off when rope.scaling.finetuned is false.
#include "architectures.hpp"
#include "blocks.hpp"

namespace gguf::forward::architectures {

void build_granite(Build& b) {
    const model::ModelSpec& m = b.spec;
    if (b.bind.has("blk.0.attn_qkv.weight"))
        b.bind.reject("fused attn_qkv tensors are not supported by the reference forward pass");
    if (m.moe.enabled() || b.model.get_u64(m.architecture + ".expert_count").value_or(0) > 0)
        b.bind.reject("mixture-of-experts models are not supported by the reference forward pass");
    if (b.model.find(m.architecture + ".deepstack_mapping"))
        b.bind.reject("granite: deepstack inputs (granite.deepstack_mapping) are not modelled by the reference forward pass");
    if (!(m.logit_scale > 0.0)) b.bind.reject("granite: logit_scale must be positive (llama.cpp divides by it)");

    embed_tokens(b);
    if (m.embedding_scale != 1.0) {
        Scope input = b.input();
        input.ops.push_back(Scale{Slot::x, m.n_embd, static_cast<float>(m.embedding_scale)});
        input.ops.push_back(Record{Slot::x, m.n_embd, "embedding_scaled"});
    }
    const Value* finetuned = b.model.find(m.architecture + ".rope.scaling.finetuned");
    const bool rope = !finetuned || finetuned->type() != ValueType::boolean || finetuned->as_bool();
    const auto residual_scale = static_cast<float>(m.residual_scale);
    const AttentionTensors attention{.output_bias = true,
                                     .qk_norm = false,
                                     .rope = rope,
                                     .kq_scale = static_cast<float>(m.attention_scale),
                                     .residual_scale = residual_scale};
    for (std::uint64_t il = 0; il < m.n_layer; ++il) {
        pre_norm_attention(b, il, attention);
        pre_norm_swiglu_ffn(b, il, true, "ffn_norm.weight", residual_scale);
    }
    norm_and_lm_head(b, false);
    // The logits are divided (a multiplication by the float reciprocal, as ggml_scale) before their record.
    Scope output = b.output();
    const Op record = output.ops.back();
    output.ops.back() = Scale{Slot::logits, b.arch.weights.n_vocab, 1.0f / static_cast<float>(m.logit_scale)};
    output.ops.push_back(record);
}

}  // namespace gguf::forward::architectures

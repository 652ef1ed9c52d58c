#include "llama_family.hpp"

namespace gguf::forward::architectures {

void build_llama_family(Build& b, const LlamaFamilyTensors& tensors) {
    if (b.bind.has("blk.0.attn_qkv.weight"))
        b.bind.reject("fused attn_qkv tensors are not supported by the reference forward pass");
    if (b.model.get_u64(b.spec.architecture + ".expert_count").value_or(0) > 0)
        b.bind.reject("mixture-of-experts models are not supported by the reference forward pass");
    embed_tokens(b);
    for (std::uint64_t il = 0; il < b.spec.n_layer; ++il) {
        pre_norm_attention(b, il, tensors.attention);
        pre_norm_swiglu_ffn(b, il, tensors.ffn_biases);
    }
    norm_and_lm_head(b, tensors.output_bias);
}

}  // namespace gguf::forward::architectures

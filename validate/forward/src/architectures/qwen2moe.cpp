// qwen2moe (src/models/qwen2moe.cpp): qwen2's attention (q/k/v biases), then routed experts (weights
// not normalised) plus a shared expert behind a sigmoid gate.
#include "architectures.hpp"
#include "blocks.hpp"
#include "experts.hpp"

namespace gguf::forward::architectures {

void build_qwen2moe(Build& b) {
    if (b.bind.has("blk.0.attn_qkv.weight"))
        b.bind.reject("fused attn_qkv tensors are not supported by the reference forward pass");
    if (b.spec.moe.n_ff_shexp == 0) b.bind.reject("qwen2moe: the spec has no shared expert width");
    embed_tokens(b);
    for (std::uint64_t il = 0; il < b.spec.n_layer; ++il) {
        pre_norm_attention(b, il, {.output_bias = false, .qk_norm = false});
        pre_norm_moe_ffn(b, il);
    }
    norm_and_lm_head(b, false);
}

}  // namespace gguf::forward::architectures

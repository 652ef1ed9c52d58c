// qwen3moe (src/models/qwen3moe.cpp): qwen3's attention (per-head q/k norms), then routed experts whose
// chosen weights are normalised to sum 1.
#include "architectures.hpp"
#include "blocks.hpp"
#include "experts.hpp"

namespace gguf::forward::architectures {

void build_qwen3moe(Build& b) {
    if (b.bind.has("blk.0.attn_qkv.weight"))
        b.bind.reject("fused attn_qkv tensors are not supported by the reference forward pass");
    embed_tokens(b);
    for (std::uint64_t il = 0; il < b.spec.n_layer; ++il) {
        pre_norm_attention(b, il, {.output_bias = false, .qk_norm = true});
        pre_norm_moe_ffn(b, il);
    }
    norm_and_lm_head(b, false);
}

}  // namespace gguf::forward::architectures

// gemma2 (src/models/gemma2.cpp): the gemma block (gemma_family.hpp) without q/k norms, with soft-capped
// attention scores (attn_logit_softcapping) and logits (final_logit_softcapping); every other block
// slides.
#include "architectures.hpp"
#include "gemma_family.hpp"

namespace gguf::forward::architectures {

void build_gemma2(Build& b) {
    if (!(b.spec.attn_logit_softcapping > 0.0) || !(b.spec.final_logit_softcapping > 0.0))
        b.bind.reject("gemma2: attn_logit_softcapping and final_logit_softcapping must be positive (llama.cpp divides by them)");
    // llama.cpp's gemma2 always multiplies by token_embd and refuses a file with tensors it does not use.
    if (b.bind.has("output.weight"))
        b.bind.reject("gemma2: output.weight is present, but llama.cpp's gemma2 always uses token_embd as the lm_head");
    build_gemma_family(b, {.qk_norm = false, .attn_softcap = static_cast<float>(b.spec.attn_logit_softcapping)});
}

}  // namespace gguf::forward::architectures

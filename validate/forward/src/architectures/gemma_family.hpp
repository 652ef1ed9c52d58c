// The block gemma2 and gemma3 share (src/models/gemma2.cpp, gemma3.cpp): RMSNorm, q/k/v (gemma3: per-head
// q and k norms), RoPE (sliding layers with their own table), queries scaled by the spec's attention
// scale, attention (a window on sliding layers; gemma2: soft-capped scores), the output projection
// normalized by post_attention_norm before the residual add, and a GELU-gated feed-forward normalized by
// post_ffw_norm before its residual add. Also their input (embeddings times sqrt(n_embd)) and output
// (final norm, lm_head, optional final soft-cap).
#pragma once

#include "builder.hpp"

namespace gguf::forward::architectures {

struct GemmaBlock {
    bool qk_norm = false;       // attn_q_norm and attn_k_norm (gemma3)
    float attn_softcap = 0.0f;  // soft-cap of the attention scores (gemma2); 0: none
};

// Builds the whole program of a gemma2 / gemma3 file.
void build_gemma_family(Build& b, const GemmaBlock& block);

}  // namespace gguf::forward::architectures

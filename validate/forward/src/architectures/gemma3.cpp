// gemma3 (src/models/gemma3.cpp): the gemma block (gemma_family.hpp) with per-head q and k norms and
// no score soft-cap; the final soft-cap when final_logit_softcapping is set.
#include "architectures.hpp"
#include "gemma_family.hpp"

namespace gguf::forward::architectures {

void build_gemma3(Build& b) { build_gemma_family(b, {.qk_norm = true, .attn_softcap = 0.0f}); }

}  // namespace gguf::forward::architectures

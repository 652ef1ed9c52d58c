// llama (src/models/llama.cpp): optional biases of the attention output and the feed-forward, and
// llama 3's rope_freqs (read by pass_params).
#include "architectures.hpp"
#include "llama_family.hpp"

namespace gguf::forward::architectures {

void build_llama(Build& b) {
    build_llama_family(b, {.attention = {.output_bias = true, .qk_norm = false}, .ffn_biases = true, .output_bias = false});
}

}  // namespace gguf::forward::architectures

// qwen3 (src/models/qwen3.cpp): RMSNorm of every head of q and k before RoPE.
#include "architectures.hpp"
#include "llama_family.hpp"

namespace gguf::forward::architectures {

void build_qwen3(Build& b) {
    build_llama_family(b, {.attention = {.output_bias = false, .qk_norm = true}, .ffn_biases = false, .output_bias = false});
}

}  // namespace gguf::forward::architectures

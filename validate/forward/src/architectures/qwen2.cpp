// qwen2 (src/models/qwen2.cpp): q/k/v biases and an optional output.bias.
#include "architectures.hpp"
#include "llama_family.hpp"

namespace gguf::forward::architectures {

void build_qwen2(Build& b) {
    build_llama_family(b, {.attention = {.output_bias = false, .qk_norm = false}, .ffn_biases = false, .output_bias = true});
}

}  // namespace gguf::forward::architectures

// The llama, qwen2 and qwen3 graphs of llama.cpp (src/models/llama.cpp, qwen2.cpp, qwen3.cpp) are one
// block, pre-norm attention and a SwiGLU feed-forward, that differ only in which optional tensors they
// read; their builders call this with those differences.
#pragma once

#include "blocks.hpp"

namespace gguf::forward::architectures {

struct LlamaFamilyTensors {
    AttentionTensors attention;
    bool ffn_biases = false;   // ffn_{gate,up,down}.bias when present (llama)
    bool output_bias = false;  // output.bias when present (qwen2)
};

void build_llama_family(Build& b, const LlamaFamilyTensors& tensors);

}  // namespace gguf::forward::architectures

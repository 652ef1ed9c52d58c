// Names the reference llama.cpp knows (src/llama-arch.cpp, src/llama-vocab.cpp of the reference
// release): a name outside these lists makes it refuse the file.
#pragma once

#include <string_view>

namespace gguf::deploy::detail {

bool is_llama_cpp_architecture(std::string_view name);
bool is_llama_cpp_tokenizer_model(std::string_view name);  // tokenizer.ggml.model
bool is_llama_cpp_pre_tokenizer(std::string_view name);    // tokenizer.ggml.pre of a BPE vocabulary
bool is_llama_cpp_rope_scaling(std::string_view name);     // {arch}.rope.scaling.type

}  // namespace gguf::deploy::detail

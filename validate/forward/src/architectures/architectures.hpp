// The builder of each architecture the forward pass models (architectures.cpp lists them by name).
#pragma once

#include "builder.hpp"

namespace gguf::forward::architectures {

void build_llama(Build& b);
void build_qwen2(Build& b);
void build_qwen3(Build& b);
void build_gemma3(Build& b);
void build_qwen35(Build& b);
void build_qwen35moe(Build& b);
void build_qwen3moe(Build& b);
void build_qwen2moe(Build& b);
void build_gemma2(Build& b);
void build_olmo2(Build& b);
void build_granite(Build& b);
void build_phi3(Build& b);
void build_mistral3(Build& b);
void build_gpt_oss(Build& b);
void build_gemma4(Build& b);

}  // namespace gguf::forward::architectures

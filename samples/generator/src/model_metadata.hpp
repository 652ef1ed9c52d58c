// The general.* and {arch}.* keys of a model, as convert_hf_to_gguf.py writes them and
// llama-model.cpp reads them.
#pragma once

#include "vocab.hpp"

namespace gguf::samples::detail {

// Everything but the tokenizer, which follows it in the file.
Metadata model_metadata(const ModelConfig& config);

}  // namespace gguf::samples::detail

// A GGUF file with the exact header of Qwen2.5-0.5B in Q8_0 (qwen2 architecture, 24 layers, n_embd 896,
// 14 query / 2 key-value heads of 64, n_ff 4864, tied embeddings, q/k/v biases: 290 tensors) and
// llama.cpp's real Qwen2 tokenizer (151936 tokens, 151387 merges). Tensor data is zeros, but every
// byte is there: the file is complete. Generated once into a cache folder; these sizes describe the
// benchmark's subject and belong nowhere else.
#pragma once

#include <filesystem>

namespace gguf::bench {

// Writes the file unless it already exists; returns its path. `vocab_file` is llama.cpp's
// ggml-vocab-qwen2.gguf (installed with the reference). Throws std::runtime_error on failure.
std::filesystem::path qwen_shaped_file(const std::filesystem::path& cache_dir, const std::filesystem::path& vocab_file);

}  // namespace gguf::bench

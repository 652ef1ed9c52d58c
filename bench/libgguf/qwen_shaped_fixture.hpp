// The samples generator's qwen2.5-0.5b preset (Qwen2.5-0.5B's header: qwen2, 24 layers, tied
// embeddings, q/k/v biases, 290 tensors) in Q8_0, with llama.cpp's real Qwen2 tokenizer (151936 tokens,
// 151387 merges) instead of the synthetic one. Generated once into a cache folder.
#pragma once

#include <filesystem>

namespace gguf::bench {

// Where qwen_shaped_file puts it.
std::filesystem::path qwen_shaped_path(const std::filesystem::path& cache_dir);

// Writes the file unless it already exists; returns its path. `vocab_file` is llama.cpp's
// ggml-vocab-qwen2.gguf (installed with the reference). Throws std::runtime_error on failure.
std::filesystem::path qwen_shaped_file(const std::filesystem::path& cache_dir, const std::filesystem::path& vocab_file);

}  // namespace gguf::bench

// What a GGUF file is for, from its metadata and tensor names: a language model, an embedding or
// reranking model (it pools hidden states; no lm_head is expected), a LoRA adapter (general.type
// "adapter": pairs of .lora_a/.lora_b tensors applied to a base model), a multimodal projector
// (mmproj, architecture "clip"), or a vocabulary without weights.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gguf/container.hpp"
#include "gguf/deploy/loadability.hpp"

namespace gguf::deploy {

enum class FileKind : std::uint8_t { language_model, embedding_model, reranker, lora_adapter, projector, vocabulary_only };
std::string_view file_kind_name(FileKind kind);  // "language model", "LoRA adapter"...

struct KindInfo {
    FileKind kind = FileKind::language_model;
    std::string detail;  // "pooling mean", "alpha 16, rank 8, 14 pairs"...
};
KindInfo file_kind(const Container& model);

// Whether llama.cpp's LoRA loader (llama_adapter_lora_init) accepts the adapter: general.type and
// adapter.type, every tensor an .lora_a/.lora_b (or a norm it skips) with its partner, and, given the
// base model, the base's architecture, a base tensor for each pair and the shapes it requires.
LoadVerdict lora_verdict(const Container& adapter, const Container* base);

}  // namespace gguf::deploy

// Tokenizer metadata for a sample model: a synthetic but well-formed vocabulary of the requested size
// (SentencePiece or GPT-2 byte-level BPE, as llama.cpp's llama-vocab.cpp reads them), or the tokenizer
// of another GGUF file copied and padded.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "gguf/samples/generator.hpp"
#include "gguf/value.hpp"

namespace gguf::samples::detail {

using Metadata = std::vector<std::pair<std::string, Value>>;

// llama.cpp's token types (llama.h, enum llama_token_type).
enum TokenType : std::int32_t { normal = 1, unknown = 2, control = 3, user_defined = 4, unused = 5, byte = 6 };

// Every tokenizer.* key, in the order convert_hf_to_gguf.py writes them. For a copied vocabulary,
// `config.n_vocab` may be 0 (use the source's size).
Result<Metadata> tokenizer_metadata(const ModelConfig& config);

// The number of entries of the token list `config` gives (n_vocab, or the source's size).
Result<std::uint32_t> token_count(const ModelConfig& config);

// Merges learned from a short built-in English text by byte-pair encoding, then continued by
// deterministic pairings of existing tokens until `n_merges` exist. `words` are the training words,
// each split into base symbols. Every merge joins two symbols that exist by then, and each result is new.
std::vector<std::pair<std::string, std::string>> grow_merges(std::vector<std::vector<std::string>> words,
                                                             const std::vector<std::string>& base, std::size_t n_merges);

// The built-in English text the merges are learned from.
std::string_view sample_text();

Metadata spm_vocabulary(const ModelConfig& config);
Metadata bpe_vocabulary(const ModelConfig& config);
Result<Metadata> copied_vocabulary(const ModelConfig& config);

}  // namespace gguf::samples::detail

// The two tokenization algorithms, applied to one stretch of plain text.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "vocabulary.hpp"

namespace gguf::tokenizer::detail {

// SentencePiece BPE as llama.cpp's llm_tokenizer_spm runs it over text whose spaces were already
// replaced by U+2581: start from UTF-8 characters, repeatedly merge the adjacent pair whose merged
// text is the vocabulary entry with the highest score (the leftmost pair on ties), then emit each
// piece's token, or its bytes as <0xXX> tokens when the piece is not in the vocabulary.
void encode_spm(const Vocabulary& vocab, std::string_view text, std::vector<std::int32_t>& out);

// GPT-2 byte-level BPE as llama.cpp's llm_tokenizer_bpe runs it: pre-tokenize into words, map each
// byte to its printable code point, then within each word repeatedly merge the adjacent pair with the
// lowest merge rank (the leftmost pair on ties).
void encode_bpe(const Vocabulary& vocab, std::string_view text, std::vector<std::int32_t>& out);

}  // namespace gguf::tokenizer::detail

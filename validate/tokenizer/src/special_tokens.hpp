// Splitting the text at special tokens before the model's tokenizer sees it, as llama.cpp's
// tokenizer_st_partition does: every special token (longest first) is searched for in every stretch
// of text that is still plain, and each occurrence becomes that token.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "vocabulary.hpp"

namespace gguf::tokenizer::detail {

struct Fragment {
    std::int32_t token = no_token;  // no_token: plain text
    std::string_view text;          // the plain text (empty for a token)
};

// Control and unknown tokens are matched only with `parse_special`; user-defined tokens always.
std::vector<Fragment> split_at_special_tokens(const Vocabulary& vocab, std::string_view text, bool parse_special);

}  // namespace gguf::tokenizer::detail

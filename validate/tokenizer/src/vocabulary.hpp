// The vocabulary as llama.cpp's llama_vocab::impl::load builds it from tokenizer.ggml.*: token texts,
// scores and attributes, the special token ids with their defaults, the flags that shape encoding
// (BOS, EOS, space prefix, ignore_merges), the attribute fixes llama.cpp applies by token text, and
// the special tokens in the order the text is searched for them.
#pragma once

#include <cstdint>
#include <deque>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "gguf/tokenizer/tokenizer.hpp"
#include "gguf/value.hpp"
#include "pre_tokenizer.hpp"

namespace gguf::tokenizer::detail {

// llama.h, enum llama_token_attr (bit flags).
enum TokenAttr : std::uint32_t {
    attr_undefined = 0,
    attr_unknown = 1u << 0,
    attr_unused = 1u << 1,
    attr_normal = 1u << 2,
    attr_control = 1u << 3,
    attr_user_defined = 1u << 4,
    attr_byte = 1u << 5,
    attr_lstrip = 1u << 7,
    attr_rstrip = 1u << 8,
};

struct Vocabulary {
    Kind kind = Kind::spm;
    std::string model_name;
    std::string pre_name;
    PreTokenizerConfig pre;  // BPE only

    // Token texts are views into the mapped file, which `token_list` keeps alive; the few texts
    // llama.cpp replaces (empty entries become "[EMPTY_<id>]") live in `replaced_texts`.
    Value token_list;
    Value merge_list;
    std::deque<std::string> replaced_texts;
    std::vector<std::string_view> texts;
    std::vector<float> scores;
    std::vector<std::uint32_t> attrs;
    std::unordered_map<std::string_view, std::int32_t> ids;          // text -> id; a repeated text keeps its last id
    std::unordered_map<std::string_view, std::int32_t> merge_ranks;  // "left right" -> rank; a repeated merge keeps its first

    std::int32_t bos = no_token, eos = no_token, eot = no_token, eom = no_token, unk = no_token;
    std::int32_t sep = no_token, pad = no_token, mask = no_token;
    std::int32_t fim_pre = no_token, fim_suf = no_token, fim_mid = no_token;
    std::int32_t fim_pad = no_token, fim_rep = no_token, fim_sep = no_token;
    bool add_bos = false, add_eos = false, add_space_prefix = false;
    bool clean_spaces = false, ignore_merges = false;

    std::set<std::int32_t> end_of_generation;
    std::vector<std::int32_t> special_tokens;  // control, user-defined and unknown tokens, longest text first

    std::int32_t n_tokens() const { return static_cast<std::int32_t>(texts.size()); }
    std::int32_t find(std::string_view text) const {
        const auto it = ids.find(text);
        return it == ids.end() ? no_token : it->second;
    }
    // Rank of merging `left` with `right`, or -1. `scratch` is reused to build the key.
    int merge_rank(std::string_view left, std::string_view right, std::string& scratch) const;
};

std::variant<Vocabulary, LoadError> load_vocabulary(const Container& model);

}  // namespace gguf::tokenizer::detail

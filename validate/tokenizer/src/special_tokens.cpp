#include "special_tokens.hpp"

namespace gguf::tokenizer::detail {
namespace {

// C's isspace in the "C" locale, which llama.cpp uses for the lstrip/rstrip attributes.
bool is_c_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

// Splits one stretch of plain text at every occurrence of `token` (left to right), appending the
// pieces to `out`.
void split_fragment(const Vocabulary& vocab, std::int32_t token, std::string_view text, std::vector<Fragment>& out) {
    const std::string_view needle = vocab.texts[token];
    const std::uint32_t attr = vocab.attrs[token];
    while (!text.empty()) {
        const std::size_t match = text.find(needle);
        if (match == std::string_view::npos) {
            out.push_back({no_token, text});
            return;
        }
        std::string_view left = text.substr(0, match);
        if (attr & attr_lstrip)
            while (!left.empty() && is_c_space(left.back())) left.remove_suffix(1);
        if (!left.empty()) out.push_back({no_token, left});
        out.push_back({token, {}});
        text.remove_prefix(match + needle.size());
        if (attr & attr_rstrip)
            while (!text.empty() && is_c_space(text.front())) text.remove_prefix(1);
    }
}

}  // namespace

std::vector<Fragment> split_at_special_tokens(const Vocabulary& vocab, std::string_view text, bool parse_special) {
    std::vector<Fragment> fragments;
    if (text.empty()) return fragments;
    fragments.push_back({no_token, text});
    std::vector<Fragment> next;
    for (std::int32_t token : vocab.special_tokens) {
        if (!parse_special && (vocab.attrs[token] & (attr_control | attr_unknown))) continue;
        next.clear();
        for (const Fragment& fragment : fragments) {
            if (fragment.token != no_token) {
                next.push_back(fragment);
            } else {
                split_fragment(vocab, token, fragment.text, next);
            }
        }
        fragments.swap(next);
    }
    return fragments;
}

}  // namespace gguf::tokenizer::detail

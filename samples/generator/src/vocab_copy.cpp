// The tokenizer of another GGUF file (a real vocabulary), copied key by key; when the model has more
// embedding rows than the source has tokens, the per-token arrays are padded as convert_hf_to_gguf.py
// pads them ("[PAD<id>]", unused, score -10000).
#include "vocab.hpp"

#include "gguf/container.hpp"

namespace gguf::samples::detail {
namespace {

constexpr std::string_view kTokens = "tokenizer.ggml.tokens";
constexpr std::string_view kScores = "tokenizer.ggml.scores";
constexpr std::string_view kTypes = "tokenizer.ggml.token_type";

Error source_error(const ModelConfig& c, std::string what) {
    return Error{ErrorCode::invalid_argument, 0, std::move(what), c.vocab_from.string()};
}

Value padded_tokens(const Value& v, std::uint64_t n) {
    std::vector<std::string> out;
    out.reserve(n);
    for (std::uint64_t i = 0; i < v.size(); ++i) out.emplace_back(v.string_at(i));
    for (std::uint64_t i = v.size(); i < n; ++i) out.push_back("[PAD" + std::to_string(i) + "]");
    return Value::string_array(out);
}

Value padded_scores(const Value& v, std::uint64_t n) {
    std::vector<float> out;
    out.reserve(n);
    for (std::uint64_t i = 0; i < v.size(); ++i) out.push_back(static_cast<float>(v.number_at(i)));
    out.resize(n, -10000.0f);
    return Value::array<float>(ValueType::float32, out);
}

Value padded_types(const Value& v, std::uint64_t n) {
    std::vector<std::int32_t> out;
    out.reserve(n);
    for (std::uint64_t i = 0; i < v.size(); ++i) out.push_back(static_cast<std::int32_t>(v.integer_at(i)));
    out.resize(n, unused);
    return Value::array<std::int32_t>(ValueType::int32, out);
}

}  // namespace

Result<Metadata> copied_vocabulary(const ModelConfig& c) {
    auto source = gguf::open(c.vocab_from);
    if (!source) return source.error();
    const Value* tokens = source->find(kTokens);
    if (!tokens || !tokens->is_array() || tokens->element_type() != ValueType::string)
        return source_error(c, "no string array tokenizer.ggml.tokens to copy");
    const std::uint64_t n_source = tokens->size();
    const std::uint64_t n = c.n_vocab == 0 ? n_source : c.n_vocab;
    if (n < n_source)
        return source_error(c, "the vocabulary has " + std::to_string(n_source) + " tokens, more than the model's " +
                                   std::to_string(n) + " embedding rows");

    Metadata m;
    for (const auto& entry : source->metadata()) {
        if (!entry.key.starts_with("tokenizer.")) continue;
        bool seen = false;  // readers use the first of duplicated keys
        for (const auto& [k, v] : m) seen = seen || k == entry.key;
        if (seen) continue;
        const Value& v = entry.value;
        const bool per_token = v.is_array() && v.size() == n_source;
        if (n > n_source && entry.key == kTokens) m.emplace_back(entry.key, padded_tokens(v, n));
        else if (n > n_source && entry.key == kScores && per_token) m.emplace_back(entry.key, padded_scores(v, n));
        else if (n > n_source && entry.key == kTypes && per_token) m.emplace_back(entry.key, padded_types(v, n));
        else m.emplace_back(entry.key, v);
    }
    return m;
}

Result<std::uint32_t> token_count(const ModelConfig& c) {
    if (c.vocab_from.empty() || c.n_vocab != 0) return c.n_vocab;
    auto source = gguf::open(c.vocab_from);
    if (!source) return source.error();
    const Value* tokens = source->find(kTokens);
    if (!tokens || !tokens->is_array()) return source_error(c, "no tokenizer.ggml.tokens to copy");
    if (tokens->size() > UINT32_MAX) return source_error(c, "too many tokens");
    return static_cast<std::uint32_t>(tokens->size());
}

Result<Metadata> tokenizer_metadata(const ModelConfig& c) {
    if (!c.vocab_from.empty()) return copied_vocabulary(c);
    if (c.tokenizer == TokenizerKind::spm) return spm_vocabulary(c);
    return bpe_vocabulary(c);
}

}  // namespace gguf::samples::detail

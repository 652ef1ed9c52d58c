// The tokenizer of another model, copied key by key: from a GGUF file (a real vocabulary), or from a
// JSON object of tokenizer.* keys (what samples/train/train.py writes for the tokenizer it trains).
// When the model has more embedding rows than the source has tokens, the per-token arrays are padded as
// convert_hf_to_gguf.py pads them ("[PAD<id>]", unused, score -10000).
#include <fstream>
#include <limits>

#include <nlohmann/json.hpp>

#include "gguf/container.hpp"
#include "vocab.hpp"

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

// A JSON value as the GGUF value convert_hf_to_gguf.py would write: integers as uint32 (int32 when
// negative), other numbers as float32, arrays of integers as int32, of numbers as float32.
Result<Value> json_to_value(const nlohmann::ordered_json& j, const std::string& key, const ModelConfig& c) {
    auto bad = [&] { return source_error(c, "'" + key + "': a value GGUF tokenizer keys do not take"); };
    if (j.is_string()) return Value::string(j.get<std::string>());
    if (j.is_boolean()) return Value::boolean(j.get<bool>());
    if (j.is_number_unsigned() && j.get<std::uint64_t>() <= std::numeric_limits<std::uint32_t>::max())
        return Value::u32(j.get<std::uint32_t>());
    if (j.is_number_integer() && j.get<std::int64_t>() >= std::numeric_limits<std::int32_t>::min() &&
        j.get<std::int64_t>() <= std::numeric_limits<std::int32_t>::max())
        return Value::i32(j.get<std::int32_t>());
    if (j.is_number_float()) return Value::f32(j.get<float>());
    if (!j.is_array()) return bad();
    bool strings = true, integers = true, numbers = true;
    for (const auto& e : j) {
        strings = strings && e.is_string();
        integers = integers && e.is_number_integer();
        numbers = numbers && e.is_number();
    }
    if (strings) return Value::string_array(j.get<std::vector<std::string>>());
    if (integers) return Value::array<std::int32_t>(ValueType::int32, j.get<std::vector<std::int32_t>>());
    if (numbers) return Value::array<float>(ValueType::float32, j.get<std::vector<float>>());
    return bad();
}

// Every tokenizer.* key of the source, in its order (the first of duplicated GGUF keys, as readers do).
Result<Metadata> source_keys(const ModelConfig& c) {
    Metadata m;
    if (c.vocab_from.extension() == ".json") {
        std::ifstream in(c.vocab_from);
        if (!in) return Error{ErrorCode::io_error, 0, "cannot open", c.vocab_from.string()};
        const auto j = nlohmann::ordered_json::parse(in, nullptr, false);
        if (j.is_discarded() || !j.is_object()) return source_error(c, "not a JSON object of tokenizer.* keys");
        for (const auto& [key, value] : j.items()) {
            if (!key.starts_with("tokenizer.")) return source_error(c, "'" + key + "' is not a tokenizer.* key");
            auto v = json_to_value(value, key, c);
            if (!v) return v.error();
            m.emplace_back(key, std::move(*v));
        }
        return m;
    }
    auto source = gguf::open(c.vocab_from);
    if (!source) return source.error();
    for (const auto& entry : source->metadata()) {
        if (!entry.key.starts_with("tokenizer.")) continue;
        bool seen = false;
        for (const auto& [k, v] : m) seen = seen || k == entry.key;
        if (!seen) m.emplace_back(entry.key, entry.value);
    }
    return m;
}

Result<std::uint64_t> source_token_count(const ModelConfig& c, const Metadata& m) {
    for (const auto& [key, v] : m)
        if (key == kTokens && v.is_array() && v.element_type() == ValueType::string) return v.size();
    return source_error(c, "no string array tokenizer.ggml.tokens to copy");
}

}  // namespace

Result<Metadata> copied_vocabulary(const ModelConfig& c) {
    auto source = source_keys(c);
    if (!source) return source.error();
    auto n_source = source_token_count(c, *source);
    if (!n_source) return n_source.error();
    const std::uint64_t n = c.n_vocab == 0 ? *n_source : c.n_vocab;
    if (n < *n_source)
        return source_error(c, "the vocabulary has " + std::to_string(*n_source) + " tokens, more than the model's " +
                                   std::to_string(n) + " embedding rows");
    if (n == *n_source) return source;

    Metadata m;
    for (auto& [key, v] : *source) {
        const bool per_token = v.is_array() && v.size() == *n_source;
        if (key == kTokens) m.emplace_back(key, padded_tokens(v, n));
        else if (key == kScores && per_token) m.emplace_back(key, padded_scores(v, n));
        else if (key == kTypes && per_token) m.emplace_back(key, padded_types(v, n));
        else m.emplace_back(key, std::move(v));
    }
    return m;
}

Result<std::uint32_t> token_count(const ModelConfig& c) {
    if (c.vocab_from.empty() || c.n_vocab != 0) return c.n_vocab;
    auto source = source_keys(c);
    if (!source) return source.error();
    auto n = source_token_count(c, *source);
    if (!n) return n.error();
    if (*n > std::numeric_limits<std::uint32_t>::max()) return source_error(c, "too many tokens");
    return static_cast<std::uint32_t>(*n);
}

Result<Metadata> tokenizer_metadata(const ModelConfig& c) {
    if (!c.vocab_from.empty()) return copied_vocabulary(c);
    if (c.tokenizer == TokenizerKind::spm) return spm_vocabulary(c);
    return bpe_vocabulary(c);
}

}  // namespace gguf::samples::detail

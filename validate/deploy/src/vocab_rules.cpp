// The vocabulary llama.cpp builds (llama_vocab::load): the tokenizer model and pre-tokenizer must be
// names it knows, the token list must be there, the score and type arrays must cover it with the
// element types it reads, BPE needs its merges, token texts must be unique (it asserts that), and
// every tokenizer key it reads must have exactly its type.
#include <fmt/format.h>

#include <string>
#include <unordered_set>

#include "llama_cpp_names.hpp"
#include "rules.hpp"

namespace gguf::deploy::detail {
namespace {

struct TypedKey {
    std::string_view key;
    ValueType type;
};

// Scalar keys read with get_key: any other type is refused.
constexpr TypedKey kTokenizerKeys[] = {
    {"tokenizer.ggml.pre", ValueType::string},
    {"tokenizer.ggml.token_type_count", ValueType::uint32},
    {"tokenizer.ggml.add_space_prefix", ValueType::boolean},
    {"tokenizer.ggml.remove_extra_whitespaces", ValueType::boolean},
    {"tokenizer.ggml.bos_token_id", ValueType::uint32},
    {"tokenizer.ggml.eos_token_id", ValueType::uint32},
    {"tokenizer.ggml.eot_token_id", ValueType::uint32},
    {"tokenizer.ggml.eom_token_id", ValueType::uint32},
    {"tokenizer.ggml.unknown_token_id", ValueType::uint32},
    {"tokenizer.ggml.seperator_token_id", ValueType::uint32},
    {"tokenizer.ggml.padding_token_id", ValueType::uint32},
    {"tokenizer.ggml.mask_token_id", ValueType::uint32},
    {"tokenizer.ggml.fim_pre_token_id", ValueType::uint32},
    {"tokenizer.ggml.fim_suf_token_id", ValueType::uint32},
    {"tokenizer.ggml.fim_mid_token_id", ValueType::uint32},
    {"tokenizer.ggml.fim_pad_token_id", ValueType::uint32},
    {"tokenizer.ggml.fim_rep_token_id", ValueType::uint32},
    {"tokenizer.ggml.fim_sep_token_id", ValueType::uint32},
    {"tokenizer.ggml.prefix_token_id", ValueType::uint32},
    {"tokenizer.ggml.suffix_token_id", ValueType::uint32},
    {"tokenizer.ggml.middle_token_id", ValueType::uint32},
    {"tokenizer.ggml.add_bos_token", ValueType::boolean},
    {"tokenizer.ggml.add_eos_token", ValueType::boolean},
    {"tokenizer.ggml.add_sep_token", ValueType::boolean},
};

bool is_bpe(std::string_view model) {
    return model == "gpt2" || model == "hybriddna" || model == "whitespace" || model == "gemma4";
}

bool is_string_array(const Value& v) { return v.is_array() && v.element_type() == ValueType::string; }

}  // namespace

void check_vocabulary(const Container& model, Verdict& v) {
    const Value* tokenizer = model.find("tokenizer.ggml.model");
    if (!tokenizer) {
        v.refuse(LoadStage::vocabulary, "tokenizer.ggml.model", "required key is missing: llama.cpp needs a vocabulary");
        return;
    }
    if (!tokenizer->is_string()) {
        v.refuse(LoadStage::vocabulary, "tokenizer.ggml.model",
                 "stored as " + type_label(*tokenizer) + "; llama.cpp requires a string",
                 key_offset(model, "tokenizer.ggml.model"));
        return;
    }
    const std::string name(tokenizer->as_string());
    if (name == "none" || name == "no_vocab") return;  // no vocabulary: nothing more is read
    if (!is_llama_cpp_tokenizer_model(name)) {
        v.refuse(LoadStage::vocabulary, "tokenizer.ggml.model", "tokenizer '" + name + "' is unknown to llama.cpp",
                 key_offset(model, "tokenizer.ggml.model"));
        return;
    }
    for (const TypedKey& k : kTokenizerKeys) {
        const Value* value = model.find(k.key);
        if (value && value->type() != k.type)
            v.refuse(LoadStage::vocabulary, std::string(k.key),
                     "stored as " + type_label(*value) + "; llama.cpp requires " + std::string(value_type_name(k.type)),
                     key_offset(model, k.key));
    }
    const auto pre = model.get_string("tokenizer.ggml.pre");
    if (is_bpe(name) && pre && !pre->empty() && !is_llama_cpp_pre_tokenizer(*pre))
        v.refuse(LoadStage::vocabulary, "tokenizer.ggml.pre", "pre-tokenizer '" + std::string(*pre) + "' is unknown to llama.cpp",
                 key_offset(model, "tokenizer.ggml.pre"));
    if (is_bpe(name) && !(name != "gemma4" && pre && *pre == "kimi-k2")) {
        const Value* merges = model.find("tokenizer.ggml.merges");
        if (!merges)
            v.refuse(LoadStage::vocabulary, "tokenizer.ggml.merges", "a BPE vocabulary without merges");
        else if (!is_string_array(*merges))
            v.refuse(LoadStage::vocabulary, "tokenizer.ggml.merges", "not an array of strings",
                     key_offset(model, "tokenizer.ggml.merges"));
    }

    const Value* tokens = model.find("tokenizer.ggml.tokens");
    if (!tokens) {
        v.refuse(LoadStage::vocabulary, "tokenizer.ggml.tokens", "required key is missing: the token list");
        return;
    }
    if (!is_string_array(*tokens)) {
        v.refuse(LoadStage::vocabulary, "tokenizer.ggml.tokens", "not an array of strings",
                 key_offset(model, "tokenizer.ggml.tokens"));
        return;
    }
    const std::uint64_t n_tokens = tokens->size() & 0xFFFFFFFFu;  // llama.cpp keeps the count in 32 bits
    const auto covers = [&](std::string_view key, bool float_allowed) {
        const Value* a = model.find(key);
        if (!a) return;
        const bool type_ok = a->is_array() && (a->element_type() == ValueType::int32 ||
                                               (float_allowed && a->element_type() == ValueType::float32));
        if (!type_ok)
            v.refuse(LoadStage::vocabulary, std::string(key),
                     std::string(float_allowed ? "not an array of float32 or int32" : "not an array of int32") +
                         " (stored as " + type_label(*a) + ")",
                     key_offset(model, key));
        else if (a->size() < n_tokens)
            v.refuse(LoadStage::vocabulary, std::string(key),
                     fmt::format("{} entries for {} tokens: llama.cpp refuses a shorter array", a->size(), n_tokens),
                     key_offset(model, key));
    };
    covers("tokenizer.ggml.scores", true);
    covers("tokenizer.ggml.token_type", false);

    // llama.cpp maps each text to one id and asserts that no two tokens share a text (an empty text
    // is renamed "[EMPTY_<id>]" first).
    std::unordered_set<std::string> seen;
    seen.reserve(n_tokens);
    for (std::uint64_t i = 0; i < n_tokens; ++i) {
        std::string text(tokens->string_at(i));
        if (text.empty()) text = "[EMPTY_" + std::to_string(i) + "]";
        if (!seen.insert(std::move(text)).second) {
            v.abort(LoadStage::vocabulary, "tokenizer.ggml.tokens",
                    fmt::format("token {} repeats the text of an earlier token ('{}'): llama.cpp stops on an assertion",
                                i, tokens->string_at(i)),
                    key_offset(model, "tokenizer.ggml.tokens"));
            break;
        }
    }
}

}  // namespace gguf::deploy::detail

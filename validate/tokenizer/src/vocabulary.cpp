#include "vocabulary.hpp"

#include <algorithm>
#include <cctype>
#include <limits>
#include <optional>
#include <utility>

#include "gguf/container.hpp"

namespace gguf::tokenizer::detail {
namespace {

constexpr std::string_view key_model = "tokenizer.ggml.model";
constexpr std::string_view key_pre = "tokenizer.ggml.pre";
constexpr std::string_view key_tokens = "tokenizer.ggml.tokens";
constexpr std::string_view key_scores = "tokenizer.ggml.scores";
constexpr std::string_view key_token_type = "tokenizer.ggml.token_type";
constexpr std::string_view key_merges = "tokenizer.ggml.merges";

// Models llama.cpp knows (llama-vocab.cpp) besides the two implemented here.
constexpr std::string_view other_known_models[] = {"bert", "hybriddna", "whitespace", "t5", "rwkv", "test", "plamo2", "gemma4"};

// Token texts llama.cpp recognizes by name when the file does not give the id (llama-vocab.cpp).
constexpr std::string_view eot_names[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>", "<EOT>", "_<EOT>",
    "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>"};
constexpr std::string_view eom_names[] = {"<|eom_id|>"};
constexpr std::string_view fim_pre_names[] = {"<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>",
                                              "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>"};
constexpr std::string_view fim_suf_names[] = {"<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>",
                                              "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>"};
constexpr std::string_view fim_mid_names[] = {"<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>",
                                              "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>"};
constexpr std::string_view fim_pad_names[] = {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"};
constexpr std::string_view fim_rep_names[] = {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"};
constexpr std::string_view fim_sep_names[] = {"<|file_sep|>"};
constexpr std::string_view end_of_generation_names[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>", "<end_of_turn>",
    "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>",
    "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~["};
// gpt-oss: rendered as text, never treated as control tokens.
constexpr std::string_view always_rendered_names[] = {"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"};

template <std::size_t N>
bool one_of(std::string_view text, const std::string_view (&names)[N]) {
    return std::find(std::begin(names), std::end(names), text) != std::end(names);
}

bool contains(std::string_view haystack, std::string_view needle) { return haystack.find(needle) != std::string_view::npos; }

class Loader {
public:
    explicit Loader(const Container& model) : model_(model) {}

    std::variant<Vocabulary, LoadError> load() {
        if (!read_model()) return error_;
        if (!read_tokens()) return error_;
        if (vocab_.kind == Kind::bpe && !read_merges()) return error_;
        if (!read_special_ids()) return error_;
        recognize_tokens_by_text();
        order_special_tokens();
        apply_strip_attributes();
        return std::move(vocab_);
    }

private:
    bool fail(LoadErrorCode code, std::string_view key, std::string message) {
        std::uint64_t offset = 0;
        for (const auto& entry : model_.metadata())
            if (entry.key == key) {
                offset = entry.offset;
                break;
            }
        error_ = LoadError{code, std::string(key), offset, std::move(message)};
        return false;
    }

    bool wrong_type(std::string_view key, std::string_view wanted) {
        return fail(LoadErrorCode::invalid_metadata, key,
                    std::string(key) + " should be " + std::string(wanted) + ", not " +
                        std::string(value_type_name(model_.find(key)->type())));
    }

    // Scalars llama.cpp reads with get_key(): a present key of another type stops its loader.
    bool read_u32(std::string_view key, std::optional<std::uint32_t>& out) {
        const Value* v = model_.find(key);
        if (!v) return true;
        if (v->type() != ValueType::uint32) return wrong_type(key, "uint32");
        out = static_cast<std::uint32_t>(v->as_u64());
        return true;
    }
    bool read_bool(std::string_view key, bool& out) {
        const Value* v = model_.find(key);
        if (!v) return true;
        if (v->type() != ValueType::boolean) return wrong_type(key, "bool");
        out = v->as_bool();
        return true;
    }
    std::string optional_string(std::string_view key) const {
        const Value* v = model_.find(key);
        return v && v->is_string() ? std::string(v->as_string()) : std::string();
    }

    bool read_model() {
        const Value* model = model_.find(key_model);
        if (!model) return fail(LoadErrorCode::no_tokenizer, key_model, "the file has no tokenizer.ggml.model");
        if (!model->is_string()) return wrong_type(key_model, "a string");
        vocab_.model_name = std::string(model->as_string());
        const std::string_view name = vocab_.model_name;
        if (name == "none" || name == "no_vocab")
            return fail(LoadErrorCode::no_tokenizer, key_model, "tokenizer.ggml.model is '" + vocab_.model_name + "': the model has no vocabulary");
        if (name == "llama") {
            vocab_.kind = Kind::spm;
            vocab_.bos = 1, vocab_.eos = 2, vocab_.unk = 0;
            vocab_.add_space_prefix = true;
            vocab_.add_bos = true;
        } else if (name == "gpt2") {
            vocab_.kind = Kind::bpe;
            vocab_.bos = 11, vocab_.eos = 11;
            if (!read_pre_tokenizer()) return false;
        } else if (one_of(name, other_known_models)) {
            return fail(LoadErrorCode::unsupported_model, key_model,
                        "tokenizer model '" + vocab_.model_name + "' is valid for llama.cpp but not implemented by gguf-doctor");
        } else {
            return fail(LoadErrorCode::unknown_model, key_model,
                        "unknown tokenizer model '" + vocab_.model_name + "': llama.cpp refuses to load it too");
        }
        return read_bool("tokenizer.ggml.add_space_prefix", vocab_.add_space_prefix);
    }

    bool read_pre_tokenizer() {
        const Value* pre = model_.find(key_pre);
        if (pre && !pre->is_string()) return wrong_type(key_pre, "a string");
        vocab_.pre_name = pre ? std::string(pre->as_string()) : std::string();
        if (vocab_.pre_name.empty()) vocab_.pre_name = "default";  // llama.cpp warns: generation quality degrades
        const auto config = find_pre_tokenizer(vocab_.pre_name);
        if (!config) {
            if (is_known_pre_tokenizer(vocab_.pre_name))
                return fail(LoadErrorCode::unsupported_pre_tokenizer, key_pre,
                            "pre-tokenizer '" + vocab_.pre_name + "' is valid for llama.cpp but not implemented by gguf-doctor");
            return fail(LoadErrorCode::unknown_pre_tokenizer, key_pre,
                        "unknown pre-tokenizer '" + vocab_.pre_name + "': llama.cpp refuses to load it too");
        }
        vocab_.pre = *config;
        vocab_.ignore_merges = config->ignore_merges;
        vocab_.add_bos = config->add_bos;
        vocab_.clean_spaces = config->clean_spaces;
        if (config->no_default_bos) vocab_.bos = no_token;
        return true;
    }

    bool read_tokens() {
        const Value* tokens = model_.find(key_tokens);
        if (!tokens) return fail(LoadErrorCode::invalid_metadata, key_tokens, "the file has no tokenizer.ggml.tokens");
        if (!tokens->is_array() || tokens->element_type() != ValueType::string)
            return fail(LoadErrorCode::invalid_metadata, key_tokens, "tokenizer.ggml.tokens should be an array of strings");
        const std::uint64_t n = tokens->size();
        if (n > static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max()))
            return fail(LoadErrorCode::invalid_metadata, key_tokens, "more tokens than 32-bit ids can number");

        const Value* scores = model_.find(key_scores);
        if (scores) {
            const bool numeric = scores->is_array() && (scores->element_type() == ValueType::float32 ||
                                                        scores->element_type() == ValueType::int32);
            if (!numeric)
                return fail(LoadErrorCode::invalid_metadata, key_scores, "tokenizer.ggml.scores should be an array of float32 or int32");
            if (scores->size() < n)
                return fail(LoadErrorCode::invalid_metadata, key_scores,
                            "tokenizer.ggml.scores has " + std::to_string(scores->size()) + " entries for " + std::to_string(n) + " tokens");
        }
        const Value* types = model_.find(key_token_type);
        if (types) {
            if (!types->is_array() || types->element_type() != ValueType::int32)
                return fail(LoadErrorCode::invalid_metadata, key_token_type, "tokenizer.ggml.token_type should be an array of int32");
            if (types->size() < n)
                return fail(LoadErrorCode::invalid_metadata, key_token_type,
                            "tokenizer.ggml.token_type has " + std::to_string(types->size()) + " entries for " + std::to_string(n) + " tokens");
        }

        vocab_.token_list = *tokens;
        vocab_.texts.resize(n);
        vocab_.scores.assign(n, 0.0f);
        vocab_.attrs.assign(n, attr_normal);
        vocab_.ids.reserve(n);
        for (std::uint64_t i = 0; i < n; ++i) {
            std::string_view text = vocab_.token_list.string_at(i);
            if (text.empty()) text = vocab_.replaced_texts.emplace_back("[EMPTY_" + std::to_string(i) + "]");
            const auto id = static_cast<std::int32_t>(i);
            vocab_.texts[i] = text;
            vocab_.ids.insert_or_assign(text, id);
            if (scores) vocab_.scores[i] = static_cast<float>(scores->number_at(i));
            if (types) vocab_.attrs[i] = attr_of_type(types->integer_at(i));
        }
        return true;
    }

    // llama.h, enum llama_token_type -> llama_token_attr.
    static std::uint32_t attr_of_type(std::int64_t type) {
        switch (type) {
            case 1: return attr_normal;
            case 2: return attr_unknown;
            case 3: return attr_control;
            case 4: return attr_user_defined;
            case 5: return attr_unused;
            case 6: return attr_byte;
            default: return attr_undefined;
        }
    }

    bool read_merges() {
        const Value* merges = model_.find(key_merges);
        if (!merges) return fail(LoadErrorCode::invalid_metadata, key_merges, "a gpt2 tokenizer needs tokenizer.ggml.merges");
        if (!merges->is_array() || merges->element_type() != ValueType::string)
            return fail(LoadErrorCode::invalid_metadata, key_merges, "tokenizer.ggml.merges should be an array of strings");
        if (merges->size() > static_cast<std::uint64_t>(std::numeric_limits<int>::max()))
            return fail(LoadErrorCode::invalid_metadata, key_merges, "more merges than int ranks can number");
        vocab_.merge_list = *merges;
        vocab_.merge_ranks.reserve(merges->size());
        for (std::uint64_t i = 0; i < merges->size(); ++i)
            vocab_.merge_ranks.emplace(vocab_.merge_list.string_at(i), static_cast<int>(i));
        return true;
    }

    bool read_special_ids() {
        const std::pair<std::string_view, std::int32_t*> keys[] = {
            {"tokenizer.ggml.bos_token_id", &vocab_.bos},         {"tokenizer.ggml.eos_token_id", &vocab_.eos},
            {"tokenizer.ggml.eot_token_id", &vocab_.eot},         {"tokenizer.ggml.eom_token_id", &vocab_.eom},
            {"tokenizer.ggml.unknown_token_id", &vocab_.unk},     {"tokenizer.ggml.seperator_token_id", &vocab_.sep},
            {"tokenizer.ggml.padding_token_id", &vocab_.pad},     {"tokenizer.ggml.mask_token_id", &vocab_.mask},
            {"tokenizer.ggml.fim_pre_token_id", &vocab_.fim_pre}, {"tokenizer.ggml.fim_suf_token_id", &vocab_.fim_suf},
            {"tokenizer.ggml.fim_mid_token_id", &vocab_.fim_mid}, {"tokenizer.ggml.fim_pad_token_id", &vocab_.fim_pad},
            {"tokenizer.ggml.fim_rep_token_id", &vocab_.fim_rep}, {"tokenizer.ggml.fim_sep_token_id", &vocab_.fim_sep},
            // Older names of the first three FIM ids.
            {"tokenizer.ggml.prefix_token_id", &vocab_.fim_pre},  {"tokenizer.ggml.suffix_token_id", &vocab_.fim_suf},
            {"tokenizer.ggml.middle_token_id", &vocab_.fim_mid},
        };
        const std::int64_t n = vocab_.n_tokens();
        for (const auto& [key, id] : keys) {
            if (*id >= n) *id = no_token;  // a default the vocabulary is too small for
            std::optional<std::uint32_t> value;
            if (!read_u32(key, value)) return false;
            if (value && *value < n) *id = static_cast<std::int32_t>(*value);  // llama.cpp ignores ids out of range
        }
        return read_bool("tokenizer.ggml.add_bos_token", vocab_.add_bos) &&
               read_bool("tokenizer.ggml.add_eos_token", vocab_.add_eos);
    }

    // The id a text stands for (the last token with that text), for the texts llama.cpp looks at.
    bool is_canonical(std::int32_t id) const { return vocab_.find(vocab_.texts[id]) == id; }

    // llama.cpp finds some special tokens by their text and makes them control tokens. Where it
    // picks one of several candidates in hash-map order, this picks the lowest id. One pass over the
    // vocabulary; every name starts with '<', '[', '_' or U+2581, which rules out almost all tokens.
    void recognize_tokens_by_text() {
        auto& v = vocab_;
        struct ByName {
            std::int32_t* id;
            std::span<const std::string_view> names;
            bool detect;  // only when the file does not give the id
        };
        ByName by_name[] = {{&v.eot, eot_names, false}, {&v.eom, eom_names, false}, {&v.fim_pre, fim_pre_names, false},
                            {&v.fim_suf, fim_suf_names, false}, {&v.fim_mid, fim_mid_names, false},
                            {&v.fim_pad, fim_pad_names, false}, {&v.fim_rep, fim_rep_names, false},
                            {&v.fim_sep, fim_sep_names, false}};
        for (auto& entry : by_name) entry.detect = *entry.id == no_token;
        std::vector<std::int32_t> named_end_of_generation;
        for (std::int32_t id = 0; id < v.n_tokens(); ++id) {
            const std::string_view text = v.texts[id];
            const char first = text.front();
            if (first != '<' && first != '[' && first != '_' && first != '\xE2') continue;
            bool canonical_known = false, canonical = false;
            auto is_canonical_once = [&] {
                if (!canonical_known) canonical = this->is_canonical(id), canonical_known = true;
                return canonical;
            };
            for (auto& entry : by_name) {
                if (!entry.detect || *entry.id != no_token) continue;
                if (std::find(entry.names.begin(), entry.names.end(), text) == entry.names.end() || !is_canonical_once())
                    continue;
                *entry.id = id;
                v.attrs[id] |= attr_control;
            }
            if (one_of(text, end_of_generation_names) && is_canonical_once()) {
                named_end_of_generation.push_back(id);
                v.attrs[id] |= attr_control;
            }
            if (one_of(text, always_rendered_names) && is_canonical_once()) v.attrs[id] = attr_user_defined;
        }
        for (std::int32_t id : {v.fim_pad, v.fim_rep, v.fim_sep})
            if (id != no_token) v.end_of_generation.insert(id);
        v.end_of_generation.insert(named_end_of_generation.begin(), named_end_of_generation.end());
        for (std::int32_t id : {v.eos, v.eot, v.eom})
            if (id != no_token) v.end_of_generation.insert(id);

        // o200k_harmony and solar-open: "<|end|>" ends a message, not the generation.
        auto eog_with_text = [&](std::string_view text) -> std::int32_t {
            for (std::int32_t id : v.end_of_generation)
                if (id >= 0 && id < v.n_tokens() && v.texts[id] == text) return id;
            return no_token;
        };
        const std::int32_t end = eog_with_text("<|end|>");
        const bool has_call = eog_with_text("<|call|>") != no_token || eog_with_text("<|calls|>") != no_token;
        if (end != no_token && has_call &&
            (eog_with_text("<|return|>") != no_token || eog_with_text("<|flush|>") != no_token)) {
            v.end_of_generation.erase(end);
            v.attrs[end] = attr_user_defined;
        }
        // Gemma 4 and PaddleOCR: "</s>" is ordinary text when "<|tool_response>" ends generation.
        const std::int32_t slash_s = eog_with_text("</s>");
        if (slash_s != no_token && eog_with_text("<|tool_response>") != no_token) {
            v.end_of_generation.erase(slash_s);
            v.attrs[slash_s] = attr_normal;
        }
    }

    // The order llama.cpp searches the text for special tokens: longest text first, ties in the order
    // std::sort leaves them (the same algorithm over the same ascending ids as llama.cpp's).
    void order_special_tokens() {
        auto& v = vocab_;
        for (std::int32_t id = 0; id < v.n_tokens(); ++id)
            if (v.attrs[id] & (attr_control | attr_user_defined | attr_unknown)) v.special_tokens.push_back(id);
        std::sort(v.special_tokens.begin(), v.special_tokens.end(),
                  [&v](std::int32_t a, std::int32_t b) { return v.texts[a].size() > v.texts[b].size(); });
    }

    // Per-model spacing rules llama.cpp keys on names in the metadata.
    void apply_strip_attributes() {
        auto& v = vocab_;
        auto set = [&](std::string_view text, std::uint32_t attr, bool on) {
            const std::int32_t id = v.find(text);
            if (id == no_token) return;
            v.attrs[id] = on ? (v.attrs[id] | attr) : (v.attrs[id] & ~attr);
        };
        std::string name = optional_string("general.name");
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        const std::string pre = optional_string(key_pre);
        const std::string arch = optional_string("general.architecture");
        if (contains(pre, "jina-v2-de") || contains(pre, "jina-v2-es") || contains(pre, "jina-v2-code") ||
            contains(arch, "nomic-bert-moe") || contains(arch, "jina-bert-v3")) {
            set("<mask>", attr_lstrip, true);
        } else if (contains(name, "phi-3") || contains(name, "phi3")) {
            for (std::int32_t id : v.special_tokens) v.attrs[id] |= attr_rstrip;
            set("</s>", attr_rstrip, true);
            for (std::string_view text : {"<unk>", "<s>", "<|endoftext|>"}) set(text, attr_rstrip, false);
        } else if (contains(name, "modern-bert")) {
            set("[MASK]", attr_lstrip, true);
        }
    }

    const Container& model_;
    Vocabulary vocab_;
    LoadError error_;
};

}  // namespace

int Vocabulary::merge_rank(std::string_view left, std::string_view right, std::string& scratch) const {
    scratch.assign(left);
    scratch.push_back(' ');
    scratch.append(right);
    const auto it = merge_ranks.find(scratch);
    return it == merge_ranks.end() ? -1 : it->second;
}

std::variant<Vocabulary, LoadError> load_vocabulary(const Container& model) { return Loader(model).load(); }

}  // namespace gguf::tokenizer::detail

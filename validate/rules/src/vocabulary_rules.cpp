// The vocabulary against itself and against the embedding: token count vs rows, special token ids,
// token types, scores, BPE merges. Facts only: each rule states what llama.cpp does with the problem.
#include <cmath>
#include <xxhash.h>

#include "gguf/rules/codes.hpp"
#include "rule_context.hpp"

namespace gguf::rules {
namespace {

constexpr std::int64_t kTokenTypeControl = 3;  // llama.cpp's LLAMA_TOKEN_TYPE_CONTROL
constexpr std::int64_t kTokenTypeUnused = 5;   // LLAMA_TOKEN_TYPE_UNUSED
constexpr std::int64_t kTokenTypeMax = 6;     // LLAMA_TOKEN_TYPE_BYTE; 0 (undefined) .. 6 are defined

const Value* array_key(const Container& model, std::string_view key) {
    const Value* v = model.find(key);
    return v && v->is_array() ? v : nullptr;
}

void check_rows(RuleContext& ctx, const TensorInfo& t, std::uint64_t rows) {
    const std::uint64_t n = ctx.vocab.n_tokens;
    if (rows < n) {
        add_finding(ctx.findings, code::fewer_rows_than_tokens, t.name,
                    "the tensor has fewer vocabulary rows than the vocabulary has tokens")
            .evidence("rows", rows)
            .evidence("tokens", n)
            .evidence("missing_rows", n - rows)
            .hint("Token ids past the last row index outside the tensor: a loader either refuses the file "
                  "(llama.cpp) or reads past the tensor. The tokenizer and the weights come from different "
                  "models, or added tokens were not given embedding rows.");
    } else if (rows > n) {
        add_finding(ctx.findings, code::padded_rows, t.name,
                    "the tensor has more rows than the vocabulary has tokens: the extra rows are padding that no "
                    "token id reaches")
            .evidence("rows", rows)
            .evidence("tokens", n)
            .evidence("padding_rows", rows - n)
            .hint("Models pad their embedding to a round size (Qwen2: 151936 rows). Harmless for inference, but "
                  "llama.cpp's loader wants exactly one row per token: its converter pads the token list with "
                  "[PAD] tokens of type unused instead.");
    }
}

void check_special_ids(RuleContext& ctx) {
    struct Special {
        std::string_view name;
        bool essential;  // a wrong BOS/EOS corrupts every prompt or every generation
    };
    constexpr Special kSpecials[] = {
        {"bos", true}, {"eos", true}, {"unknown", false}, {"separator", false}, {"padding", false}, {"mask", false},
        {"eot", false}, {"eom", false}, {"fim_pre", false}, {"fim_suf", false}, {"fim_mid", false},
        {"fim_pad", false}, {"fim_rep", false}, {"fim_sep", false},
    };
    for (const auto& s : kSpecials) {
        const std::string key = "tokenizer.ggml." + std::string(s.name) + "_token_id";
        const Value* v = ctx.model.find(key);
        if (!v || !v->is_integer()) continue;
        const auto id = v->try_i64();
        // -1 is how converters write "no such token"; llama.cpp reads it as LLAMA_TOKEN_NULL.
        if (!id || *id == -1 || (*id >= 0 && static_cast<std::uint64_t>(*id) < ctx.vocab.n_tokens)) continue;
        add_finding(ctx.findings, s.essential ? code::bos_eos_out_of_range : code::special_out_of_range, key,
                    "the token id is not an index into the vocabulary")
            .evidence("id", id ? std::to_string(*id) : v->try_u64() ? std::to_string(*v->try_u64()) : "?")
            .evidence("tokens", ctx.vocab.n_tokens)
            .hint("llama.cpp ignores an out-of-range id and falls back to its default, so prompts get a different "
                  "special token than the model was trained with. Set the key from the original tokenizer config.");
    }
}

void check_token_types(RuleContext& ctx, const Value& types) {
    if (types.size() != ctx.vocab.n_tokens) {
        add_finding(ctx.findings, code::vocab_lengths_disagree, "tokenizer.ggml.token_type",
                    "the token type array and the token list have different lengths")
            .evidence("token_types", types.size())
            .evidence("tokens", ctx.vocab.n_tokens);
        return;
    }
    if (!types.size() || types.element_type() == ValueType::string || types.element_type() == ValueType::array) return;
    std::uint64_t invalid = 0;
    std::uint64_t first_invalid = 0;
    std::int64_t first_value = 0;
    for (std::uint64_t i = 0; i < types.size(); ++i) {
        const std::int64_t t = types.integer_at(i);
        if (t == kTokenTypeUnused) ++ctx.vocab.unused_tokens;
        if (t == kTokenTypeControl) ++ctx.vocab.control_tokens;
        if (t >= 0 && t <= kTokenTypeMax) continue;
        if (invalid++ == 0) {
            first_invalid = i;
            first_value = t;
        }
    }
    if (invalid)
        add_finding(ctx.findings, code::invalid_token_type, "tokenizer.ggml.token_type",
                    "token types outside the defined values 0..6")
            .evidence("invalid", invalid)
            .evidence("first_token", first_invalid)
            .evidence("first_value", std::to_string(first_value))
            .hint("llama.cpp treats them as undefined, so control and byte tokens lose their meaning.");
    std::uint64_t unused = 0;
    for (std::uint64_t i = types.size(); i-- > 0 && types.integer_at(i) == kTokenTypeUnused;) ++unused;
    ctx.vocab.trailing_unused = unused;
    if (unused)
        add_finding(ctx.findings, code::padding_tokens, "tokenizer.ggml.tokens",
                    "the vocabulary ends with tokens of type unused: padding to the embedding's row count")
            .evidence("padding_tokens", unused)
            .evidence("first_padding_id", types.size() - unused)
            .hint("Written by llama.cpp's converter when a model's embedding has more rows than its tokenizer "
                  "(Qwen2: [PAD151643]...). Their embedding rows are never trained and may be zero.");
}

void check_scores(RuleContext& ctx, const Value& scores) {
    if (scores.size() != ctx.vocab.n_tokens) {
        add_finding(ctx.findings, code::vocab_lengths_disagree, "tokenizer.ggml.scores",
                    "the score array and the token list have different lengths")
            .evidence("scores", scores.size())
            .evidence("tokens", ctx.vocab.n_tokens);
        return;
    }
    if (!scores.size() || scores.element_type() == ValueType::string || scores.element_type() == ValueType::array) return;
    std::uint64_t bad = 0;
    std::uint64_t first = 0;
    for (std::uint64_t i = 0; i < scores.size(); ++i) {
        if (std::isfinite(scores.number_at(i))) continue;
        if (bad++ == 0) first = i;
    }
    if (bad)
        add_finding(ctx.findings, code::non_finite_score, "tokenizer.ggml.scores", "token scores that are NaN or infinite")
            .evidence("non_finite", bad)
            .evidence("first_token", first)
            .hint("SentencePiece-style tokenizers pick merges by score; a NaN score makes the tokenization "
                  "depend on comparison order.");
}

// The token strings in an open-addressing table of indices (150k-token vocabularies are checked against
// 150k merges on every run: a node-based set spends most of that time missing the cache).
class TokenSet {
public:
    explicit TokenSet(const Value& tokens) : tokens_(tokens) {
        std::size_t capacity = 16;
        while (capacity < 2 * tokens.size()) capacity *= 2;
        slots_.assign(capacity, kEmpty);
        for (std::uint64_t i = 0; i < tokens.size(); ++i) {
            const std::string_view t = tokens.string_at(i);
            std::size_t slot = XXH3_64bits(t.data(), t.size()) & (capacity - 1);
            while (slots_[slot] != kEmpty) slot = (slot + 1) & (capacity - 1);
            slots_[slot] = static_cast<std::uint32_t>(i);
        }
    }

    bool contains(std::string_view text) const {
        const std::size_t mask = slots_.size() - 1;
        for (std::size_t slot = XXH3_64bits(text.data(), text.size()) & mask; slots_[slot] != kEmpty; slot = (slot + 1) & mask)
            if (tokens_.string_at(slots_[slot]) == text) return true;
        return false;
    }

private:
    static constexpr std::uint32_t kEmpty = 0xFFFFFFFFu;
    const Value& tokens_;
    std::vector<std::uint32_t> slots_;
};

void check_merges(RuleContext& ctx, const Value& tokens, const Value& merges) {
    if (merges.element_type() != ValueType::string) {
        add_finding(ctx.findings, code::malformed_merge, "tokenizer.ggml.merges", "merges are not an array of strings");
        return;
    }
    const TokenSet vocabulary(tokens);

    std::uint64_t malformed = 0, parts_missing = 0, result_missing = 0;
    std::string first_malformed, first_missing;
    std::string joined;
    for (std::uint64_t i = 0; i < merges.size(); ++i) {
        const std::string_view m = merges.string_at(i);
        // llama.cpp splits a merge at the first space after its first byte ("a b" -> "a", "b").
        const auto space = m.size() > 1 ? m.find(' ', 1) : std::string_view::npos;
        if (space == std::string_view::npos || space + 1 >= m.size()) {
            if (malformed++ == 0) first_malformed = std::to_string(i) + ": \"" + std::string(m) + "\"";
            continue;
        }
        const std::string_view left = m.substr(0, space), right = m.substr(space + 1);
        if (!vocabulary.contains(left) || !vocabulary.contains(right)) {
            if (parts_missing++ == 0 && first_missing.empty()) first_missing = std::to_string(i) + ": \"" + std::string(m) + "\"";
            continue;
        }
        joined.assign(left).append(right);
        if (!vocabulary.contains(joined)) {
            if (result_missing++ == 0 && first_missing.empty()) first_missing = std::to_string(i) + ": \"" + std::string(m) + "\"";
        }
    }
    if (malformed)
        add_finding(ctx.findings, code::malformed_merge, "tokenizer.ggml.merges", "merges that are not two parts separated by a space")
            .evidence("malformed", malformed)
            .evidence("merges", merges.size())
            .evidence("first", first_malformed)
            .hint("llama.cpp's BPE tokenizer splits each merge at its first space; a merge without one breaks "
                  "tokenization. The merges were written in another format (e.g. JSON pairs).");
    if (parts_missing || result_missing)
        add_finding(ctx.findings, code::merge_not_in_vocab, "tokenizer.ggml.merges",
                    "merges whose parts or whose result are not tokens of the vocabulary")
            .evidence("parts_not_tokens", parts_missing)
            .evidence("result_not_token", result_missing)
            .evidence("merges", merges.size())
            .evidence("first", first_missing)
            .hint("Such merges can never apply or produce a token without an id. The merges and the token list "
                  "come from different tokenizers.");
}

}  // namespace

void vocabulary_rules(RuleContext& ctx) {
    const Value* tokens = array_key(ctx.model, "tokenizer.ggml.tokens");
    if (!tokens || tokens->element_type() != ValueType::string) {
        // Architectures without a schema include token-free files (vision projectors), so only modelled
        // language models are expected to carry a vocabulary. Without a tokenizer.ggml.model key the
        // tokenizer rule reports the absence (GD-T001).
        const auto model_name = ctx.model.get_string("tokenizer.ggml.model");
        if (ctx.schema && model_name && *model_name != "none" && *model_name != "no_vocab")
            add_finding(ctx.findings, code::no_token_list, "tokenizer.ggml.tokens",
                        "the file has no token list, so its vocabulary cannot be checked")
                .hint("llama.cpp cannot tokenize text for this model; it was converted without its tokenizer.");
        return;
    }
    ctx.vocab.n_tokens = tokens->size();

    // A matrix whose row length is not n_embd has no vocabulary rows to count: the schema rule
    // reports its shape (a transposed lm_head would otherwise also "lack" rows).
    const auto rows_are_vocabulary = [&](const TensorInfo& t) { return !ctx.spec || t.ne[0] == ctx.spec->n_embd; };
    for (std::string_view name : {"token_embd.weight", "output.weight"}) {
        const TensorInfo* t = ctx.model.find_tensor(name);
        if (t && t->n_dims == 2 && rows_are_vocabulary(*t)) check_rows(ctx, *t, t->ne[1]);
    }
    if (const TensorInfo* b = ctx.model.find_tensor("output.bias"); b && b->n_dims == 1) check_rows(ctx, *b, b->ne[0]);

    check_special_ids(ctx);
    if (const Value* types = array_key(ctx.model, "tokenizer.ggml.token_type")) check_token_types(ctx, *types);
    if (const Value* scores = array_key(ctx.model, "tokenizer.ggml.scores")) check_scores(ctx, *scores);
}

void merge_rules(RuleContext& ctx) {
    const Value* tokens = array_key(ctx.model, "tokenizer.ggml.tokens");
    const Value* merges = array_key(ctx.model, "tokenizer.ggml.merges");
    if (tokens && merges && tokens->element_type() == ValueType::string) check_merges(ctx, *tokens, *merges);
}

}  // namespace gguf::rules

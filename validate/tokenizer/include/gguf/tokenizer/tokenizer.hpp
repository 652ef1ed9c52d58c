// The model's own tokenizer, built from the GGUF metadata (tokenizer.ggml.*), giving the token ids
// llama.cpp gives: SentencePiece-style "llama" vocabularies (scores, byte fallback, space prefix) and
// GPT-2 byte-level BPE "gpt2" vocabularies (merge ranks, with the pre-tokenizer named by
// tokenizer.ggml.pre). docs/tokenizer.md lists what is supported and how it was verified.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace gguf {
class Container;
}

namespace gguf::tokenizer {

// llama.cpp's LLAMA_TOKEN_NULL: "this vocabulary has no such token".
inline constexpr std::int32_t no_token = -1;

enum class Kind : std::uint8_t {
    spm,  // tokenizer.ggml.model = "llama"
    bpe,  // tokenizer.ggml.model = "gpt2"
};

// Why a tokenizer could not be built. Stable codes: `check` turns them into findings.
enum class LoadErrorCode : std::uint8_t {
    no_tokenizer = 1,            // no tokenizer.ggml.model key (or "none"/"no_vocab": a model without vocabulary)
    unknown_model,               // tokenizer.ggml.model is a name llama.cpp does not know either: it will not load
    unsupported_model,           // a model llama.cpp knows (bert, t5, rwkv...) that gguf-doctor does not implement
    unknown_pre_tokenizer,       // tokenizer.ggml.pre is a name llama.cpp does not know either: it will not load
    unsupported_pre_tokenizer,   // a pre-tokenizer llama.cpp knows that gguf-doctor does not implement
    invalid_metadata,            // a tokenizer key is missing, has the wrong type, or arrays disagree in length
};
std::string_view load_error_code_name(LoadErrorCode code);

struct LoadError {
    LoadErrorCode code{};
    std::string key;           // the metadata key at fault
    std::uint64_t offset = 0;  // where that key starts in the file (0 when the key is absent)
    std::string message;

    // "tokenizer.ggml.pre (offset 1234): unsupported_pre_tokenizer: <message>"
    std::string describe() const;
};

class Tokenizer;

// Either a tokenizer or the reason there is none.
class [[nodiscard]] LoadResult {
public:
    LoadResult(std::unique_ptr<Tokenizer> tokenizer) : state_(std::move(tokenizer)) {}
    LoadResult(LoadError error) : state_(std::move(error)) {}

    bool ok() const { return state_.index() == 0; }
    explicit operator bool() const { return ok(); }
    std::unique_ptr<Tokenizer>& value() { return std::get<0>(state_); }
    const std::unique_ptr<Tokenizer>& value() const { return std::get<0>(state_); }
    const LoadError& error() const { return std::get<1>(state_); }

private:
    std::variant<std::unique_ptr<Tokenizer>, LoadError> state_;
};

// Builds the tokenizer of a parsed model. The vocabulary and merges are read from the mapped file
// without copying their strings; the tokenizer keeps the mapping alive, so it may outlive `model`.
LoadResult load_tokenizer(const Container& model);

class Tokenizer {
public:
    ~Tokenizer();
    Tokenizer(const Tokenizer&) = delete;
    Tokenizer& operator=(const Tokenizer&) = delete;

    // llama_tokenize(text, add_special, parse_special). `add_special` adds BOS (and EOS) when the
    // vocabulary asks for them (add_bos()/add_eos()); `parse_special` turns the text of control tokens
    // such as "<|im_start|>" into those tokens (user-defined tokens are always matched). Text that is
    // not valid UTF-8 is tokenized the way llama.cpp does (invalid bytes become U+FFFD for BPE, byte
    // tokens for SPM).
    std::vector<std::int32_t> encode(std::string_view text, bool add_special, bool parse_special) const;

    // llama_token_to_piece(id, lstrip = 0, special = render_special): the bytes the token stands for
    // (may be part of a UTF-8 character). Control tokens give "" unless `render_special`.
    // Throws std::out_of_range for an id outside [0, n_tokens()).
    std::string token_piece(std::int32_t id, bool render_special = true) const;

    // llama_detokenize(ids, remove_special = false, unparse_special = render_special), including the
    // removal of the space prefix and the vocabulary's clean-up of spaces. Throws std::out_of_range
    // for an id outside [0, n_tokens()).
    std::string decode(std::span<const std::int32_t> ids, bool render_special = true) const;

    Kind kind() const;
    std::int32_t n_tokens() const;
    std::string_view model_name() const;          // tokenizer.ggml.model as in the file
    std::string_view pre_tokenizer_name() const;  // tokenizer.ggml.pre, "default" when absent; "" for SPM
    std::string_view token_text(std::int32_t id) const;  // the raw vocabulary entry

    std::int32_t bos() const;  // no_token when the vocabulary has none
    std::int32_t eos() const;
    std::int32_t eot() const;
    std::int32_t unk() const;
    std::int32_t pad() const;
    bool add_bos() const;           // encode(..., add_special = true) prepends bos()
    bool add_eos() const;           // encode(..., add_special = true) appends eos()
    bool add_space_prefix() const;  // SPM: a space is put before the text (and after special tokens)

    bool is_control(std::int32_t id) const;            // control or unknown type: no text of its own
    bool is_end_of_generation(std::int32_t id) const;  // llama_vocab_is_eog

    struct Impl;

private:
    explicit Tokenizer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
    friend LoadResult load_tokenizer(const Container& model);
};

}  // namespace gguf::tokenizer

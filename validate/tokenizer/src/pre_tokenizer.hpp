// Pre-tokenizers of byte-level BPE vocabularies: they cut the text into words before the merges run,
// each with the regular expressions of its model's tokenizer.json. llama.cpp applies the expressions
// of one pre-tokenizer one after another, each splitting every piece the previous one produced; the
// common ones it runs through hand-written scanners whose behaviour (not the regex's) is the reference.
// These are written from those behaviours, one function per expression.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gguf::tokenizer::detail {

enum class Splitter : std::uint8_t {
    gpt2,           // 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)
    llama3,         // (?i:'s|...)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
    qwen2,          // as llama3 with \p{N} one digit at a time
    qwen35,         // as qwen2 with combining marks (\p{M}) inside letter runs
    default_bpe,    // [\p{P}\$\+<=>\^~\|]+, then gpt2, then \p{N}+, then [0-9][0-9][0-9]
    falcon,         // [\p{P}\$\+<=>\^~\|`]+, then gpt2, then [0-9][0-9][0-9]
    starcoder,      // \p{N}, then gpt2
    deepseek_llm,   // [\r\n], \s?[cased letters]+, \s?[ASCII and CJK punctuation]+, \s+$, [CJK]+, \p{N}+
    deepseek_coder, // [\r\n], \s?\p{L}+, \s?\p{P}+, [CJK]+, \p{N}
    bloom,          //  ?[^(\s|.,!?…。，、।۔،)]+
    viking,         // bloom's, then \p{N}
};

// One pre-tokenizer name of tokenizer.ggml.pre, with the vocabulary flags llama.cpp ties to it.
struct PreTokenizerConfig {
    Splitter splitter{};
    bool ignore_merges = false;    // a word that is a token as a whole is taken without merging
    bool add_bos = false;          // the default of add_bos_token for this pre-tokenizer
    bool clean_spaces = true;      // decode removes the space before ?!., and some contractions
    bool no_default_bos = false;   // the vocabulary has no BOS unless the file names one
};

// nullopt: a name this library does not implement (see is_known_pre_tokenizer).
std::optional<PreTokenizerConfig> find_pre_tokenizer(std::string_view name);
// Whether llama.cpp accepts this tokenizer.ggml.pre value at all.
bool is_known_pre_tokenizer(std::string_view name);

// Cuts `text` into words, re-encoded as UTF-8 the way llama.cpp re-encodes them (invalid input bytes
// became U+FFFD while decoding).
std::vector<std::string> split_words(Splitter splitter, std::string_view text);

}  // namespace gguf::tokenizer::detail

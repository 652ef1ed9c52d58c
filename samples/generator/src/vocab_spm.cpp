// A SentencePiece vocabulary laid out like Llama's: <unk>, <s>, </s>, the 256 byte tokens, word pieces
// in merge order (score = minus their rank), the single characters last, then padding entries.
#include "vocab.hpp"

#include <cstdio>

namespace gguf::samples::detail {
namespace {

constexpr std::string_view kSpace = "\xe2\x96\x81";  // U+2581, SentencePiece's visible space

std::vector<std::vector<std::string>> spm_words() {
    std::vector<std::vector<std::string>> words;
    const auto text = sample_text();
    std::size_t at = 0;
    while (at < text.size()) {
        std::size_t end = text.find(' ', at);
        if (end == std::string_view::npos) end = text.size();
        std::vector<std::string> w{std::string(kSpace)};
        for (std::size_t i = at; i < end; ++i) w.emplace_back(1, text[i]);
        words.push_back(std::move(w));
        at = end + 1;
    }
    return words;
}

std::vector<std::string> spm_single_pieces() {
    std::vector<std::string> base{std::string(kSpace)};
    for (char ch = '!'; ch <= '~'; ++ch) base.emplace_back(1, ch);
    return base;
}

}  // namespace

Metadata spm_vocabulary(const ModelConfig& c) {
    const std::vector<std::string> base = spm_single_pieces();
    const std::uint32_t n_real = c.n_vocab - c.n_vocab_padding;
    const std::size_t n_merges = n_real - 3 - 256 - base.size();  // validate() guarantees n_real is large enough

    std::vector<std::string> tokens{"<unk>", "<s>", "</s>"};
    std::vector<float> scores{0.0f, 0.0f, 0.0f};
    std::vector<std::int32_t> types{unknown, control, control};
    for (int b = 0; b < 256; ++b) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", b);
        tokens.emplace_back(name);
        scores.push_back(0.0f);
        types.push_back(byte);
    }
    float score = 0.0f;
    for (const auto& [a, b] : grow_merges(spm_words(), base, n_merges)) {
        tokens.push_back(a + b);
        scores.push_back(score);
        types.push_back(normal);
        score -= 1.0f;
    }
    for (const auto& piece : base) {
        tokens.push_back(piece);
        scores.push_back(score);
        types.push_back(normal);
        score -= 1.0f;
    }
    for (std::uint32_t id = n_real; id < c.n_vocab; ++id) {
        tokens.push_back("[PAD" + std::to_string(id) + "]");
        scores.push_back(-10000.0f);
        types.push_back(unused);
    }

    Metadata m;
    m.emplace_back("tokenizer.ggml.model", Value::string("llama"));
    m.emplace_back("tokenizer.ggml.pre", Value::string("default"));
    m.emplace_back("tokenizer.ggml.tokens", Value::string_array(tokens));
    m.emplace_back("tokenizer.ggml.scores", Value::array<float>(ValueType::float32, scores));
    m.emplace_back("tokenizer.ggml.token_type", Value::array<std::int32_t>(ValueType::int32, types));
    m.emplace_back("tokenizer.ggml.bos_token_id", Value::u32(1));
    m.emplace_back("tokenizer.ggml.eos_token_id", Value::u32(2));
    m.emplace_back("tokenizer.ggml.unknown_token_id", Value::u32(0));
    m.emplace_back("tokenizer.ggml.add_bos_token", Value::boolean(true));
    m.emplace_back("tokenizer.ggml.add_eos_token", Value::boolean(false));
    return m;
}

}  // namespace gguf::samples::detail

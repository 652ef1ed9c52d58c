// A GPT-2 byte-level BPE vocabulary laid out like Qwen2's: the 256 byte symbols, one token per merge in
// merge order, the control tokens, then "[PAD<id>]" entries for the embedding rows no token uses.
#include "vocab.hpp"

namespace gguf::samples::detail {
namespace {

std::string utf8(std::uint32_t cp) {
    std::string s;
    if (cp < 0x80) {
        s += static_cast<char>(cp);
    } else if (cp < 0x800) {
        s += static_cast<char>(0xc0 | (cp >> 6));
        s += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
        s += static_cast<char>(0xe0 | (cp >> 12));
        s += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        s += static_cast<char>(0x80 | (cp & 0x3f));
    }
    return s;
}

bool printable_as_is(int b) { return (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255); }

// GPT-2's bytes_to_unicode: printable bytes stand for themselves, the other 68 map to U+0100.. in byte
// order. The vocabulary lists them in that order: the printable ones first.
std::vector<int> byte_order_in_vocab() {
    std::vector<int> order;
    for (int b = 0; b < 256; ++b)
        if (printable_as_is(b)) order.push_back(b);
    for (int b = 0; b < 256; ++b)
        if (!printable_as_is(b)) order.push_back(b);
    return order;
}

std::string byte_symbol(int b) {
    if (printable_as_is(b)) return utf8(static_cast<std::uint32_t>(b));
    std::uint32_t n = 0;
    for (int k = 0; k < b; ++k)
        if (!printable_as_is(k)) ++n;
    return utf8(256 + n);
}

// Words as GPT-2's pre-tokenizer cuts plain English: a leading space belongs to the word after it.
std::vector<std::vector<std::string>> bpe_words() {
    std::vector<std::vector<std::string>> words;
    std::vector<std::string> current;
    auto flush = [&] {
        if (!current.empty()) words.push_back(std::move(current));
        current.clear();
    };
    for (char ch : sample_text()) {
        const bool letter = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
        if (letter) {
            current.push_back(byte_symbol(static_cast<unsigned char>(ch)));
        } else if (ch == ' ') {
            flush();
            current.push_back(byte_symbol(' '));
        } else {
            flush();
            words.push_back({byte_symbol(static_cast<unsigned char>(ch))});
        }
    }
    flush();
    return words;
}

}  // namespace

Metadata bpe_vocabulary(const ModelConfig& c) {
    std::vector<std::string> base;
    for (int b : byte_order_in_vocab()) base.push_back(byte_symbol(b));
    const std::vector<std::string> control_tokens{"<|endoftext|>", "<|im_start|>", "<|im_end|>"};
    const std::uint32_t n_real = c.n_vocab - c.n_vocab_padding;
    const std::size_t n_merges = n_real - base.size() - control_tokens.size();

    std::vector<std::string> tokens = base;
    std::vector<std::int32_t> types(base.size(), normal);
    std::vector<std::string> merges;
    for (const auto& [a, b] : grow_merges(bpe_words(), base, n_merges)) {
        tokens.push_back(a + b);
        types.push_back(normal);
        merges.push_back(a + " " + b);
    }
    const auto end_of_text = static_cast<std::uint32_t>(tokens.size());
    for (const auto& t : control_tokens) {
        tokens.push_back(t);
        types.push_back(control);
    }
    for (std::uint32_t id = n_real; id < c.n_vocab; ++id) {
        tokens.push_back("[PAD" + std::to_string(id) + "]");
        types.push_back(unused);
    }

    Metadata m;
    m.emplace_back("tokenizer.ggml.model", Value::string("gpt2"));
    m.emplace_back("tokenizer.ggml.pre", Value::string(c.bpe_pre));
    m.emplace_back("tokenizer.ggml.tokens", Value::string_array(tokens));
    m.emplace_back("tokenizer.ggml.token_type", Value::array<std::int32_t>(ValueType::int32, types));
    m.emplace_back("tokenizer.ggml.merges", Value::string_array(merges));
    m.emplace_back("tokenizer.ggml.eos_token_id", Value::u32(end_of_text));
    m.emplace_back("tokenizer.ggml.padding_token_id", Value::u32(end_of_text));
    m.emplace_back("tokenizer.ggml.bos_token_id", Value::u32(end_of_text));
    m.emplace_back("tokenizer.ggml.add_bos_token", Value::boolean(false));
    return m;
}

}  // namespace gguf::samples::detail

// The tokenizer on arbitrary bytes. Input: a 2-byte little-endian length L, L bytes of text (fewer when
// the input is shorter), then a GGUF file whose tokenizer.ggml.* keys build the tokenizer. The text is
// encoded with and without special tokens, decoded back, and every produced id rendered.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "gguf/container.hpp"
#include "gguf/tokenizer/tokenizer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const std::size_t text_length = std::min<std::size_t>(data[0] | (std::size_t{data[1]} << 8), size - 2);
    const std::string_view text(reinterpret_cast<const char*>(data + 2), text_length);
    const std::size_t gguf_at = 2 + text_length;
    auto model = gguf::open_memory({reinterpret_cast<const std::byte*>(data + gguf_at), size - gguf_at}, "fuzz.gguf");
    if (!model) return 0;
    auto loaded = gguf::tokenizer::load_tokenizer(*model);
    if (!loaded) {
        (void)loaded.error().describe();
        return 0;
    }
    const gguf::tokenizer::Tokenizer& tok = *loaded.value();
    volatile std::size_t sink = 0;
    for (const bool special : {false, true}) {
        const auto ids = tok.encode(text, special, special);
        for (const std::int32_t id : ids) {
            if (id < 0 || id >= tok.n_tokens()) __builtin_trap();  // encode gives only real ids
            sink = sink + tok.token_piece(id, special).size() + tok.is_control(id) + tok.is_end_of_generation(id);
        }
        sink = sink + tok.decode(ids, special).size();
    }
    // Ids the caller may pass that are not in the vocabulary are a documented std::out_of_range.
    try {
        (void)tok.token_piece(tok.n_tokens());
        __builtin_trap();
    } catch (const std::out_of_range&) {
    }
    return 0;
}

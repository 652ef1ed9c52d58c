// The pre-tokenizers' word splits, worked out by hand from each expression (and llama.cpp's scanners
// where they differ from a regex engine), and the Unicode facts they rest on.
#include <doctest/doctest.h>

#include "pre_tokenizer.hpp"
#include "unicode.hpp"

using gguf::tokenizer::detail::Splitter;
using gguf::tokenizer::detail::split_words;
using Words = std::vector<std::string>;

TEST_CASE("GPT-2 words: contractions are case-sensitive, a space joins the next word, space runs keep their last space") {
    CHECK(split_words(Splitter::gpt2, "Hello world") == Words{"Hello", " world"});
    CHECK(split_words(Splitter::gpt2, "don't DON'T") == Words{"don", "'t", " DON", "'", "T"});
    CHECK(split_words(Splitter::gpt2, "a   b") == Words{"a", "  ", " b"});
    CHECK(split_words(Splitter::gpt2, "x   ") == Words{"x", "   "});
    CHECK(split_words(Splitter::gpt2, "123abc !!?") == Words{"123", "abc", " !!?"});
}

TEST_CASE("Llama 3 words: case-insensitive contractions, digits in threes, newline runs, a leading symbol joins a word") {
    CHECK(split_words(Splitter::llama3, "DON'T") == Words{"DON", "'T"});
    CHECK(split_words(Splitter::llama3, "1234567") == Words{"123", "456", "7"});
    CHECK(split_words(Splitter::llama3, "Hello\n\n\nworld") == Words{"Hello", "\n\n\n", "world"});
    CHECK(split_words(Splitter::llama3, "  hi") == Words{" ", " hi"});
    CHECK(split_words(Splitter::llama3, "¿Qué") == Words{"¿Qué"});
    CHECK(split_words(Splitter::llama3, "a \r\n\r\n b") == Words{"a", " \r\n\r\n", " b"});
    CHECK(split_words(Splitter::llama3, "hi!\n\nx") == Words{"hi", "!\n\n", "x"});
}

TEST_CASE("Qwen2 words take one digit at a time; Qwen3.5 keeps combining marks inside words") {
    CHECK(split_words(Splitter::qwen2, "x1234") == Words{"x", "1", "2", "3", "4"});
    CHECK(split_words(Splitter::qwen2, "cafe\xCC\x81!") == Words{"cafe", "\xCC\x81!"});
    CHECK(split_words(Splitter::qwen35, "cafe\xCC\x81!") == Words{"cafe\xCC\x81", "!"});
}

TEST_CASE("the default BPE pre-tokenizer isolates punctuation and cuts digit runs into threes") {
    CHECK(split_words(Splitter::default_bpe, "a+b=c") == Words{"a", "+", "b", "=", "c"});
    CHECK(split_words(Splitter::default_bpe, "12345") == Words{"123", "45"});
}

TEST_CASE("DeepSeek LLM words: letters, CJK runs and numbers are separate words") {
    CHECK(split_words(Splitter::deepseek_llm, "Hello世界123") == Words{"Hello", "世界", "123"});
    CHECK(split_words(Splitter::deepseek_llm, "a\nb  ") == Words{"a", "\n", "b", "  "});
}

TEST_CASE("invalid UTF-8 becomes U+FFFD before splitting, as in llama.cpp") {
    CHECK(split_words(Splitter::gpt2, "a\xFF" "b") == Words{"a", "\xEF\xBF\xBD", "b"});
    CHECK(split_words(Splitter::gpt2, "\xE2\x82") == Words{"\xEF\xBF\xBD\xEF\xBF\xBD"});
}

TEST_CASE("Unicode classes come from Unicode 15.1, as llama.cpp's") {
    using gguf::tokenizer::detail::char_info;
    CHECK(char_info('A').letter());
    CHECK(char_info(0x0661).number());       // ARABIC-INDIC DIGIT ONE
    CHECK(char_info(0x0301).mark());         // COMBINING ACUTE ACCENT
    CHECK(char_info(0x00BF).punctuation());  // ¿
    CHECK(char_info(0x3000).whitespace);     // IDEOGRAPHIC SPACE
    CHECK(char_info(0x0085).whitespace);     // NEXT LINE
    CHECK_FALSE(char_info(0x200B).whitespace);  // ZERO WIDTH SPACE is not White_Space
    CHECK(char_info(0x1E030).letter());      // new in Unicode 15.0
    CHECK(char_info(0x2EBF0).letter());      // CJK Extension I, new in 15.1
    CHECK(char_info(0x31350).letter());      // CJK Extension H, new in 15.0
    CHECK_FALSE(char_info(0x10D40).letter());  // Garay, new in 16.0: unassigned here and in llama.cpp
    CHECK_FALSE(char_info(0x110000).letter());
}

TEST_CASE("the lenient UTF-8 decoder matches llama.cpp's") {
    using gguf::tokenizer::detail::decode_utf8;
    using Cps = std::vector<std::uint32_t>;
    CHECK(decode_utf8("a\xC3\xA9") == Cps{'a', 0xE9});
    CHECK(decode_utf8("\x80") == Cps{0xFFFD});
    CHECK(decode_utf8("\xC3(") == Cps{0xFFFD, '('});
    CHECK(decode_utf8("\xC0\x80") == Cps{0});          // overlong forms are decoded, not refused
    CHECK(decode_utf8("\xED\xA0\x80") == Cps{0xD800});  // so are surrogates
    CHECK(decode_utf8("\xF0\x9F\x98") == Cps{0xFFFD, 0xFFFD, 0xFFFD});
}

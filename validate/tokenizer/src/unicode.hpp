// The Unicode facts the tokenizers need, with llama.cpp's conventions: its lenient UTF-8 decoder, the
// general category classes behind \p{L}, \p{N}..., the White_Space set behind \s, and GPT-2's
// byte <-> printable character mapping.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gguf::tokenizer::detail {

enum class UnicodeClass : std::uint8_t { unassigned, letter, number, mark, punctuation, symbol, separator, control };

struct CategoryRange {
    std::uint32_t start;
    UnicodeClass cls;
};

// What a pre-tokenizer knows about one position of the text. Positions outside the piece being split
// have `present` false and belong to no class (llama.cpp's empty flags).
struct CharInfo {
    bool present = false;
    UnicodeClass cls = UnicodeClass::unassigned;
    bool whitespace = false;

    bool letter() const { return cls == UnicodeClass::letter && present; }
    bool number() const { return cls == UnicodeClass::number && present; }
    bool mark() const { return cls == UnicodeClass::mark && present; }
    bool punctuation() const { return cls == UnicodeClass::punctuation && present; }
};

// Code points past U+10FFFF (reachable through lead bytes F4..F7) are unassigned.
CharInfo char_info(std::uint32_t cp);

// Byte length of the UTF-8 sequence a lead byte announces, as llama.cpp counts it: continuation and
// invalid bytes count 1, 0xF8..0xFF count 4.
std::size_t utf8_sequence_length(unsigned char lead);

// Decodes like llama.cpp's unicode_cpts_from_utf8: a sequence with a bad or missing continuation byte,
// a stray continuation byte, or a byte 0xF8..0xFF becomes U+FFFD and decoding resumes at the next byte.
// Overlong forms and surrogates are decoded, not rejected (llama.cpp does the same).
std::vector<std::uint32_t> decode_utf8(std::string_view text);

// Appends the UTF-8 encoding of `cp`. Code points past U+10FFFF, which llama.cpp refuses to encode,
// are written as U+FFFD.
void append_utf8(std::string& out, std::uint32_t cp);

// GPT-2's byte-level alphabet: every byte maps to a printable code point (printable Latin-1 bytes to
// themselves, the others to U+0100 onwards in byte order).
const std::array<std::uint32_t, 256>& byte_to_code_point();
// The byte a code point of that alphabet stands for, or -1.
int code_point_to_byte(std::uint32_t cp);

}  // namespace gguf::tokenizer::detail

#include "unicode.hpp"

#include <algorithm>
#include <iterator>

namespace gguf::tokenizer::detail {
namespace {

#include "unicode_categories.inc"

constexpr std::uint32_t max_code_point = 0x10FFFF;
constexpr std::uint32_t replacement_character = 0xFFFD;

UnicodeClass lookup_class(std::uint32_t cp) {
    if (cp > max_code_point) return UnicodeClass::unassigned;
    const auto* it = std::upper_bound(std::begin(category_ranges), std::end(category_ranges), cp,
                                      [](std::uint32_t c, const CategoryRange& r) { return c < r.start; });
    return std::prev(it)->cls;
}

bool lookup_whitespace(std::uint32_t cp) {
    return std::binary_search(std::begin(white_space_code_points), std::end(white_space_code_points), cp);
}

// The Basic Multilingual Plane in a flat table (class in the low bits, White_Space in the top bit):
// almost all text stays inside it, and a table lookup beats a binary search per character.
struct BmpTable {
    std::array<std::uint8_t, 0x10000> entries{};
    BmpTable() {
        for (std::uint32_t cp = 0; cp < entries.size(); ++cp)
            entries[cp] = static_cast<std::uint8_t>(static_cast<std::uint8_t>(lookup_class(cp)) |
                                                    (lookup_whitespace(cp) ? 0x80 : 0));
    }
};

const BmpTable& bmp_table() {
    static const BmpTable table;
    return table;
}

}  // namespace

CharInfo char_info(std::uint32_t cp) {
    if (cp < 0x10000) {
        const std::uint8_t e = bmp_table().entries[cp];
        return CharInfo{true, static_cast<UnicodeClass>(e & 0x7F), (e & 0x80) != 0};
    }
    return CharInfo{true, lookup_class(cp), false};  // no White_Space code point lies above the BMP
}

std::size_t utf8_sequence_length(unsigned char lead) {
    if (lead < 0xC0) return 1;
    if (lead < 0xE0) return 2;
    if (lead < 0xF0) return 3;
    return 4;
}

std::vector<std::uint32_t> decode_utf8(std::string_view text) {
    std::vector<std::uint32_t> out;
    out.reserve(text.size());
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    auto continuation = [&](std::size_t i) { return i < n && (p[i] & 0xC0) == 0x80; };
    std::size_t i = 0;
    while (i < n) {
        const unsigned char c = p[i];
        std::size_t len = 0;
        std::uint32_t cp = 0;
        if (c < 0x80) {
            len = 1, cp = c;
        } else if ((c & 0xE0) == 0xC0 && continuation(i + 1)) {
            len = 2, cp = (c & 0x1Fu) << 6 | (p[i + 1] & 0x3Fu);
        } else if ((c & 0xF0) == 0xE0 && continuation(i + 1) && continuation(i + 2)) {
            len = 3, cp = (c & 0x0Fu) << 12 | (p[i + 1] & 0x3Fu) << 6 | (p[i + 2] & 0x3Fu);
        } else if ((c & 0xF8) == 0xF0 && continuation(i + 1) && continuation(i + 2) && continuation(i + 3)) {
            len = 4, cp = (c & 0x07u) << 18 | (p[i + 1] & 0x3Fu) << 12 | (p[i + 2] & 0x3Fu) << 6 | (p[i + 3] & 0x3Fu);
        }
        if (len == 0) {
            out.push_back(replacement_character);
            ++i;
        } else {
            out.push_back(cp);
            i += len;
        }
    }
    return out;
}

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp > max_code_point) cp = replacement_character;
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

const std::array<std::uint32_t, 256>& byte_to_code_point() {
    static const std::array<std::uint32_t, 256> table = [] {
        std::array<std::uint32_t, 256> t{};
        auto printable = [](unsigned b) { return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE; };
        std::uint32_t next = 0x100;
        for (unsigned b = 0; b < 256; ++b) t[b] = printable(b) ? b : next++;
        return t;
    }();
    return table;
}

int code_point_to_byte(std::uint32_t cp) {
    const auto& table = byte_to_code_point();
    if (cp < 0x100) return table[cp] == cp ? static_cast<int>(cp) : -1;
    for (unsigned b = 0; b < 256; ++b)
        if (table[b] == cp) return static_cast<int>(b);
    return -1;
}

}  // namespace gguf::tokenizer::detail

#include "pre_tokenizer.hpp"

#include <algorithm>
#include <array>
#include <functional>
#include <span>
#include <utility>

#include "unicode.hpp"

namespace gguf::tokenizer::detail {
namespace {

struct CodeRange {
    std::uint32_t first, last;
};

bool in_ranges(std::span<const CodeRange> ranges, std::uint32_t cp) {
    return std::any_of(ranges.begin(), ranges.end(), [cp](const CodeRange& r) { return cp >= r.first && cp <= r.last; });
}

// DeepSeek LLM's letter class (its tokenizer.json): the cased letters of many scripts.
constexpr CodeRange deepseek_letters[] = {
    {0x41, 0x5A}, {0x61, 0x7A}, {0xB5, 0xB5}, {0xC0, 0xD6}, {0xD8, 0xF6}, {0xF8, 0x1BA}, {0x1BC, 0x1BF},
    {0x1C4, 0x293}, {0x295, 0x2AF}, {0x370, 0x373}, {0x376, 0x377}, {0x37B, 0x37D}, {0x37F, 0x37F},
    {0x386, 0x386}, {0x388, 0x38A}, {0x38C, 0x38C}, {0x38E, 0x3A1}, {0x3A3, 0x3F5}, {0x3F7, 0x481},
    {0x48A, 0x52F}, {0x531, 0x556}, {0x10A0, 0x10C5}, {0x13A0, 0x13F5}, {0x13F8, 0x13FD}, {0x1C90, 0x1CBA},
    {0x1CBD, 0x1CBF}, {0x1D00, 0x1D2B}, {0x1D6B, 0x1D77}, {0x1D79, 0x1D9A}, {0x1E00, 0x1F15}, {0x1F18, 0x1F1D},
    {0x1F20, 0x1F45}, {0x1F48, 0x1F4D}, {0x1F50, 0x1F57}, {0x1F59, 0x1F59}, {0x1F5B, 0x1F5B}, {0x1F5D, 0x1F5D},
    {0x1F5F, 0x1F7D}, {0x1F80, 0x1FB4}, {0x1FB6, 0x1FBC}, {0x1FBE, 0x1FBE}, {0x1FC2, 0x1FC4}, {0x1FC6, 0x1FCC},
    {0x1FD0, 0x1FD3}, {0x1FD6, 0x1FDB}, {0x1FE0, 0x1FEC}, {0x1FF2, 0x1FF4}, {0x1FF6, 0x1FFC}, {0x2102, 0x2102},
    {0x2107, 0x2107}, {0x210A, 0x2113}, {0x2115, 0x2115}, {0x2119, 0x211D}, {0x2124, 0x2124}, {0x2126, 0x2126},
    {0x2128, 0x2128}, {0x212A, 0x212D}, {0x212F, 0x2134}, {0x2139, 0x2139}, {0x213C, 0x213F}, {0x2145, 0x2149},
    {0x214E, 0x214E}, {0x2183, 0x2184}, {0x2C00, 0x2C7B}, {0x2C7E, 0x2CE4}, {0x2CEB, 0x2CEE}, {0x2CF2, 0x2CF3},
    {0xA640, 0xA66D}, {0xA680, 0xA69B}, {0xA722, 0xA76F}, {0xA771, 0xA787}, {0xA78B, 0xA78E}, {0xAB70, 0xABBF},
    {0xFB00, 0xFB06}, {0xFB13, 0xFB17}, {0xFF21, 0xFF3A}, {0xFF41, 0xFF5A}, {0x10400, 0x1044F},
    {0x104B0, 0x104D3}, {0x104D8, 0x104FB}, {0x10C80, 0x10CB2}, {0x10CC0, 0x10CF2}, {0x118A0, 0x118DF},
    {0x1E900, 0x1E943},
};
// DeepSeek LLM's punctuation class: printable ASCII but digits and space, fullwidth forms, curly
// quotes, and U+3000..U+3002 (of which U+3000 never matches: see wide_char()).
constexpr CodeRange deepseek_punctuation[] = {
    {0x21, 0x2F}, {0x3A, 0x7E}, {0xFF01, 0xFF0F}, {0xFF1A, 0xFF5E}, {0x2018, 0x201F}, {0x3000, 0x3002},
};
// The CJK class of both DeepSeek pre-tokenizers: U+0800..U+9FA5 and the Hangul syllables block.
constexpr CodeRange deepseek_cjk[] = {{0x0800, 0x9FA5}, {0xAC00, 0xD7FF}};
// What BLOOM-style words stop at, besides \s: ( | ) . , ! ? … 。 ， 、 । ۔ ،
constexpr CodeRange bloom_stops[] = {
    {'(', ')'}, {'|', '|'}, {'.', '.'}, {',', ','}, {'!', '!'}, {'?', '?'}, {0x2026, 0x2026}, {0x3002, 0x3002},
    {0xFF0C, 0xFF0C}, {0x3001, 0x3001}, {0x0964, 0x0964}, {0x06D4, 0x06D4}, {0x060C, 0x060C},
};

// The text of one call: code points and what the pre-tokenizers know about each.
struct Text {
    std::vector<std::uint32_t> cps;
    std::vector<CharInfo> info;
};

// One piece being split. Positions outside it read as "no character", as in llama.cpp's scanners,
// so that look-ahead never crosses into the neighbouring piece.
struct Piece {
    static constexpr std::uint32_t none = 0xFFFFFFFF;
    const Text& text;
    std::size_t begin, end;

    bool inside(std::size_t pos) const { return pos >= begin && pos < end; }
    std::uint32_t cp(std::size_t pos) const { return inside(pos) ? text.cps[pos] : none; }
    CharInfo at(std::size_t pos) const { return inside(pos) ? text.info[pos] : CharInfo{}; }
    // The character as the std::wregex-based expressions see it: non-ASCII White_Space becomes
    // U+000B, so literal classes never match it (llama.cpp's way to make \s see it).
    std::uint32_t wide_char(std::size_t pos) const {
        const std::uint32_t c = cp(pos);
        return c >= 0x80 && at(pos).whitespace ? 0x0B : c;
    }
};

using Lengths = std::vector<std::size_t>;  // consecutive piece lengths, in code points

// Appends the piece ending at `end` (if not empty) and starts the next one there.
class Cutter {
public:
    Cutter(Lengths& out, std::size_t begin) : out_(out), start_(begin) {}
    void cut(std::size_t end) {
        if (end > start_) out_.push_back(end - start_);
        start_ = end;
    }

private:
    Lengths& out_;
    std::size_t start_;
};

bool is_cr_or_lf(std::uint32_t c) { return c == '\r' || c == '\n'; }

// 's|'t|'re|'ve|'m|'ll|'d (case-sensitive, or ASCII case-insensitive: no other code point lowercases
// to one of these letters). Returns the contraction's length, 0 if none starts at `pos`.
std::size_t contraction_at(const Piece& p, std::size_t pos, bool ignore_case) {
    if (p.cp(pos) != '\'' || pos + 1 >= p.end) return 0;
    auto lower = [&](std::uint32_t c) { return ignore_case && c >= 'A' && c <= 'Z' ? c + 32 : c; };
    const std::uint32_t a = lower(p.cp(pos + 1));
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    if (pos + 2 >= p.end) return 0;
    const std::uint32_t b = lower(p.cp(pos + 2));
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    return 0;
}

// GPT-2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S), with a final \s+
// for whitespace at the end of the piece.
void split_gpt2(const Piece& p, Lengths& out) {
    Cutter cutter(out, p.begin);
    std::size_t pos = p.begin;
    while (pos < p.end) {
        if (const std::size_t n = contraction_at(p, pos, false)) {
            cutter.cut(pos += n);
            continue;
        }
        const bool space = p.cp(pos) == ' ';
        const CharInfo next = space ? p.at(pos + 1) : p.at(pos);  // the class after an optional space
        auto run = [&](auto&& member) {
            pos += space;
            while (member(p.at(pos))) ++pos;
            cutter.cut(pos);
        };
        if (next.letter()) {
            run([](CharInfo c) { return c.letter(); });
            continue;
        }
        if (next.number()) {
            run([](CharInfo c) { return c.number(); });
            continue;
        }
        auto other = [](CharInfo c) { return c.present && !c.whitespace && !c.letter() && !c.number(); };
        if (other(next)) {
            run(other);
            continue;
        }
        std::size_t n_space = 0;
        while (p.at(pos + n_space).whitespace) ++n_space;
        if (n_space > 1 && p.inside(pos + n_space)) {
            pos += n_space - 1;  // \s+(?!\S): leave the last space to the word after it
        } else if (n_space > 0) {
            pos += n_space;
        } else {
            ++pos;
        }
        cutter.cut(pos);
    }
}

// Llama 3 / Qwen2 / Qwen3.5:
// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,k}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
// `digits` is k; `with_marks` makes \p{M} count as part of words (Qwen3.5's [\p{L}\p{M}]+).
void split_llama3_style(const Piece& p, Lengths& out, std::size_t digits, bool with_marks) {
    auto word = [with_marks](CharInfo c) { return c.letter() || (with_marks && c.mark()); };
    Cutter cutter(out, p.begin);
    std::size_t pos = p.begin;
    while (pos < p.end) {
        if (const std::size_t n = contraction_at(p, pos, true)) {
            cutter.cut(pos += n);
            continue;
        }
        const std::uint32_t c = p.cp(pos);
        const CharInfo here = p.at(pos);
        // One character that is not a newline or digit may lead a word (" hello", "¿Qué").
        if (!is_cr_or_lf(c) && !here.number() && (word(here) || word(p.at(pos + 1)))) {
            ++pos;
            while (word(p.at(pos))) ++pos;
            cutter.cut(pos);
            continue;
        }
        if (here.number()) {
            std::size_t group_start = pos;
            while (p.at(pos).number()) {
                if (++pos - group_start >= digits) {
                    cutter.cut(pos);
                    group_start = pos;
                }
            }
            cutter.cut(pos);
            continue;
        }
        const bool space = c == ' ';
        auto other = [&](CharInfo x) { return x.present && !x.whitespace && !word(x) && !x.number(); };
        const CharInfo next = space ? p.at(pos + 1) : here;
        // As llama.cpp's scanner: a space at the very end of the piece is taken here, alone.
        if (!next.whitespace && !word(next) && !next.number()) {
            pos += space;
            while (other(p.at(pos))) ++pos;
            while (is_cr_or_lf(p.cp(pos))) ++pos;
            cutter.cut(pos);
            continue;
        }
        std::size_t n_space = 0;
        std::size_t after_last_newline = 0;
        while (p.at(pos + n_space).whitespace) {
            if (is_cr_or_lf(p.cp(pos + n_space))) after_last_newline = pos + n_space + 1;
            ++n_space;
        }
        if (after_last_newline > 0) {
            pos = after_last_newline;  // \s*[\r\n]+
        } else if (n_space > 1 && p.inside(pos + n_space)) {
            pos += n_space - 1;  // \s+(?!\S)
        } else if (n_space > 0) {
            pos += n_space;  // \s+
        } else {
            ++pos;
        }
        cutter.cut(pos);
    }
}

// [class]+ : runs of members become pieces, and so does the text between them.
template <class Member>
void isolate_runs(const Piece& p, Lengths& out, Member member) {
    Cutter cutter(out, p.begin);
    std::size_t pos = p.begin;
    while (pos < p.end) {
        if (!member(pos)) {
            ++pos;
            continue;
        }
        cutter.cut(pos);
        while (pos < p.end && member(pos)) ++pos;
        cutter.cut(pos);
    }
    cutter.cut(p.end);
}

// [class] : every member is a piece of its own.
template <class Member>
void isolate_each(const Piece& p, Lengths& out, Member member) {
    Cutter cutter(out, p.begin);
    for (std::size_t pos = p.begin; pos < p.end; ++pos) {
        if (!member(pos)) continue;
        cutter.cut(pos);
        cutter.cut(pos + 1);
    }
    cutter.cut(p.end);
}

// \s?[class]+ (or " ?[class]+"): like isolate_runs, with one leading space joining the run.
template <class Space, class Member>
void isolate_runs_after_space(const Piece& p, Lengths& out, Space space, Member member) {
    Cutter cutter(out, p.begin);
    std::size_t pos = p.begin;
    while (pos < p.end) {
        std::size_t run = pos;
        if (space(pos) && pos + 1 < p.end && member(pos + 1)) {
            run = pos + 1;
        } else if (!member(pos)) {
            ++pos;
            continue;
        }
        cutter.cut(pos);
        while (run < p.end && member(run)) ++run;
        cutter.cut(run);
        pos = run;
    }
    cutter.cut(p.end);
}

// \s+$ : the whitespace that ends the piece.
void isolate_trailing_space(const Piece& p, Lengths& out) {
    std::size_t start = p.end;
    while (start > p.begin && p.at(start - 1).whitespace) --start;
    Cutter cutter(out, p.begin);
    cutter.cut(start);
    cutter.cut(p.end);
}

// [0-9][0-9][0-9] : ASCII digit triples, left to right.
void isolate_digit_triples(const Piece& p, Lengths& out) {
    auto digit = [&](std::size_t pos) { const std::uint32_t c = p.cp(pos); return c >= '0' && c <= '9'; };
    Cutter cutter(out, p.begin);
    std::size_t pos = p.begin;
    while (pos < p.end) {
        if (pos + 3 <= p.end && digit(pos) && digit(pos + 1) && digit(pos + 2)) {
            cutter.cut(pos);
            cutter.cut(pos += 3);
        } else {
            ++pos;
        }
    }
    cutter.cut(p.end);
}

using Stage = std::function<void(const Piece&, Lengths&)>;

// Runs the stages in order, each over every piece the previous one left.
Lengths run_stages(const Text& text, std::span<const Stage> stages) {
    Lengths pieces{text.cps.size()};
    for (const Stage& stage : stages) {
        Lengths next;
        next.reserve(pieces.size() * 2);
        std::size_t begin = 0;
        for (std::size_t length : pieces) {
            stage(Piece{text, begin, begin + length}, next);
            begin += length;
        }
        pieces = std::move(next);
    }
    return pieces;
}

std::vector<Stage> stages_of(Splitter splitter) {
    auto info = [](const Piece& p) { return [&p](std::size_t pos) { return p.at(pos); }; };
    const Stage gpt2 = split_gpt2;
    const Stage numbers_each = [info](const Piece& p, Lengths& out) {
        isolate_each(p, out, [at = info(p)](std::size_t pos) { return at(pos).number(); });
    };
    const Stage newlines_each = [](const Piece& p, Lengths& out) {
        isolate_each(p, out, [&p](std::size_t pos) { return is_cr_or_lf(p.cp(pos)); });
    };
    const Stage cjk_runs = [](const Piece& p, Lengths& out) {
        isolate_runs(p, out, [&p](std::size_t pos) { return in_ranges(deepseek_cjk, p.wide_char(pos)); });
    };
    auto punctuation_runs = [](bool with_backtick) -> Stage {
        return [with_backtick](const Piece& p, Lengths& out) {
            isolate_runs(p, out, [&p, with_backtick](std::size_t pos) {
                const std::uint32_t c = p.cp(pos);
                return p.at(pos).punctuation() || c == '$' || c == '+' || c == '<' || c == '=' || c == '>' ||
                       c == '^' || c == '~' || c == '|' || (with_backtick && c == '`');
            });
        };
    };
    auto is_space = [](const Piece& p) { return [&p](std::size_t pos) { return p.at(pos).whitespace; }; };
    const Stage bloom_words = [](const Piece& p, Lengths& out) {
        isolate_runs_after_space(
            p, out, [&p](std::size_t pos) { return p.cp(pos) == ' '; },
            [&p](std::size_t pos) {
                return p.inside(pos) && !p.at(pos).whitespace && !in_ranges(bloom_stops, p.wide_char(pos));
            });
    };

    switch (splitter) {
        case Splitter::gpt2:
            return {gpt2};
        case Splitter::llama3:
            return {[](const Piece& p, Lengths& out) { split_llama3_style(p, out, 3, false); }};
        case Splitter::qwen2:
            return {[](const Piece& p, Lengths& out) { split_llama3_style(p, out, 1, false); }};
        case Splitter::qwen35:
            return {[](const Piece& p, Lengths& out) { split_llama3_style(p, out, 1, true); }};
        case Splitter::default_bpe:
            return {punctuation_runs(false), gpt2,
                    [info](const Piece& p, Lengths& out) {
                        isolate_runs(p, out, [at = info(p)](std::size_t pos) { return at(pos).number(); });
                    },
                    isolate_digit_triples};
        case Splitter::falcon:
            return {punctuation_runs(true), gpt2, isolate_digit_triples};
        case Splitter::starcoder:
            return {numbers_each, gpt2};
        case Splitter::deepseek_llm:
            return {newlines_each,
                    [is_space](const Piece& p, Lengths& out) {
                        isolate_runs_after_space(p, out, is_space(p), [&p](std::size_t pos) {
                            return in_ranges(deepseek_letters, p.wide_char(pos));
                        });
                    },
                    [is_space](const Piece& p, Lengths& out) {
                        isolate_runs_after_space(p, out, is_space(p), [&p](std::size_t pos) {
                            return in_ranges(deepseek_punctuation, p.wide_char(pos));
                        });
                    },
                    isolate_trailing_space, cjk_runs,
                    [info](const Piece& p, Lengths& out) {
                        isolate_runs(p, out, [at = info(p)](std::size_t pos) { return at(pos).number(); });
                    }};
        case Splitter::deepseek_coder:
            return {newlines_each,
                    [is_space](const Piece& p, Lengths& out) {
                        isolate_runs_after_space(p, out, is_space(p),
                                                 [&p](std::size_t pos) { return p.at(pos).letter(); });
                    },
                    [is_space](const Piece& p, Lengths& out) {
                        isolate_runs_after_space(p, out, is_space(p),
                                                 [&p](std::size_t pos) { return p.at(pos).punctuation(); });
                    },
                    cjk_runs, numbers_each};
        case Splitter::bloom:
            return {bloom_words};
        case Splitter::viking:
            return {bloom_words, numbers_each};
    }
    return {};
}

struct NamedPreTokenizer {
    std::string_view name;
    PreTokenizerConfig config;
};

// llama.cpp's table of tokenizer.ggml.pre names (llama-vocab.cpp), for the ones implemented here.
constexpr PreTokenizerConfig llama3_like{Splitter::llama3, true, true};
constexpr PreTokenizerConfig gpt2_like{Splitter::gpt2};
constexpr PreTokenizerConfig qwen2_like{Splitter::qwen2, false, false, false};
constexpr PreTokenizerConfig starcoder_like{Splitter::starcoder};
constexpr NamedPreTokenizer implemented[] = {
    {"default", {Splitter::default_bpe}},
    {"llama3", llama3_like}, {"llama-v3", llama3_like}, {"llama-bpe", llama3_like}, {"falcon3", llama3_like},
    {"falcon-h1", llama3_like}, {"pixtral", llama3_like}, {"midm-2.0", llama3_like}, {"lfm2", llama3_like},
    {"jina-v5-nano", llama3_like},
    {"dbrx", {Splitter::llama3}}, {"smaug-bpe", {Splitter::llama3}},
    {"glm4", {Splitter::llama3, false, false, true, true}}, {"chatglm-bpe", {Splitter::llama3, false, false, true, true}},
    {"qwen2", qwen2_like}, {"deepseek-r1-qwen", qwen2_like}, {"kormo", qwen2_like}, {"f2llmv2", qwen2_like},
    {"hunyuan", qwen2_like}, {"solar-open", qwen2_like}, {"grok-2", qwen2_like},
    {"megrez", {Splitter::qwen2}}, {"stablelm2", {Splitter::qwen2}},
    {"qwen35", {Splitter::qwen35, false, false, false}},
    {"gpt-2", gpt2_like}, {"phi-2", gpt2_like}, {"jina-es", gpt2_like}, {"jina-de", gpt2_like},
    {"gigachat", gpt2_like}, {"a.x-4.0", gpt2_like}, {"mellum", gpt2_like}, {"modern-bert", gpt2_like},
    {"exaone4", gpt2_like}, {"jina-v1-en", gpt2_like}, {"roberta-bpe", gpt2_like}, {"mpt", gpt2_like},
    {"olmo", gpt2_like}, {"jais", gpt2_like},
    {"jina-v2-es", gpt2_like}, {"jina-v2-de", gpt2_like}, {"jina-v2-code", gpt2_like},
    {"trillion", {Splitter::gpt2, false, false, false}}, {"granite-docling", {Splitter::gpt2, false, false, false}},
    {"starcoder", starcoder_like}, {"refact", starcoder_like}, {"codeshell", starcoder_like},
    {"exaone", starcoder_like}, {"minerva-7b", starcoder_like}, {"mellum2", starcoder_like},
    {"command-r", {Splitter::starcoder, false, false, false}}, {"smollm", {Splitter::starcoder, false, false, false}},
    {"deepseek-llm", {Splitter::deepseek_llm, false, false, false}},
    {"deepseek-coder", {Splitter::deepseek_coder, false, false, false}},
    {"falcon", {Splitter::falcon}},
    {"bloom", {Splitter::bloom}}, {"gpt3-finnish", {Splitter::bloom}},
    {"poro-chat", {Splitter::bloom, false, false, false}}, {"viking", {Splitter::viking, false, false, false}},
};

// Names llama.cpp accepts whose expressions are not implemented here.
constexpr std::string_view known_elsewhere[] = {
    "minicpm5", "deepseek-v3", "spark2_5", "youtu", "jais-2", "gemma4", "granite-embed-multi-311m",
    "sarvam-moe", "whitespace", "tekken", "chameleon", "exaone-moe", "gpt-4o", "llama4", "kanana2", "talkie",
    "granite-embed-multi-97m", "tiny_aya", "cohere2moe", "superbpe", "bailingmoe", "bailingmoe2", "llada-moe",
    "seed-coder", "hunyuan-dense", "hy_v4", "joyai-llm", "kimi-k2", "ufakzeka", "afmoe", "laguna", "minimax-m2",
};

}  // namespace

std::optional<PreTokenizerConfig> find_pre_tokenizer(std::string_view name) {
    for (const auto& entry : implemented)
        if (entry.name == name) return entry.config;
    return std::nullopt;
}

bool is_known_pre_tokenizer(std::string_view name) {
    return find_pre_tokenizer(name).has_value() ||
           std::find(std::begin(known_elsewhere), std::end(known_elsewhere), name) != std::end(known_elsewhere);
}

std::vector<std::string> split_words(Splitter splitter, std::string_view utf8) {
    Text text;
    text.cps = decode_utf8(utf8);
    text.info.reserve(text.cps.size());
    for (std::uint32_t cp : text.cps) text.info.push_back(char_info(cp));

    const std::vector<Stage> stages = stages_of(splitter);
    const Lengths pieces = run_stages(text, stages);

    std::vector<std::string> words;
    words.reserve(pieces.size());
    std::size_t begin = 0;
    for (std::size_t length : pieces) {
        std::string& word = words.emplace_back();
        for (std::size_t i = begin; i < begin + length; ++i) append_utf8(word, text.cps[i]);
        begin += length;
    }
    return words;
}

}  // namespace gguf::tokenizer::detail

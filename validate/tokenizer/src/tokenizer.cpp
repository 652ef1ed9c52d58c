#include "gguf/tokenizer/tokenizer.hpp"

#include <stdexcept>

#include "models.hpp"
#include "special_tokens.hpp"
#include "unicode.hpp"
#include "vocabulary.hpp"

namespace gguf::tokenizer {

using detail::Vocabulary;

struct Tokenizer::Impl {
    Vocabulary vocab;
};

namespace {

constexpr std::string_view space_marker = "\xE2\x96\x81";  // U+2581, SentencePiece's visible space

void replace_all(std::string& text, std::string_view from, std::string_view to) {
    std::string out;
    out.reserve(text.size());
    std::size_t pos = 0;
    for (std::size_t hit; (hit = text.find(from, pos)) != std::string::npos; pos = hit + from.size()) {
        out.append(text, pos, hit - pos);
        out.append(to);
    }
    out.append(text, pos);
    text.swap(out);
}

void check_id(const Vocabulary& vocab, std::int32_t id) {
    if (id < 0 || id >= vocab.n_tokens())
        throw std::out_of_range("token id " + std::to_string(id) + " is outside the vocabulary of " +
                                std::to_string(vocab.n_tokens()) + " tokens");
}

// The byte of a <0xXX> token, read as llama.cpp reads it (strtol over the two characters after "<0x").
std::string byte_piece(std::string_view text) {
    if (text.size() < 3) return {};
    unsigned value = 0;
    for (char c : text.substr(3, 2)) {
        unsigned digit;
        if (c >= '0' && c <= '9') digit = static_cast<unsigned>(c - '0');
        else if (c >= 'a' && c <= 'f') digit = static_cast<unsigned>(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') digit = static_cast<unsigned>(c - 'A' + 10);
        else break;
        value = value * 16 + digit;
    }
    return std::string(1, static_cast<char>(value));
}

// A byte-level BPE token's text back to bytes; a character outside GPT-2's byte alphabet is written
// the way llama.cpp writes it.
std::string byte_level_piece(std::string_view text) {
    std::string out;
    for (std::uint32_t cp : detail::decode_utf8(text)) {
        const int byte = detail::code_point_to_byte(cp);
        if (byte >= 0) {
            out.push_back(static_cast<char>(byte));
            continue;
        }
        std::string utf8;
        detail::append_utf8(utf8, cp);
        out += "[UNK_BYTE_0x";
        static constexpr char hex[] = "0123456789abcdef";
        for (char c : utf8) {
            out.push_back(hex[static_cast<unsigned char>(c) >> 4]);
            out.push_back(hex[static_cast<unsigned char>(c) & 15]);
        }
        out.append(text);
        out += "]";
    }
    return out;
}

// llama.cpp's clean_up_tokenization_spaces, three passes over the decoded text, each rewriting it
// in place: drop the space before ?!., ; drop the spaces around a lone ' ; drop the space before 's 'm 're 've.
void clean_spaces(std::string& text) {
    std::size_t total = text.size();
    auto pass = [&](auto&& step) {
        const std::size_t n = total;
        total = n ? 1 : 0;
        for (std::size_t i = 1; i < n; ++i) step(i, n);
    };
    pass([&](std::size_t& i, std::size_t) {
        const char x = text[i];
        if (text[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) --total;
        text[total++] = x;
    });
    pass([&](std::size_t& i, std::size_t n) {
        const char x = text[i];
        if (x == '\'' && i + 1 < n && text[i - 1] == ' ' && text[i + 1] == ' ') {
            --total;
            text[++i] = '\0';
        }
        text[total++] = x;
    });
    pass([&](std::size_t& i, std::size_t n) {
        const char x = text[i];
        if (text[i - 1] == ' ' && x == '\'' && i + 1 < n) {
            const char x1 = text[i + 1];
            if (x1 == 's' || x1 == 'm') {
                --total;
            } else if (x1 != 't' && x1 != 'd' && i + 2 < n) {
                const char x2 = text[i + 2];
                if ((x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e')) --total;
            }
        }
        text[total++] = x;
    });
    text.resize(total);
}

}  // namespace

std::string_view load_error_code_name(LoadErrorCode code) {
    switch (code) {
        case LoadErrorCode::no_tokenizer: return "no_tokenizer";
        case LoadErrorCode::unknown_model: return "unknown_model";
        case LoadErrorCode::unsupported_model: return "unsupported_model";
        case LoadErrorCode::unknown_pre_tokenizer: return "unknown_pre_tokenizer";
        case LoadErrorCode::unsupported_pre_tokenizer: return "unsupported_pre_tokenizer";
        case LoadErrorCode::invalid_metadata: return "invalid_metadata";
    }
    return "invalid";
}

std::string LoadError::describe() const {
    std::string out = key;
    if (offset != 0) out += " (offset " + std::to_string(offset) + ")";
    out += ": ";
    out += load_error_code_name(code);
    out += ": ";
    out += message;
    return out;
}

LoadResult load_tokenizer(const Container& model) {
    auto loaded = detail::load_vocabulary(model);
    if (auto* error = std::get_if<LoadError>(&loaded)) return std::move(*error);
    auto impl = std::make_unique<Tokenizer::Impl>();
    impl->vocab = std::move(std::get<Vocabulary>(loaded));
    return std::unique_ptr<Tokenizer>(new Tokenizer(std::move(impl)));
}

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::~Tokenizer() = default;

std::vector<std::int32_t> Tokenizer::encode(std::string_view text, bool add_special, bool parse_special) const {
    const Vocabulary& v = impl_->vocab;
    std::vector<std::int32_t> out;
    const auto fragments = detail::split_at_special_tokens(v, text, parse_special);
    const bool with_bos = add_special && v.add_bos && v.bos != no_token;
    const bool with_eos = add_special && v.add_eos && v.eos != no_token;
    if (with_bos) out.push_back(v.bos);
    if (v.kind == Kind::spm) {
        // The space prefix goes before the first stretch of text and before every stretch that
        // follows a special token.
        bool after_special = true;
        std::string piece;
        for (const auto& fragment : fragments) {
            if (fragment.token != no_token) {
                out.push_back(fragment.token);
                after_special = true;
                continue;
            }
            piece.assign(v.add_space_prefix && after_special ? " " : "");
            piece.append(fragment.text);
            replace_all(piece, " ", space_marker);
            detail::encode_spm(v, piece, out);
            after_special = false;
        }
    } else {
        for (const auto& fragment : fragments) {
            if (fragment.token != no_token) {
                out.push_back(fragment.token);
            } else {
                detail::encode_bpe(v, fragment.text, out);
            }
        }
    }
    if (with_eos) out.push_back(v.eos);
    return out;
}

std::string Tokenizer::token_piece(std::int32_t id, bool render_special) const {
    const Vocabulary& v = impl_->vocab;
    check_id(v, id);
    const std::uint32_t attr = v.attrs[id];
    const std::string_view text = v.texts[id];
    if (attr & (detail::attr_unknown | detail::attr_control)) return render_special ? std::string(text) : std::string();
    if (attr & detail::attr_user_defined) return std::string(text);
    if (attr & detail::attr_normal) {
        if (v.kind == Kind::spm) {
            std::string piece(text);
            replace_all(piece, space_marker, " ");
            return piece;
        }
        return byte_level_piece(text);
    }
    if (attr & detail::attr_byte) return byte_piece(text);
    return {};  // unused or undefined tokens have no text
}

std::string Tokenizer::decode(std::span<const std::int32_t> ids, bool render_special) const {
    const Vocabulary& v = impl_->vocab;
    std::string text;
    bool strip_space = v.add_space_prefix;  // the first token loses one leading space
    for (std::int32_t id : ids) {
        std::string piece = token_piece(id, render_special);
        if (strip_space && !piece.empty() && piece.front() == ' ') piece.erase(0, 1);
        strip_space = false;
        text += piece;
    }
    if (v.clean_spaces) clean_spaces(text);
    return text;
}

Kind Tokenizer::kind() const { return impl_->vocab.kind; }
std::int32_t Tokenizer::n_tokens() const { return impl_->vocab.n_tokens(); }
std::string_view Tokenizer::model_name() const { return impl_->vocab.model_name; }
std::string_view Tokenizer::pre_tokenizer_name() const { return impl_->vocab.pre_name; }
std::string_view Tokenizer::token_text(std::int32_t id) const {
    check_id(impl_->vocab, id);
    return impl_->vocab.texts[id];
}
std::int32_t Tokenizer::bos() const { return impl_->vocab.bos; }
std::int32_t Tokenizer::eos() const { return impl_->vocab.eos; }
std::int32_t Tokenizer::eot() const { return impl_->vocab.eot; }
std::int32_t Tokenizer::unk() const { return impl_->vocab.unk; }
std::int32_t Tokenizer::pad() const { return impl_->vocab.pad; }
bool Tokenizer::add_bos() const { return impl_->vocab.add_bos && impl_->vocab.bos != no_token; }
bool Tokenizer::add_eos() const { return impl_->vocab.add_eos && impl_->vocab.eos != no_token; }
bool Tokenizer::add_space_prefix() const { return impl_->vocab.add_space_prefix; }
bool Tokenizer::is_control(std::int32_t id) const {
    check_id(impl_->vocab, id);
    return (impl_->vocab.attrs[id] & (detail::attr_control | detail::attr_unknown)) != 0;
}
bool Tokenizer::is_end_of_generation(std::int32_t id) const { return impl_->vocab.end_of_generation.count(id) > 0; }

}  // namespace gguf::tokenizer

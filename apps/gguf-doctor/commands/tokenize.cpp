// gguf-doctor tokenize FILE --text "..." : the token ids the model's own tokenizer gives, with
// llama.cpp's defaults (as llama-tokenize: BOS/EOS when the vocabulary asks for them, the space
// prefix of SPM vocabularies, special-token text left as text unless --parse-special).
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "commands.hpp"
#include "gguf/tokenizer/tokenizer.hpp"
#include "gguf/value.hpp"

namespace gguf::cli {
namespace {

std::string byte_escape(char c) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
    return buf;
}

// A piece for the terminal: text as is, control characters escaped; a piece that is not valid UTF-8
// (it may hold part of a character) as \x escapes throughout.
std::string printable(const std::string& piece) {
    const bool valid = is_valid_utf8(piece);
    std::string out;
    for (char c : piece) {
        const auto b = static_cast<unsigned char>(c);
        if (!valid) out += byte_escape(c);
        else if (c == '\n') out += "\\n";
        else if (c == '\t') out += "\\t";
        else if (c == '\r') out += "\\r";
        else if (c == '\\') out += "\\\\";
        else if (b < 0x20 || b == 0x7F) out += byte_escape(c);
        else out.push_back(c);
    }
    return out;
}

std::string hex_bytes(const std::string& piece) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (char c : piece) {
        out.push_back(digits[static_cast<unsigned char>(c) >> 4]);
        out.push_back(digits[static_cast<unsigned char>(c) & 15]);
    }
    return out;
}

}  // namespace

int run_tokenize(const std::vector<std::string>& args) {
    po::options_description options("options");
    std::string path, text, text_file;
    options.add_options()
        ("file", po::value(&path)->required()->value_name("FILE"), "the GGUF model (or vocabulary-only file)")
        ("text,t", po::value(&text)->value_name("TEXT"), "the text to tokenize")
        ("text-file,f", po::value(&text_file)->value_name("FILE"), "read the text from this file (bytes as they are)")
        ("no-bos", "do not add BOS/EOS even where the vocabulary asks for them (llama-tokenize --no-bos)")
        ("parse-special", "turn the text of control tokens such as <|im_start|> into those tokens")
        ("ids", "print only the ids, as a list")
        ("json", "print JSON: the tokenizer's settings and each token's id and piece");
    po::positional_options_description positional;
    positional.add("file", 1);
    po::variables_map vm;
    if (auto done = parse(args, "tokenize", "FILE (--text TEXT | --text-file PATH) [--no-bos] [--parse-special] [--ids|--json]",
                          options, positional, vm))
        return *done;
    if (vm.count("text") + vm.count("text-file") != 1) {
        print_error("tokenize: give exactly one of --text and --text-file");
        return exit_usage;
    }
    if (vm.count("text-file")) {
        auto bytes = read_file_bytes(text_file);
        if (!bytes) {
            print_error("cannot read " + text_file);
            return exit_unreadable;
        }
        text = std::move(*bytes);
    }

    auto model = open_model(path);
    if (!model) return exit_unreadable;
    auto loaded = tokenizer::load_tokenizer(*model);
    if (!loaded) {
        print_error(path + ": no usable tokenizer: " + loaded.error().describe());
        return exit_unreadable;
    }
    const tokenizer::Tokenizer& tok = *loaded.value();

    // llama-tokenize: add_special = the model wants BOS and --no-bos was not given.
    const bool add_special = tok.add_bos() && !vm.count("no-bos");
    const bool parse_special = vm.count("parse-special") > 0;
    const std::vector<std::int32_t> ids = tok.encode(text, add_special, parse_special);

    if (vm.count("json")) {
        nlohmann::ordered_json out;
        out["file"] = path;
        out["model"] = std::string(tok.model_name());
        out["pre_tokenizer"] = std::string(tok.pre_tokenizer_name());
        out["n_vocab"] = tok.n_tokens();
        out["add_bos"] = tok.add_bos();
        out["add_eos"] = tok.add_eos();
        out["add_space_prefix"] = tok.add_space_prefix();
        out["bos"] = tok.bos();
        out["eos"] = tok.eos();
        out["added_special"] = add_special;
        out["parse_special"] = parse_special;
        out["ids"] = ids;
        auto& tokens = out["tokens"] = nlohmann::ordered_json::array();
        for (std::int32_t id : ids) {
            const std::string piece = tok.token_piece(id);
            nlohmann::ordered_json entry;
            entry["id"] = id;
            entry["piece"] = piece;  // invalid UTF-8 is replaced by U+FFFD when printed; "hex" has the bytes
            entry["hex"] = hex_bytes(piece);
            if (!is_valid_utf8(piece)) entry["partial_utf8"] = true;
            tokens.push_back(std::move(entry));
        }
        std::cout << out.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
        return exit_ok;
    }
    if (vm.count("ids")) {
        std::cout << "[";
        for (std::size_t i = 0; i < ids.size(); ++i) std::cout << (i ? ", " : "") << ids[i];
        std::cout << "]\n";
        return exit_ok;
    }
    for (std::int32_t id : ids) {
        char number[16];
        std::snprintf(number, sizeof number, "%6d", id);
        std::cout << number << " -> '" << printable(tok.token_piece(id)) << "'\n";
    }
    std::cerr << ids.size() << " tokens (" << tok.model_name();
    if (!tok.pre_tokenizer_name().empty()) std::cerr << ", pre-tokenizer " << tok.pre_tokenizer_name();
    std::cerr << (add_special ? ", special tokens added" : "") << (parse_special ? ", special text parsed" : "") << ")\n";
    return exit_ok;
}

}  // namespace gguf::cli

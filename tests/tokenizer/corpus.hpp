// The tokenizer test corpus (corpus.txt beside this file), shared by the unit and differential tests.
#pragma once

#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace gguf::test {

// Decodes the corpus escapes: \n \r \t \v \f \\ \xNN.
inline std::string unescape_corpus_line(const std::string& line) {
    std::string out;
    for (std::size_t i = 0; i < line.size(); ++i) {
        if (line[i] != '\\' || i + 1 >= line.size()) {
            out.push_back(line[i]);
            continue;
        }
        const char c = line[++i];
        switch (c) {
            case 'n': out.push_back('\n'); break;
            case 'r': out.push_back('\r'); break;
            case 't': out.push_back('\t'); break;
            case 'v': out.push_back('\v'); break;
            case 'f': out.push_back('\f'); break;
            case '\\': out.push_back('\\'); break;
            case 'x':
                if (i + 2 >= line.size()) throw std::runtime_error("corpus: \\x needs two hex digits: " + line);
                out.push_back(static_cast<char>(std::stoi(line.substr(i + 1, 2), nullptr, 16)));
                i += 2;
                break;
            default: out.push_back('\\'); out.push_back(c); break;
        }
    }
    return out;
}

inline std::vector<std::string> load_corpus(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path);
    std::vector<std::string> texts;
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#') continue;
        texts.push_back(unescape_corpus_line(line));
    }
    return texts;
}

inline std::string corpus_path() { return std::string(GGUF_DOCTOR_SOURCE_DIR) + "/tests/tokenizer/corpus.txt"; }

// llama.cpp's own test strings (tests/test-tokenizer-0: texts separated by "\n__ggml_vocab_test__\n",
// expected ids one line per text).
struct VocabTestCase {
    std::string text;
    std::vector<int> ids;
};
inline std::vector<VocabTestCase> load_vocab_tests(const std::string& inp_path, const std::string& out_path) {
    std::ifstream inp(inp_path, std::ios::binary), outp(out_path, std::ios::binary);
    if (!inp || !outp) throw std::runtime_error("cannot open " + inp_path + " or " + out_path);
    const std::string raw((std::istreambuf_iterator<char>(inp)), std::istreambuf_iterator<char>());
    const std::string sep = "\n__ggml_vocab_test__\n";
    std::vector<std::string> texts;
    for (std::size_t pos = 0; pos < raw.size();) {
        const std::size_t next = raw.find(sep, pos);
        if (next == std::string::npos) {
            texts.push_back(raw.substr(pos));
            break;
        }
        texts.push_back(raw.substr(pos, next - pos));
        pos = next + sep.size();
    }
    std::vector<VocabTestCase> cases;
    std::size_t i = 0;
    for (std::string line; std::getline(outp, line); ++i) {
        if (i >= texts.size()) throw std::runtime_error(out_path + " has more lines than " + inp_path + " has texts");
        VocabTestCase c{texts[i], {}};
        std::size_t pos = 0;
        while (pos < line.size()) {
            while (pos < line.size() && line[pos] == ' ') ++pos;
            if (pos >= line.size()) break;
            std::size_t end = line.find(' ', pos);
            if (end == std::string::npos) end = line.size();
            c.ids.push_back(std::stoi(line.substr(pos, end - pos)));
            pos = end;
        }
        cases.push_back(std::move(c));
    }
    if (cases.size() != texts.size()) throw std::runtime_error(inp_path + " and " + out_path + " disagree on the number of tests");
    return cases;
}

}  // namespace gguf::test

// Differential tests of gguf::tokenizer against llama.cpp's own tokenizer (libllama of the reference
// build, vocabulary-only loads), on the real vocabularies of llama.cpp's test data and on copies of
// them renamed to every implemented pre-tokenizer. Texts: tests/tokenizer/corpus.txt plus llama.cpp's
// own test strings (.inp), with every combination of add_special and parse_special. Also checks the
// ids against the .out files (the Hugging Face tokenizers' answers, a second independent oracle).
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/tokenizer/tokenizer.hpp"
#include "gguf/writer.hpp"
#include "reference/ggml_reference.hpp"
#include "support/temp_dir.hpp"
#include "tokenizer/corpus.hpp"

namespace fs = std::filesystem;
using gguf::tokenizer::Tokenizer;

namespace {

const fs::path vocab_dir = fs::path(GGUF_DOCTOR_REFERENCE_DIR) / "vocab";
const char* const vocab_names[] = {"llama-spm", "phi-3", "llama-bpe", "qwen2", "gpt-2", "deepseek-llm"};

void quiet(int, const char*, void*) {}

void require_vocabularies() {
    static bool checked = false;
    if (checked) return;
    checked = true;
    if (!fs::exists(vocab_dir / "ggml-vocab-qwen2.gguf")) {
        std::printf("SKIPPED: no vocabularies in %s (run tests/reference/install.sh)\n", vocab_dir.c_str());
        std::exit(77);
    }
    llama_log_set(quiet, nullptr);
    ggml_log_set(quiet, nullptr);
}

fs::path vocab_path(const std::string& name) { return vocab_dir / ("ggml-vocab-" + name + ".gguf"); }

// llama.cpp's tokenizer over one file.
class LlamaVocab {
public:
    explicit LlamaVocab(const fs::path& path) {
        llama_model_params params = llama_model_default_params();
        params.vocab_only = true;
        model_ = llama_model_load_from_file(path.c_str(), params);
        REQUIRE_MESSAGE(model_ != nullptr, "llama.cpp cannot load " << path);
        vocab_ = llama_model_get_vocab(model_);
    }
    ~LlamaVocab() { llama_model_free(model_); }
    LlamaVocab(const LlamaVocab&) = delete;
    LlamaVocab& operator=(const LlamaVocab&) = delete;

    std::vector<std::int32_t> encode(const std::string& text, bool add_special, bool parse_special) const {
        std::vector<std::int32_t> ids(text.size() + 8);
        int n = llama_tokenize(vocab_, text.data(), static_cast<int>(text.size()), ids.data(),
                               static_cast<int>(ids.size()), add_special, parse_special);
        if (n < 0) {
            ids.resize(static_cast<std::size_t>(-n));
            n = llama_tokenize(vocab_, text.data(), static_cast<int>(text.size()), ids.data(),
                               static_cast<int>(ids.size()), add_special, parse_special);
        }
        ids.resize(static_cast<std::size_t>(n));
        return ids;
    }
    std::string piece(std::int32_t id, bool special) const {
        std::string out(64, '\0');
        int n = llama_token_to_piece(vocab_, id, out.data(), static_cast<int>(out.size()), 0, special);
        if (n < 0) {
            out.resize(static_cast<std::size_t>(-n));
            n = llama_token_to_piece(vocab_, id, out.data(), static_cast<int>(out.size()), 0, special);
        }
        out.resize(static_cast<std::size_t>(n));
        return out;
    }
    std::string decode(const std::vector<std::int32_t>& ids, bool special) const {
        std::string out(ids.size() * 16 + 16, '\0');
        int n = llama_detokenize(vocab_, ids.data(), static_cast<int>(ids.size()), out.data(),
                                 static_cast<int>(out.size()), false, special);
        if (n < 0) {
            out.resize(static_cast<std::size_t>(-n));
            n = llama_detokenize(vocab_, ids.data(), static_cast<int>(ids.size()), out.data(),
                                 static_cast<int>(out.size()), false, special);
        }
        out.resize(static_cast<std::size_t>(n));
        return out;
    }
    std::int32_t n_tokens() const { return llama_vocab_n_tokens(vocab_); }

private:
    llama_model* model_ = nullptr;
    const llama_vocab* vocab_ = nullptr;
};

std::unique_ptr<Tokenizer> load_ours(const fs::path& path) {
    auto model = gguf::open(path);
    REQUIRE_MESSAGE(model.ok(), model.error().describe());
    auto tokenizer = gguf::tokenizer::load_tokenizer(*model);
    REQUIRE_MESSAGE(tokenizer.ok(), tokenizer.error().describe());
    return std::move(tokenizer.value());
}

std::string show(const std::vector<std::int32_t>& ids) {
    std::string s = "[";
    for (std::size_t i = 0; i < ids.size(); ++i) s += (i ? " " : "") + std::to_string(ids[i]);
    return s + "]";
}

std::string escaped(const std::string& text) {
    std::string out;
    for (unsigned char c : text) {
        if (c == '\n') out += "\\n";
        else if (c < 0x20 || c == 0x7F) { char buf[8]; std::snprintf(buf, sizeof buf, "\\x%02x", c); out += buf; }
        else out.push_back(static_cast<char>(c));
    }
    return out;
}

std::vector<std::string> all_texts(const std::string& vocab_name) {
    std::vector<std::string> texts = gguf::test::load_corpus(gguf::test::corpus_path());
    const fs::path inp = vocab_path(vocab_name).string() + ".inp";
    if (fs::exists(inp))
        for (auto& c : gguf::test::load_vocab_tests(inp.string(), vocab_path(vocab_name).string() + ".out"))
            texts.push_back(c.text);
    texts.push_back("");
    return texts;
}

// Encodes every text with all four flag combinations and decodes the result both ways; returns the
// number of comparisons, reporting each difference.
int compare_with_llama(const Tokenizer& ours, const LlamaVocab& llama, const std::vector<std::string>& texts,
                       const std::string& label) {
    int compared = 0, reported = 0;
    for (const std::string& text : texts) {
        for (bool add_special : {false, true}) {
            for (bool parse_special : {false, true}) {
                const auto expected = llama.encode(text, add_special, parse_special);
                const auto got = ours.encode(text, add_special, parse_special);
                ++compared;
                if (got != expected && reported++ < 10)
                    FAIL_CHECK(label << ": '" << escaped(text) << "' add_special=" << add_special
                                     << " parse_special=" << parse_special << "\n  llama.cpp: " << show(expected)
                                     << "\n  ours:      " << show(got));
                for (bool special : {false, true}) {
                    const std::string want = llama.decode(expected, special);
                    const std::string have = ours.decode(expected, special);
                    ++compared;
                    if (want != have && reported++ < 10)
                        FAIL_CHECK(label << ": decode " << show(expected) << " special=" << special << "\n  llama.cpp: '"
                                         << escaped(want) << "'\n  ours:      '" << escaped(have) << "'");
                }
            }
        }
    }
    return compared;
}

}  // namespace

TEST_CASE("token ids and decoded text equal llama.cpp's on the real vocabularies") {
    require_vocabularies();
    for (const char* name : vocab_names) {
        const auto ours = load_ours(vocab_path(name));
        const LlamaVocab llama(vocab_path(name));
        REQUIRE(ours->n_tokens() == llama.n_tokens());
        const auto texts = all_texts(name);
        const int compared = compare_with_llama(*ours, llama, texts, name);
        MESSAGE(std::string(name) << ": " << texts.size() << " texts, " << compared << " encode/decode comparisons");
    }
}

TEST_CASE("token ids equal the expected ids of llama.cpp's own vocabulary tests") {
    require_vocabularies();
    for (const char* name : vocab_names) {
        const auto ours = load_ours(vocab_path(name));
        const auto cases = gguf::test::load_vocab_tests(vocab_path(name).string() + ".inp", vocab_path(name).string() + ".out");
        for (const auto& c : cases) {
            const auto got = ours->encode(c.text, false, false);
            CHECK_MESSAGE(std::vector<int>(got.begin(), got.end()) == c.ids,
                          std::string(name) << ": '" << escaped(c.text) << "' expected " << show({c.ids.begin(), c.ids.end()})
                               << " got " << show(got));
        }
        MESSAGE(std::string(name) << ": " << cases.size() << " expected-id cases");
    }
}

TEST_CASE("the piece of every token equals llama_token_to_piece") {
    require_vocabularies();
    for (const char* name : vocab_names) {
        const auto ours = load_ours(vocab_path(name));
        const LlamaVocab llama(vocab_path(name));
        int mismatches = 0;
        for (std::int32_t id = 0; id < ours->n_tokens(); ++id)
            for (bool special : {false, true})
                if (ours->token_piece(id, special) != llama.piece(id, special) && mismatches++ < 10)
                    FAIL_CHECK(std::string(name) << ": token " << id << " special=" << special << " llama.cpp '"
                                    << escaped(llama.piece(id, special)) << "' ours '" << escaped(ours->token_piece(id, special)) << "'");
        CHECK(mismatches == 0);
    }
}

namespace {

// A copy of a reference vocabulary with some metadata changed.
fs::path variant(const gguf::test::TempDir& dir, const std::string& base, const std::string& file,
                 const std::vector<std::pair<std::string, gguf::Value>>& changes, const std::vector<std::string>& erased = {}) {
    auto model = gguf::open(vocab_path(base));
    REQUIRE(model.ok());
    auto writer = gguf::writer_from(*model, gguf::ByteOrder::little);
    REQUIRE(writer.ok());
    for (const auto& [key, value] : changes) writer->set(key, value);
    for (const auto& key : erased) writer->erase(key);
    const fs::path path = dir / file;
    REQUIRE(writer->write(path).ok());
    return path;
}

}  // namespace

TEST_CASE("every implemented pre-tokenizer equals llama.cpp's on a vocabulary renamed to it") {
    require_vocabularies();
    const gguf::test::TempDir dir;
    // One name per distinct behaviour (expressions, ignore_merges, BOS default, space clean-up).
    const char* names[] = {"default", "llama3", "dbrx", "glm4", "qwen2", "megrez", "qwen35", "gpt-2", "trillion",
                           "starcoder", "command-r", "deepseek-llm", "deepseek-coder", "falcon", "bloom",
                           "poro-chat", "viking", "jina-v2-es"};
    const auto texts = all_texts("gpt-2");
    int total = 0;
    for (const char* pre : names) {
        const auto path = variant(dir, "gpt-2", std::string(pre) + ".gguf", {{"tokenizer.ggml.pre", gguf::Value::string(pre)}});
        const auto ours = load_ours(path);
        const LlamaVocab llama(path);
        total += compare_with_llama(*ours, llama, texts, std::string("gpt-2 as ") + pre);
    }
    // No tokenizer.ggml.pre at all: llama.cpp falls back to "default".
    const auto path = variant(dir, "gpt-2", "no-pre.gguf", {}, {"tokenizer.ggml.pre"});
    total += compare_with_llama(*load_ours(path), LlamaVocab(path), texts, "gpt-2 without pre");
    MESSAGE((std::size(names) + 1) << " pre-tokenizer variants, " << total << " comparisons");
}

TEST_CASE("BOS, EOS and space-prefix flags from the metadata act as in llama.cpp") {
    require_vocabularies();
    const gguf::test::TempDir dir;
    const auto texts = all_texts("llama-spm");
    using gguf::Value;
    const std::vector<std::pair<std::string, std::vector<std::pair<std::string, Value>>>> cases = {
        {"llama-spm", {{"tokenizer.ggml.add_space_prefix", Value::boolean(false)}}},
        {"llama-spm", {{"tokenizer.ggml.add_bos_token", Value::boolean(false)}, {"tokenizer.ggml.add_eos_token", Value::boolean(true)}}},
        {"qwen2", {{"tokenizer.ggml.add_bos_token", Value::boolean(true)}, {"tokenizer.ggml.add_eos_token", Value::boolean(true)}}},
        {"llama-bpe", {{"tokenizer.ggml.add_bos_token", Value::boolean(false)}, {"tokenizer.ggml.add_space_prefix", Value::boolean(true)}}},
    };
    int i = 0;
    for (const auto& [base, changes] : cases) {
        const auto path = variant(dir, base, "flags" + std::to_string(i++) + ".gguf", changes);
        compare_with_llama(*load_ours(path), LlamaVocab(path), texts, base + " with changed flags");
    }
}

TEST_CASE("a code point above U+10FFFF: llama.cpp throws, gguf-doctor tokenizes it as U+FFFD") {
    require_vocabularies();
    const std::string text = "a\xF4\x90\x80\x80" "b";
    const auto ours = load_ours(vocab_path("qwen2"));
    const LlamaVocab llama(vocab_path("qwen2"));
    CHECK_THROWS(llama.encode(text, false, false));
    CHECK(ours->encode(text, false, false) == ours->encode("a\xEF\xBF\xBD" "b", false, false));
}

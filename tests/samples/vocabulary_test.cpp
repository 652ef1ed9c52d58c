// Synthetic vocabularies are well-formed the way llama.cpp's loader needs (special and byte tokens
// where it looks for them, every BPE merge building a listed token from earlier ones), padding rows
// are marked, and copied vocabularies are padded like convert_hf_to_gguf.py pads them.
#include <doctest/doctest.h>

#include <cstdio>
#include <algorithm>
#include <set>
#include <string>

#include "gguf/container.hpp"
#include "gguf/samples/generator.hpp"
#include "support/temp_dir.hpp"

using namespace gguf;
using namespace gguf::samples;

namespace {

struct Vocab {
    std::vector<std::string> tokens;
    std::vector<std::int64_t> types;
    std::vector<double> scores;
    std::vector<std::string> merges;
};

Vocab read_vocab(const Container& m) {
    Vocab v;
    const Value* tokens = m.find("tokenizer.ggml.tokens");
    REQUIRE(tokens != nullptr);
    for (std::uint64_t i = 0; i < tokens->size(); ++i) v.tokens.emplace_back(tokens->string_at(i));
    const Value* types = m.find("tokenizer.ggml.token_type");
    REQUIRE(types != nullptr);
    REQUIRE(types->element_type() == ValueType::int32);
    for (std::uint64_t i = 0; i < types->size(); ++i) v.types.push_back(types->integer_at(i));
    if (const Value* s = m.find("tokenizer.ggml.scores"))
        for (std::uint64_t i = 0; i < s->size(); ++i) v.scores.push_back(s->number_at(i));
    if (const Value* mg = m.find("tokenizer.ggml.merges"))
        for (std::uint64_t i = 0; i < mg->size(); ++i) v.merges.emplace_back(mg->string_at(i));
    return v;
}

Result<Container> written(const ModelConfig& c, const std::filesystem::path& path) {
    REQUIRE(write_model(c, path).ok());
    return gguf::open(path);
}

}  // namespace

TEST_CASE("the SentencePiece vocabulary is laid out like Llama's") {
    test::TempDir dir;
    ModelConfig c = preset("tiny-llama").value();
    c.n_vocab_padding = 5;
    auto m = written(c, dir / "m.gguf");
    REQUIRE(m.ok());
    CHECK(m->get_string("tokenizer.ggml.model") == "llama");
    CHECK(m->get_u64("tokenizer.ggml.bos_token_id") == 1);
    CHECK(m->get_u64("tokenizer.ggml.eos_token_id") == 2);
    CHECK(m->get_u64("tokenizer.ggml.unknown_token_id") == 0);
    const Vocab v = read_vocab(*m);
    REQUIRE(v.tokens.size() == c.n_vocab);
    REQUIRE(v.scores.size() == c.n_vocab);
    CHECK(v.tokens[0] == "<unk>");
    CHECK(v.types[0] == 2);
    CHECK((v.tokens[1] == "<s>" && v.types[1] == 3 && v.tokens[2] == "</s>" && v.types[2] == 3));
    for (int b = 0; b < 256; ++b) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", b);
        CHECK(v.tokens[3 + static_cast<std::size_t>(b)] == name);
        CHECK(v.types[3 + static_cast<std::size_t>(b)] == 6);
    }
    const std::size_t n_real = c.n_vocab - 5;
    std::set<std::string> seen;
    for (std::size_t i = 0; i < v.tokens.size(); ++i) CHECK(seen.insert(v.tokens[i]).second);
    for (std::size_t i = 260; i < n_real; ++i) CHECK(v.scores[i] < v.scores[i - 1]);  // merge order
    CHECK(v.tokens[n_real - 1] == "~");  // single characters last, like Llama's
    CHECK(std::find(v.tokens.begin(), v.tokens.end(), "\xe2\x96\x81") != v.tokens.end());
    CHECK(std::find(v.tokens.begin(), v.tokens.end(), "\xe2\x96\x81the") != v.tokens.end());  // learned from text
    for (std::size_t i = n_real; i < c.n_vocab; ++i) {
        CHECK(v.tokens[i] == "[PAD" + std::to_string(i) + "]");
        CHECK(v.types[i] == 5);
    }
}

TEST_CASE("the byte-level BPE vocabulary: byte symbols first, one token per merge, control tokens, padding") {
    test::TempDir dir;
    const ModelConfig c = preset("tiny-qwen2").value();
    auto m = written(c, dir / "m.gguf");
    REQUIRE(m.ok());
    CHECK(m->get_string("tokenizer.ggml.model") == "gpt2");
    CHECK(m->get_string("tokenizer.ggml.pre") == "qwen2");
    const Vocab v = read_vocab(*m);
    REQUIRE(v.tokens.size() == c.n_vocab);
    CHECK(v.tokens[0] == "!");
    CHECK(v.tokens[93] == "~");
    CHECK(v.tokens[255] == "\xc5\x83");  // U+0143: the 68th byte GPT-2 remaps
    CHECK(std::find(v.tokens.begin(), v.tokens.begin() + 256, "\xc4\xa0") != v.tokens.begin() + 256);  // 'Ġ' = space
    const std::size_t n_real = c.n_vocab - c.n_vocab_padding;
    REQUIRE(v.merges.size() == n_real - 256 - 3);
    std::set<std::string> known(v.tokens.begin(), v.tokens.begin() + 256);
    for (std::size_t k = 0; k < v.merges.size(); ++k) {
        const auto space = v.merges[k].find(' ', 1);
        REQUIRE(space != std::string::npos);
        const std::string a = v.merges[k].substr(0, space), b = v.merges[k].substr(space + 1);
        CHECK(known.count(a));
        CHECK(known.count(b));
        CHECK(v.tokens[256 + k] == a + b);
        known.insert(a + b);
    }
    const std::size_t eot = 256 + v.merges.size();
    CHECK(v.tokens[eot] == "<|endoftext|>");
    CHECK(v.types[eot] == 3);
    CHECK(m->get_u64("tokenizer.ggml.eos_token_id") == eot);
    CHECK(m->get_u64("tokenizer.ggml.bos_token_id") == eot);
    for (std::size_t i = n_real; i < c.n_vocab; ++i) CHECK((v.tokens[i] == "[PAD" + std::to_string(i) + "]" && v.types[i] == 5));
}

TEST_CASE("synthetic vocabularies of full size are made quickly and are unique") {
    ModelConfig c = preset("qwen2.5-0.5b").value();
    c.n_layer = 1;
    c.n_embd = 64;
    c.n_head = 1;
    c.n_head_kv = 1;
    c.n_ff = 64;
    test::TempDir dir;
    auto m = written(c, dir / "m.gguf");
    REQUIRE(m.ok());
    const Vocab v = read_vocab(*m);
    CHECK(v.tokens.size() == 151936);
    CHECK(v.merges.size() == 151665 - 256 - 3);
    CHECK(std::set<std::string>(v.tokens.begin(), v.tokens.end()).size() == v.tokens.size());
}

TEST_CASE("a copied vocabulary keeps every tokenizer key and is padded up to the embedding rows") {
    test::TempDir dir;
    ModelConfig source = preset("tiny-llama").value();
    auto src = written(source, dir / "source.gguf");
    REQUIRE(src.ok());

    ModelConfig c = preset("tiny-qwen2").value();  // another architecture may borrow a llama vocabulary
    c.vocab_from = dir / "source.gguf";
    c.n_vocab_padding = 0;
    c.n_vocab = source.n_vocab + 7;
    auto m = written(c, dir / "copy.gguf");
    REQUIRE(m.ok());
    for (const auto& e : src->metadata()) {
        if (!e.key.starts_with("tokenizer.")) continue;
        CAPTURE(e.key);
        REQUIRE(m->find(e.key) != nullptr);
        if (e.value.is_array() && e.value.size() == source.n_vocab) continue;  // padded below
        CHECK(*m->find(e.key) == e.value);
    }
    const Vocab a = read_vocab(*src), b = read_vocab(*m);
    REQUIRE(b.tokens.size() == c.n_vocab);
    CHECK(std::equal(a.tokens.begin(), a.tokens.end(), b.tokens.begin()));
    CHECK(std::equal(a.scores.begin(), a.scores.end(), b.scores.begin()));
    CHECK(b.tokens.back() == "[PAD" + std::to_string(c.n_vocab - 1) + "]");
    CHECK(b.types.back() == 5);
    CHECK(b.scores.back() == -10000.0);
    CHECK(m->find_tensor("token_embd.weight")->ne[1] == c.n_vocab);

    c.n_vocab = 0;  // the source's size
    REQUIRE(write_model(c, dir / "same.gguf").ok());
    CHECK(gguf::open(dir / "same.gguf")->find_tensor("token_embd.weight")->ne[1] == source.n_vocab);
    c.n_vocab = source.n_vocab - 1;  // fewer rows than tokens: refused
    CHECK_FALSE(write_model(c, dir / "short.gguf").ok());
}
